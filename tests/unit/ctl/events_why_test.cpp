// supctl events and why: their command lines, the event lines, the why post-mortem, and the
// "next try in" of a status row.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "common/event.hpp"
#include "ctl/cli.hpp"
#include "ctl/render.hpp"

namespace proto = supd::protocol;
using nlohmann::json;

namespace {

proto::Command parsed_command(std::vector<std::string> args) { return supd::ctl::parse_cli(args).command; }

}  // namespace

TEST_CASE("events and why command lines", "[ctl][events]") {
  CHECK(parsed_command({"events"}) == proto::Command{proto::Events{}});
  // -f follows from now: the request asks for no history (limit 0) unless -n gives a number.
  CHECK(parsed_command({"events", "amsa", "-f"}) == proto::Command{proto::Events{"amsa", true, 0}});
  CHECK(parsed_command({"events", "-f", "-n", "5"}) == proto::Command{proto::Events{std::nullopt, true, 5}});
  CHECK(parsed_command({"events", "-n", "5", "amsa"}) == proto::Command{proto::Events{"amsa", false, 5}});
  CHECK(parsed_command({"why", "amsa"}) == proto::Command{proto::Why{"amsa"}});
  CHECK(parsed_command({"remove", "web"}) == proto::Command{proto::Remove{"web", true}});
  CHECK(parsed_command({"remove", "--no-wait", "web"}) == proto::Command{proto::Remove{"web", false}});
  CHECK_THROWS_AS(parsed_command({"remove"}), supd::ctl::UsageError);
  CHECK_THROWS_AS(parsed_command({"why"}), supd::ctl::UsageError);
  CHECK_THROWS_AS(parsed_command({"why", "a", "b"}), supd::ctl::UsageError);
  CHECK_THROWS_AS(parsed_command({"events", "a/b"}), supd::ctl::UsageError);
  CHECK_THROWS_AS(parsed_command({"events", "-n", "-1"}), supd::ctl::UsageError);
}

TEST_CASE("events render one line per event in local time", "[ctl][events]") {
  ::setenv("TZ", "UTC", 1);
  supd::common::Event e;
  e.time = *supd::common::parse_utc("2026-11-25T17:20:01.123Z");
  e.job = "amsa";
  e.kind = "state";
  e.from = "running";
  e.to = "stopping";
  e.reason = "stop requested";
  e.who = supd::common::EventOrigin{supd::common::EventOrigin::Kind::Peer, 0, 1234, "/usr/bin/supctl"};
  const json result = {{"events", json::array({supd::common::to_json(e)})}, {"more", true}};
  const auto text = supd::ctl::render_result(proto::Events{}, result);
  REQUIRE(text);
  CHECK(*text == "2026-11-25T17:20:01.123 amsa running -> stopping: stop requested by uid 0 pid 1234 (supctl)\n");
  CHECK(supd::ctl::render_result(proto::Events{}, json{{"eof", true}}) == std::string());
  CHECK_FALSE(supd::ctl::render_result(proto::Events{}, json{{"events", json::array({1})}}));

  const std::string line = R"({"id":3,"ok":true,"result":{"events":[{"seq":1,"time":"x"},{"seq":2,"time":"y"}]}})";
  CHECK(supd::ctl::render_events_json(line) == std::string("{\"seq\":1,\"time\":\"x\"}\n{\"seq\":2,\"time\":\"y\"}\n"));
}

TEST_CASE("why renders the exit, its cause, the run, the state and the last lines", "[ctl][why]") {
  ::setenv("TZ", "UTC", 1);
  const json r = {{"job", "amsa"},
                  {"exited", true},
                  {"exit", {{"code", nullptr}, {"signal", "KILL"}, {"core_dumped", false}, {"description", "killed by SIGKILL"}}},
                  {"exit_pid", 4242},
                  {"exited_at", "2026-11-25T17:20:01.123Z"},
                  {"uptime_s", 12.0},
                  {"cause", {{"kind", "external"}, {"text", "an external kill: SIGKILL was not sent by supd"}, {"who", nullptr}}},
                  {"restarts", 2},
                  {"state", "backoff"},
                  {"pid", nullptr},
                  {"next_try_s", 3.2},
                  {"last_lines", {"one", "two"}}};
  const auto text = supd::ctl::render_result(proto::Why{"amsa"}, r);
  REQUIRE(text);
  CHECK(*text ==
        "amsa: killed by SIGKILL\n"
        "cause:      an external kill: SIGKILL was not sent by supd\n"
        "core dump:  no\n"
        "ran for:    12s (pid 4242, ended 2026-11-25T17:20:01.123)\n"
        "restarts:   2\n"
        "state:      BACKOFF, next try in 4s\n"
        "last lines:\n"
        "  one\n"
        "  two\n");

  const json never = {{"job", "amsa"}, {"exited", false}, {"exit", nullptr}, {"restarts", 0},
                      {"state", "running"}, {"pid", 7}, {"last_lines", json::array()}};
  const auto t2 = supd::ctl::render_result(proto::Why{"amsa"}, never);
  REQUIRE(t2);
  CHECK(t2->starts_with("amsa has not exited since supd started it\n"));
  CHECK(t2->find("state:      RUNNING (pid 7)\n") != std::string::npos);
  // No output at all: why that may be and the fix (issue 17).
  CHECK(t2->find("(no output: a program writing to a pipe may keep its output in its own buffer") != std::string::npos);
  CHECK(t2->find("PYTHONUNBUFFERED=1") != std::string::npos);
}

TEST_CASE("status: a pending retry shows as next try in the LAST-EXIT column", "[ctl][render]") {
  proto::JobStatus j;
  j.name = "c";
  j.state = "fatal";
  j.error = "exited 1 before start_secs; gave up after 1 failed starts";
  j.next_try_s = 239.2;
  CHECK(supd::ctl::last_exit_text(j) == "exited 1 before start_secs; gave up after 1 failed starts; next try in 4m");
}
