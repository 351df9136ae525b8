// Handlers over a Supervisor wired to the fakes: a request line in, response lines out (captured
// in a vector). Waiting commands answer from after_event() once their jobs settle, driven here
// by supervisor events the way the event loop drives them; `shutdown` answers only after
// on_shutdown_complete(). Malformed lines get error replies with their stable codes.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/protocol.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;
using common::ExitStatus;
using config::RestartPolicy;
using json = nlohmann::json;
using protocol::ErrorCode;
using Calls = std::vector<std::string>;

struct HandlerRig {
  Rig rig;
  Handlers handlers{rig.sup};
  std::vector<std::string> replies;

  explicit HandlerRig(std::vector<JobSpec> jobs) : rig(std::move(jobs)) {}

  void send(std::string_view line) {
    handlers.handle(line, Peer{1000, 4242}, [this](std::string reply) { replies.push_back(std::move(reply)); });
  }
  // What the loop does after every event: deadlines and reaps are the supervisor's, then
  // waiters are answered.
  void fire_deadline() {
    const auto next = rig.sup.next_deadline();
    REQUIRE(next.has_value());
    rig.sup.on_deadline(*next);
    handlers.after_event(*next);
  }
  void reap(pid_t pid, ExitStatus status, bool leftovers = false) {
    rig.reap(pid, status, Clock::now(), leftovers);
    handlers.after_event(Clock::now());
  }
  std::string take_reply() {
    REQUIRE(replies.size() == 1);
    return std::exchange(replies, {}).front();
  }
};

// Every reply is one JSON object on one line.
json parse_line(const std::string& line) {
  INFO(line);
  REQUIRE(!line.empty());
  REQUIRE(line.back() == '\n');
  REQUIRE(line.find('\n') == line.size() - 1);
  const json doc = json::parse(line, nullptr, false);
  REQUIRE(doc.is_object());
  return doc;
}

json result_of(const std::string& line, std::uint64_t id) {
  const json doc = parse_line(line);
  INFO(line);
  REQUIRE(doc.at("ok") == true);
  CHECK(doc.at("id") == id);
  return doc.at("result");
}

// The error of a reply; `id` is what the reply must echo (nullopt: "id": null).
protocol::Error error_of(const std::string& line, std::optional<std::uint64_t> id) {
  const json doc = parse_line(line);
  INFO(line);
  REQUIRE(doc.at("ok") == false);
  if (id) CHECK(doc.at("id") == *id);
  else CHECK(doc.at("id").is_null());
  const auto decoded = protocol::decode_response(line);
  if (const auto* e = std::get_if<protocol::Error>(&decoded)) return *e;
  const auto& r = std::get<protocol::Response>(decoded);
  REQUIRE_FALSE(r.ok());
  return std::get<protocol::Error>(r.body);
}

std::vector<protocol::JobStatus> jobs_of(const std::string& line, std::uint64_t id) {
  const auto rows = protocol::parse_jobs_result(result_of(line, id));
  REQUIRE(rows.has_value());
  return *rows;
}

TEST_CASE("hello names the protocol and another protocol version is refused", "[handlers]") {
  HandlerRig h({make_spec()});
  h.send(R"({"id": 1, "method": "hello"})");
  const json r = result_of(h.take_reply(), 1);
  CHECK(r.at("protocol") == protocol::kProtocolVersion);
  CHECK(r.at("version").is_string());

  h.send(R"({"id": 2, "method": "hello", "params": {"protocol": 2}})");
  const auto e = error_of(h.take_reply(), 2);
  CHECK(e.code == ErrorCode::VersionMismatch);
  CHECK_THAT(e.message, Catch::Contains("2"));
}

TEST_CASE("an unknown job's error names the nearest job with the same code", "[handlers]") {
  HandlerRig h({named_spec("amsa"), named_spec("worker")});
  for (const std::string method : {"signal", "pid", "why", "stop"}) {
    CAPTURE(method);
    json params{{"job", "ams"}, {"signal", "USR1"}, {"jobs", json::array({"ams"})}};
    h.send(json{{"id", 7}, {"method", method}, {"params", params}}.dump());
    const auto e = error_of(h.take_reply(), 7);
    CHECK(e.code == ErrorCode::UnknownJob);
    CHECK(e.message == "no job named 'ams'; did you mean 'amsa'? see: supctl status");
  }
  h.send(R"({"id": 8, "method": "status", "params": {"jobs": ["zzzzzz"]}})");
  const auto e = error_of(h.take_reply(), 8);
  CHECK(e.code == ErrorCode::UnknownJob);
  CHECK(e.message == "no job named 'zzzzzz'; see: supctl status");  // nothing close: no guess
}

