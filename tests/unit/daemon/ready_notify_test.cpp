// ready = "notify" on the fake clock: a notify job stays starting (no start_secs deadline)
// until READY=1, an exit before it is a failed start, and the supervisor hands the job its own
// NOTIFY_SOCKET from the ReadyChannels seam. The parsing and sender check of the listener too.
#include <string>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "daemon/core/backoff.hpp"
#include "daemon/core/job_state.hpp"
#include "daemon/control/ready_listener.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon_fakes.hpp"
#include "job_state_util.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;

JobSpec notify_spec(SpecOptions o = {}) {
  auto spec = make_spec(o);
  spec.ready = config::Readiness::Notify;
  return spec;
}

TEST_CASE("notify: starting until READY=1, however long start_secs passed", "[job_state][notify]") {
  const auto spec = notify_spec({.start_secs = 1s});
  auto s = started(spec, t0);
  CHECK(s.next.state == S::Starting);
  CHECK(s.next.deadline == std::nullopt);  // no start_secs timer
  CHECK(s.next.main_alive);

  s = step(s.next, spec, DeadlineReached{}, t0 + 1h);  // a stray deadline changes nothing
  CHECK(s.next.state == S::Starting);

  s = step(s.next, spec, ReadyNotified{}, t0 + 2h);
  CHECK(s.next.state == S::Running);
  CHECK(s.next.quick_exits == 0);
  CHECK(s.next.deadline == std::nullopt);
  CHECK(s.actions.empty());

  SECTION("a second READY=1 while running changes nothing") {
    auto again = step(s.next, spec, ReadyNotified{}, t0 + 3h);
    CHECK(again.next == s.next);
    CHECK(again.actions.empty());
  }
}

TEST_CASE("notify: start_secs = 0 does not make a notify job running at exec", "[job_state][notify]") {
  const auto spec = notify_spec({.start_secs = 0s});
  auto s = started(spec, t0);
  CHECK(s.next.state == S::Starting);
  CHECK(step(s.next, spec, ReadyNotified{}, t0 + 1ms).next.state == S::Running);
}

TEST_CASE("notify: an exit before READY=1 is a failed start", "[job_state][notify]") {
  const auto spec = notify_spec({.start_retries = 1, .backoff_initial = 2s});
  auto s = started(spec, t0);
  s = step(s.next, spec, exited(0), t0 + 10min);  // even exit 0, even long after start_secs
  CHECK(s.next.state == S::Backoff);
  CHECK(s.next.quick_exits == 1);
  CHECK(s.next.deadline == t0 + 10min + kFirstRetry);
  CHECK(s.next.reason == "exited 0 before READY=1 (in " + spec.directory.string() + ")");
  CHECK(s.actions == Actions{KillLeftovers{}});

  s = step(s.next, spec, DeadlineReached{}, t0 + 11min);
  REQUIRE(s.actions == Actions{SpawnProcess{}});
  s = step(s.next, spec, Spawned{}, t0 + 11min);
  s = step(s.next, spec, killed(SIGSEGV), t0 + 12min);
  CHECK(s.next.state == S::Fatal);  // start_retries = 1: the second failed start gives up
}

TEST_CASE("notify: READY=1 before the exec is confirmed, or with no process, is ignored", "[job_state][notify]") {
  const auto spec = notify_spec();
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);  // spawn asked, not yet Spawned
  CHECK(step(s.next, spec, ReadyNotified{}, t0).next.state == S::Starting);
  CHECK(step(JobRuntime{}, spec, ReadyNotified{}, t0).next.state == S::Stopped);
}

TEST_CASE("notify: a stop while waiting for READY=1 stops the job", "[job_state][notify]") {
  const auto spec = notify_spec();
  auto s = step(started(spec, t0).next, spec, StopRequested{}, t0 + 1s);
  CHECK(s.next.state == S::Stopping);
  CHECK(s.actions == Actions{SendSignal{SIGTERM, true}});
}

TEST_CASE("start_secs jobs ignore READY=1", "[job_state][notify]") {
  const auto spec = make_spec({.start_secs = 3s});
  auto s = started(spec, t0);
  CHECK(step(s.next, spec, ReadyNotified{}, t0 + 1s).next.state == S::Starting);
}

class FakeChannels final : public ReadyChannels {
public:
  std::vector<std::string> calls;
  std::string fail;  // when set, open() fails with it
  std::string open(const std::string& job, std::string& error) override {
    calls.push_back("open " + job);
    if (!fail.empty()) {
      error = fail;
      return {};
    }
    return "/run/supd.sock.notify/" + job;
  }
  void close(const std::string& job) override { calls.push_back("close " + job); }
};

TEST_CASE("supervisor: a notify job is spawned with its own NOTIFY_SOCKET and runs on READY=1", "[supervisor][notify]") {
  Rig rig({notify_spec(), named_spec("plain")});
  FakeChannels channels;
  rig.sup.set_ready_channels(&channels);
  TimePoint t{};
  rig.sup.start(rig.job(), Origin::supd(), t);
  CHECK(rig.ops.last_environment.at("NOTIFY_SOCKET") == "/run/supd.sock.notify/amsa");
  CHECK(rig.job().spec.environment.count("NOTIFY_SOCKET") == 0);  // the spec itself is untouched
  rig.sup.on_deadline(t += 5s);
  CHECK(rig.job().rt.state == JobState::Starting);
  rig.sup.on_ready(rig.job(), Origin::peer(1000, rig.job().process.pid), t += 1s);
  CHECK(rig.job().rt.state == JobState::Running);

  rig.sup.start(rig.job("plain"), Origin::supd(), t);
  CHECK(rig.ops.last_environment.count("NOTIFY_SOCKET") == 0);
  CHECK(channels.calls == std::vector<std::string>{"open amsa", "close plain"});
}

TEST_CASE("supervisor: no notify socket is a retriable spawn failure", "[supervisor][notify]") {
  Rig rig({notify_spec()});
  FakeChannels channels;
  channels.fail = "ready = \"notify\": mkdir x: No space left on device";
  rig.sup.set_ready_channels(&channels);
  rig.sup.start(rig.job(), Origin::supd(), TimePoint{});
  CHECK(rig.ops.calls.empty());  // nothing spawned without its socket
  CHECK(rig.job().rt.state == JobState::Backoff);
  CHECK(rig.job().rt.reason == channels.fail);
}

TEST_CASE("notify messages: READY=1 and STATUS= lines, other lines ignored", "[notify]") {
  auto m = parse_notify_message("STATUS=loading\nREADY=1\nMAINPID=42\n");
  CHECK(m.ready);
  CHECK(m.status == "loading");
  m = parse_notify_message("READY=0");
  CHECK_FALSE(m.ready);
  CHECK_FALSE(m.status);
  CHECK(parse_notify_message("STATUS=").status == "");
  CHECK_FALSE(parse_notify_message("XREADY=1\nREADY=10").ready);
}

TEST_CASE("notify senders: the main pid or a member of its process group", "[notify]") {
  const pid_t me = ::getpid();
  CHECK(sender_in_job(me, me, 0));
  CHECK(sender_in_job(me, 1, ::getpgrp()));           // in the group
  CHECK_FALSE(sender_in_job(me, 1, ::getpgrp() + 1));  // not in it
  CHECK_FALSE(sender_in_job(0, 0, ::getpgrp()));       // unknown sender (another pid namespace)
}

}  // namespace
}  // namespace supd::daemon
