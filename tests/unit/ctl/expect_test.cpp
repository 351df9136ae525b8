// `signal --expect`: the regex is searched in each line, and lines are assembled from chunks
// cut anywhere; the command line takes --expect and refuses a bad regex as a usage error.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ctl/cli.hpp"
#include "ctl/expect.hpp"

using namespace supd::ctl;
namespace proto = supd::protocol;

TEST_CASE("LineMatcher searches anywhere in the line, ECMAScript syntax", "[ctl][expect]") {
  const auto m = LineMatcher::compile("Hello w\\w+");
  REQUIRE(m);
  CHECK(m->matches("Hello world"));
  CHECK(m->matches(">> Hello world <<"));
  CHECK_FALSE(m->matches("hello world"));
  CHECK_FALSE(m->matches("Tick 3"));
  const auto anchored = LineMatcher::compile("^Tick [0-9]+$");
  REQUIRE(anchored);
  CHECK(anchored->matches("Tick 12"));
  CHECK_FALSE(anchored->matches("a Tick 12"));
  std::string why;
  CHECK_FALSE(LineMatcher::compile("(unclosed", &why));
  CHECK_FALSE(why.empty());
}

TEST_CASE("LineAssembler gives whole lines from chunks cut anywhere", "[ctl][expect]") {
  LineAssembler a;
  CHECK(a.feed("Hel").empty());
  CHECK(a.partial() == "Hel");
  CHECK(a.feed("lo wor") == std::vector<std::string>{});
  CHECK(a.feed("ld\nTick 1\nTi") == std::vector<std::string>{"Hello world", "Tick 1"});
  CHECK(a.partial() == "Ti");
  CHECK(a.feed("ck 2\r\n\n") == std::vector<std::string>{"Tick 2", ""});
  CHECK(a.partial().empty());
  CHECK(a.feed("") == std::vector<std::string>{});
}

TEST_CASE("signal --expect parses anywhere and keeps the signal request as it was", "[ctl][expect]") {
  const std::vector<std::string> args{"signal", "amsa", "USR1", "--expect", "Hello", "--timeout", "2s"};
  const auto cli = parse_cli(args);
  CHECK(cli.command == proto::Command{proto::SignalJob{"amsa", "USR1", false}});
  REQUIRE(cli.flags.expect);
  CHECK(*cli.flags.expect == "Hello");
  REQUIRE(cli.options.timeout);
  CHECK(cli.options.timeout->count() == 2000);

  const std::vector<std::string> before{"signal", "--expect=x y", "--group", "amsa", "TERM"};
  const auto b = parse_cli(before);
  CHECK(b.command == proto::Command{proto::SignalJob{"amsa", "TERM", true}});
  CHECK(b.flags.expect == std::optional<std::string>("x y"));

  const std::vector<std::string> plain{"signal", "amsa", "USR1"};
  CHECK_FALSE(parse_cli(plain).flags.expect);
}

TEST_CASE("signal --expect with a bad regex is a one-line usage error", "[ctl][expect]") {
  const std::vector<std::string> args{"signal", "amsa", "USR1", "--expect", "(oops"};
  try {
    parse_cli(args);
    FAIL("expected a usage error");
  } catch (const UsageError& e) {
    const std::string what = e.what();
    CHECK(what.find("--expect") != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  const std::vector<std::string> other{"pid", "amsa", "--expect", "x"};
  CHECK_THROWS_AS(parse_cli(other), UsageError);  // only signal takes it
}

TEST_CASE("inspect takes one job and asks supd for its pid", "[ctl][expect]") {
  const std::vector<std::string> args{"inspect", "amsa"};
  const auto cli = parse_cli(args);
  CHECK(cli.command == proto::Command{proto::Pid{"amsa"}});
  CHECK(cli.sub->name == "inspect");
  const std::vector<std::string> none{"inspect"};
  CHECK_THROWS_AS(parse_cli(none), UsageError);
}