TEST_CASE("status of all jobs, of one, of an unknown one, of an invalid name", "[handlers]") {
  HandlerRig h({named_spec("a"), named_spec("b")});
  SECTION("all (no names, or 'all')") {
    const auto line = GENERATE(std::string(R"({"id": 3, "method": "status"})"),
                               std::string(R"({"id": 3, "method": "status", "params": {"jobs": ["all"]}})"));
    h.send(line);
    const auto rows = jobs_of(h.take_reply(), 3);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].name == "a");
    CHECK(rows[1].name == "b");
    CHECK(rows[0].state == "stopped");
    CHECK(rows[0].pid == std::nullopt);
    CHECK(rows[0].last_exit == std::nullopt);
    CHECK(rows[0].error == std::nullopt);
  }
  SECTION("one running job") {
    h.rig.sup.start(h.rig.job("b"), Origin::supd(), Clock::now());
    h.send(R"({"id": 4, "method": "status", "params": {"jobs": ["b"]}})");
    const auto rows = jobs_of(h.take_reply(), 4);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name == "b");
    CHECK(rows[0].state == "starting");
    CHECK(rows[0].pid == 1000);
  }
  SECTION("unknown job") {
    h.send(R"({"id": 5, "method": "status", "params": {"jobs": ["a", "nope"]}})");
    const auto e = error_of(h.take_reply(), 5);
    CHECK(e.code == ErrorCode::UnknownJob);
    CHECK_THAT(e.message, Catch::Contains("'nope'"));
  }
  SECTION("invalid name") {
    const auto name = GENERATE(as<std::string>{}, "a/b", "..", "", "-x", "amsa job");
    CAPTURE(name);
    h.send(json{{"id", 6}, {"method", "status"}, {"params", {{"jobs", json::array({name})}}}}.dump());
    CHECK(error_of(h.take_reply(), 6).code == ErrorCode::InvalidName);
  }
}

TEST_CASE("start waits until the job settles", "[handlers]") {
  HandlerRig h({make_spec({.start_secs = 1s})});
  h.send(R"({"id": 7, "method": "start", "params": {"jobs": ["amsa"]}})");
  CHECK(h.replies.empty());  // starting: not settled yet
  CHECK(h.rig.ops.calls == Calls{"spawn amsa"});
  h.handlers.after_event(Clock::now());
  CHECK(h.replies.empty());  // an event that settles nothing answers nothing

  h.fire_deadline();  // start_secs passed: running
  const auto rows = jobs_of(h.take_reply(), 7);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "running");
  CHECK(rows[0].pid == 1000);
  h.handlers.after_event(Clock::now());
  CHECK(h.replies.empty());  // answered once
}

TEST_CASE("start answers at once when the job is already settled", "[handlers]") {
  HandlerRig h({make_spec({.start_secs = 0s})});
  h.send(R"({"id": 8, "method": "start", "params": {"jobs": ["amsa"]}})");  // running on exec
  CHECK(jobs_of(h.take_reply(), 8).at(0).state == "running");
  h.send(R"({"id": 9, "method": "start", "params": {"jobs": ["amsa"]}})");  // already running
  CHECK(jobs_of(h.take_reply(), 9).at(0).state == "running");
  CHECK(h.rig.ops.calls == Calls{"spawn amsa"});
}

TEST_CASE("start --no-wait answers at once", "[handlers]") {
  HandlerRig h({named_spec("a"), named_spec("b")});
  h.send(R"({"id": 10, "method": "start", "params": {"jobs": ["all"], "wait": false}})");
  const auto rows = jobs_of(h.take_reply(), 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].state == "starting");
  CHECK(rows[1].state == "starting");
  CHECK(h.rig.ops.calls == Calls{"spawn a", "spawn b"});
  h.fire_deadline();
  CHECK(h.replies.empty());  // nobody waits
}

