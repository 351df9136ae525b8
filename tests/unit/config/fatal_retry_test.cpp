// fatal_retry_after: unset by default, a duration per job or in [defaults], never 0.
#include <catch2/catch.hpp>

#include "config/load.hpp"
#include "config_test_util.hpp"

using namespace supd::config;
using namespace std::chrono_literals;
using supd::config::test::messages;
using supd::config::test::parse;

TEST_CASE("fatal_retry_after: unset, per job, from [defaults]", "[config][fatal_retry]") {
  const auto r = parse(R"(
[defaults]
fatal_retry_after = "5m"
[jobs.a]
command = "a"
[jobs.b]
command = "b"
fatal_retry_after = 30
)");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  CHECK(r.config->find("a")->fatal_retry_after == 5min);
  CHECK(r.config->find("b")->fatal_retry_after == 30s);

  const auto plain = parse("[jobs.a]\ncommand = \"a\"\n");
  REQUIRE(plain.config);
  CHECK(plain.config->find("a")->fatal_retry_after == std::nullopt);
}

TEST_CASE("fatal_retry_after = 0 or a bad duration is an error with its position", "[config][fatal_retry]") {
  const auto zero = parse("[jobs.a]\ncommand = \"a\"\nfatal_retry_after = 0\n");
  REQUIRE(zero.errors.size() == 1);
  CHECK(Catch::Detail::stringify(messages(zero)).find("fatal_retry_after: must be more than 0") != std::string::npos);
  const auto bad = parse("[jobs.a]\ncommand = \"a\"\nfatal_retry_after = \"soon\"\n");
  CHECK(bad.errors.size() == 1);
}
