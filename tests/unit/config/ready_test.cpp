// ready: "start_secs" by default, "notify" per job or in [defaults]; a bad value names the
// allowed ones at its position; a change needs a restart.
#include <catch2/catch.hpp>

#include "config/diff.hpp"
#include "config/load.hpp"
#include "config_test_util.hpp"

using namespace supd::config;
using supd::config::test::messages;
using supd::config::test::parse;

TEST_CASE("ready: start_secs by default, notify per job or from [defaults]", "[config][ready]") {
  const auto r = parse(R"(
[defaults]
ready = "notify"
[jobs.a]
command = "a"
[jobs.b]
command = "b"
ready = "start_secs"
)");
  INFO(Catch::Detail::stringify(messages(r)));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  CHECK(r.config->find("a")->ready == Readiness::Notify);
  CHECK(r.config->find("b")->ready == Readiness::StartSecs);

  const auto plain = parse("[jobs.a]\ncommand = \"a\"\n");
  REQUIRE(plain.config);
  CHECK(plain.config->find("a")->ready == Readiness::StartSecs);
}

TEST_CASE("ready: a bad value is an error naming the allowed values", "[config][ready]") {
  const auto bad = parse("[jobs.a]\ncommand = \"a\"\nready = \"systemd\"\n");
  CHECK(messages(bad) ==
        std::vector<std::string>{"supd.toml:3:9: ready: unknown mode \"systemd\" (use \"start_secs\", \"notify\" or \"listen\")"});
  const auto wrong_type = parse("[jobs.a]\ncommand = \"a\"\nready = true\n");
  CHECK(messages(wrong_type) ==
        std::vector<std::string>{"supd.toml:3:9: ready: expected \"start_secs\", \"notify\" or \"listen\", got boolean"});
}

TEST_CASE("ready: a change needs a restart", "[config][ready][diff]") {
  JobSpec a, b;
  b.ready = Readiness::Notify;
  const auto f = diff_job(a, b);
  REQUIRE(f.size() == 1);
  CHECK(f[0] == FieldChange{"ready", "start_secs", "notify", true});
}