TEST_CASE("start of a job whose exec fails answers start_failed with the exec error", "[handlers]") {
  HandlerRig h({make_spec()});
  h.rig.ops.fail_next_spawn("exec nope: No such file or directory", true);
  h.send(R"({"id": 11, "method": "start", "params": {"jobs": ["amsa"]}})");
  const auto e = error_of(h.take_reply(), 11);  // fatal at once: settled, answered now
  CHECK(e.code == ErrorCode::StartFailed);
  CHECK_THAT(e.message, Catch::Contains("exec nope: No such file or directory"));
  CHECK_THAT(e.message, Catch::Contains("amsa"));
}

TEST_CASE("start of a crash-looping job answers start_failed once it goes fatal", "[handlers]") {
  HandlerRig h({make_spec({.start_retries = 1})});
  h.send(R"({"id": 12, "method": "start", "params": {"jobs": ["amsa"]}})");
  h.reap(1000, ExitStatus::exited(2));  // early exit: backoff, still waiting
  CHECK(h.replies.empty());
  h.fire_deadline();  // respawn
  CHECK(h.replies.empty());
  h.reap(1001, ExitStatus::exited(2));  // fatal
  const auto e = error_of(h.take_reply(), 12);
  CHECK(e.code == ErrorCode::StartFailed);
  CHECK_THAT(e.message, Catch::Contains("exited 2") && Catch::Contains("fatal"));
}

TEST_CASE("start of an unknown job spawns nothing, even beside a known one", "[handlers]") {
  HandlerRig h({make_spec()});
  h.send(R"({"id": 13, "method": "start", "params": {"jobs": ["amsa", "nope"]}})");
  CHECK(error_of(h.take_reply(), 13).code == ErrorCode::UnknownJob);
  CHECK(h.rig.ops.calls.empty());
}

TEST_CASE("stop waits until the group is empty but --no-wait does not", "[handlers]") {
  HandlerRig h({make_spec({.start_secs = 0s})});
  h.rig.sup.start(h.rig.job(), Origin::supd(), Clock::now());
  SECTION("wait") {
    h.send(R"({"id": 14, "method": "stop", "params": {"jobs": ["amsa"]}})");
    CHECK(h.replies.empty());
    h.reap(1000, ExitStatus::killed(SIGTERM), /*leftovers=*/true);
    CHECK(h.replies.empty());  // the group still has members
    h.rig.reap_orphan(1000, 1003, Clock::now());
    h.handlers.after_event(Clock::now());
    CHECK(jobs_of(h.take_reply(), 14).at(0).state == "stopped");
  }
  SECTION("no wait") {
    h.send(R"({"id": 15, "method": "stop", "params": {"jobs": ["amsa"], "wait": false}})");
    CHECK(jobs_of(h.take_reply(), 15).at(0).state == "stopping");
  }
  CHECK(h.rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group"});
}

TEST_CASE("restart waits through the stop and the new start", "[handlers]") {
  HandlerRig h({make_spec({.start_secs = 1s})});
  h.rig.sup.start(h.rig.job(), Origin::supd(), Clock::now());
  h.fire_deadline();
  h.send(R"({"id": 16, "method": "restart", "params": {"jobs": ["amsa"]}})");
  CHECK(h.replies.empty());
  h.reap(1000, ExitStatus::killed(SIGTERM));
  CHECK(h.replies.empty());  // starting again
  h.fire_deadline();
  const auto rows = jobs_of(h.take_reply(), 16);
  CHECK(rows.at(0).state == "running");
  CHECK(rows.at(0).pid == 1001);
  CHECK(h.rig.ops.calls == Calls{"spawn amsa", "signal 1000 TERM group", "spawn amsa"});
}

TEST_CASE("signal and pid", "[handlers]") {
  HandlerRig h({make_spec({.restart = RestartPolicy::Never})});
  SECTION("an invalid signal is invalid_signal") {
    h.rig.sup.start(h.rig.job(), Origin::supd(), Clock::now());
    const auto sig = GENERATE(as<std::string>{}, "NOPE", "0", "-1", "999", "", "SIG");
    CAPTURE(sig);
    h.send(json{{"id", 17}, {"method", "signal"}, {"params", {{"job", "amsa"}, {"signal", sig}}}}.dump());
    const auto e = error_of(h.take_reply(), 17);
    CHECK(e.code == ErrorCode::InvalidSignal);
    CHECK(h.rig.ops.calls == Calls{"spawn amsa"});
  }
  SECTION("signal and pid on a stopped job are not_running, nothing sent") {
    h.send(R"({"id": 18, "method": "signal", "params": {"job": "amsa", "signal": "USR1"}})");
    const auto e = error_of(h.take_reply(), 18);
    CHECK(e.code == ErrorCode::NotRunning);
    CHECK_THAT(e.message, Catch::Contains("supctl start amsa"));
    h.send(R"({"id": 19, "method": "pid", "params": {"job": "amsa"}})");
    CHECK(error_of(h.take_reply(), 19).code == ErrorCode::NotRunning);
    CHECK(h.rig.ops.calls.empty());
  }
  SECTION("signal and pid on an exited job are not_running, nothing sent (R83)") {
    h.rig.sup.start(h.rig.job(), Origin::supd(), Clock::now());
    h.reap(1000, ExitStatus::exited(0));
    REQUIRE(h.rig.job().rt.state == JobState::Exited);
    h.send(R"({"id": 20, "method": "signal", "params": {"job": "amsa", "signal": "USR1", "group": true}})");
    CHECK(error_of(h.take_reply(), 20).code == ErrorCode::NotRunning);
    h.send(R"({"id": 21, "method": "pid", "params": {"job": "amsa"}})");
    CHECK(error_of(h.take_reply(), 21).code == ErrorCode::NotRunning);
    CHECK(h.rig.ops.calls == Calls{"spawn amsa"});
  }
  SECTION("a running job: delivered, and pid prints the main pid") {
    h.rig.sup.start(h.rig.job(), Origin::supd(), Clock::now());
    h.send(R"({"id": 22, "method": "signal", "params": {"job": "amsa", "signal": "usr1"}})");
    const json r = result_of(h.take_reply(), 22);
    CHECK(r.at("pid") == 1000);
    CHECK(r.at("signal") == "USR1");
    CHECK(r.at("group") == false);
    h.send(R"({"id": 23, "method": "signal", "params": {"job": "amsa", "signal": 15, "group": true}})");
    CHECK(result_of(h.take_reply(), 23).at("signal") == "TERM");
    h.send(R"({"id": 24, "method": "pid", "params": {"job": "amsa"}})");
    CHECK(result_of(h.take_reply(), 24) == json{{"pid", 1000}});
    CHECK(h.rig.ops.calls == Calls{"spawn amsa", "signal 1000 USR1", "signal 1000 TERM group"});
  }
  SECTION("unknown job and invalid name") {
    h.send(R"({"id": 25, "method": "signal", "params": {"job": "nope", "signal": "USR1"}})");
    CHECK(error_of(h.take_reply(), 25).code == ErrorCode::UnknownJob);
    h.send(R"({"id": 26, "method": "pid", "params": {"job": "../x"}})");
    CHECK(error_of(h.take_reply(), 26).code == ErrorCode::InvalidName);
  }
}

struct BadLine {
  std::string line;
  ErrorCode code;
  std::optional<std::uint64_t> id;
};

TEST_CASE("malformed lines get an error reply with the right code, and supd goes on", "[handlers]") {
  const std::vector<BadLine> bad{
      {"not json", ErrorCode::BadRequest, std::nullopt},
      {"", ErrorCode::BadRequest, std::nullopt},
      {"   ", ErrorCode::BadRequest, std::nullopt},
      {"[1, 2]", ErrorCode::BadRequest, std::nullopt},
      {"42", ErrorCode::BadRequest, std::nullopt},
      {R"({"id": 1, "method": "status")", ErrorCode::BadRequest, std::nullopt},  // truncated
      {R"({"method": "status"})", ErrorCode::BadRequest, std::nullopt},
      {R"({"id": -1, "method": "status"})", ErrorCode::BadRequest, std::nullopt},
      {R"({"id": "7", "method": "status"})", ErrorCode::BadRequest, std::nullopt},
      {R"({"id": 7})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": 3})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "status", "params": [1]})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "status", "params": {"jobs": "amsa"}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "start"})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "start", "params": {"jobs": []}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "start", "params": {"jobs": ["amsa"], "wait": "yes"}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "signal", "params": {"job": "amsa"}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "signal", "params": {"signal": "USR1"}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "pid", "params": {"job": 5}})", ErrorCode::BadRequest, 7},
      {R"({"id": 7, "method": "hello", "params": {"protocol": "1"}})", ErrorCode::BadRequest, 7},
      {std::string(100, '[') + std::string(100, ']'), ErrorCode::BadRequest, std::nullopt},
      {std::string(protocol::kMaxLineBytes + 1, ' '), ErrorCode::TooLarge, std::nullopt},
      {R"({"id": 8, "method": "frobnicate"})", ErrorCode::UnknownMethod, 8},
      {R"({"id": 8, "method": "STATUS"})", ErrorCode::UnknownMethod, 8},
      {R"({"id": 8, "method": ""})", ErrorCode::UnknownMethod, 8},
  };
  const auto b = GENERATE_COPY(from_range(bad));
  CAPTURE(b.line.substr(0, 80), protocol::wire_name(b.code));
  HandlerRig h({make_spec()});
  h.send(b.line);
  CHECK(error_of(h.take_reply(), b.id).code == b.code);
  CHECK(h.rig.ops.calls.empty());

  h.send(R"({"id": 30, "method": "status", "params": {"jobs": ["amsa"], "unknown_field": true}, "extra": 1})");
  CHECK(jobs_of(h.take_reply(), 30).size() == 1);  // unknown fields ignored; the next request is served
}

TEST_CASE("shutdown answers only after on_shutdown_complete", "[handlers]") {
  HandlerRig h({named_spec("a", {.start_secs = 0s}), named_spec("b", {.start_secs = 0s})});
  h.rig.autostart(Clock::now());  // a=1000, b=1001, both running
  h.send(R"({"id": 40, "method": "shutdown"})");
  CHECK(h.replies.empty());
  CHECK(h.handlers.shutdown_requested());
  CHECK(h.rig.sup.shutting_down());
  CHECK(h.rig.ops.calls == Calls{"spawn a", "spawn b", "signal 1000 TERM group", "signal 1001 TERM group"});

  h.send(R"({"id": 41, "method": "start", "params": {"jobs": ["a"]}})");  // no new work
  CHECK(error_of(h.take_reply(), 41).code == ErrorCode::ShuttingDown);
  h.send(R"({"id": 42, "method": "restart", "params": {"jobs": ["a"], "wait": false}})");
  CHECK(error_of(h.take_reply(), 42).code == ErrorCode::ShuttingDown);
  h.send(R"({"id": 43, "method": "status"})");  // reads still work
  CHECK(jobs_of(h.take_reply(), 43).at(0).state == "stopping");

  h.reap(1000, ExitStatus::killed(SIGTERM));
  CHECK_FALSE(h.rig.sup.shutdown_complete());
  h.reap(1001, ExitStatus::killed(SIGTERM));
  CHECK(h.replies.empty());  // after_event alone does not answer a shutdown
  REQUIRE(h.rig.sup.shutdown_complete());
  h.handlers.on_shutdown_complete();
  const json r = result_of(h.take_reply(), 40);
  CHECK(r.at("stopped") == 2);
  CHECK(h.rig.ops.calls.size() == 4);  // nothing spawned during the shutdown
}

TEST_CASE("a waiter still pending when supd finishes shutting down is refused", "[handlers]") {
  HandlerRig h({make_spec({.start_secs = 1s})});
  h.send(R"({"id": 50, "method": "start", "params": {"jobs": ["amsa"]}})");
  CHECK(h.replies.empty());
  h.handlers.on_shutdown_complete();
  CHECK(error_of(h.take_reply(), 50).code == ErrorCode::ShuttingDown);
  h.fire_deadline();
  CHECK(h.replies.empty());  // answered once only
}

}  // namespace
}  // namespace supd::daemon
