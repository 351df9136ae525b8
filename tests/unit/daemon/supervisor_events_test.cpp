// The supervisor's events and post-mortems over the fakes: a stop by a client is recorded with
// its sender through the transition, the signal and the exit; `why`'s verdict is decided at
// the reap; next_try_s follows the retry deadline.
#include <csignal>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "daemon/core/supervisor.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;
using common::ExitStatus;

const Origin kUser = Origin::peer(1000, 4242, "/usr/bin/supctl");

std::vector<std::string> lines(Supervisor& sup) {
  std::vector<std::string> out;
  for (const auto& e : sup.events().history("amsa")) out.push_back(common::describe(e));
  return out;
}

TEST_CASE("a stop by a client: transition, signal and exit are events, why names the sender", "[supervisor][events]") {
  Rig rig({make_spec({.start_secs = 0s})});
  rig.sup.events().set_log_sink({});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.sup.stop(rig.job(), kUser, t += 10s);
  rig.reap(1000, ExitStatus::killed(SIGTERM), t += 10ms);
  CHECK(lines(rig.sup) == std::vector<std::string>{
                              "amsa stopped -> starting: start requested by uid 1000 pid 4242 (supctl)",
                              "amsa spawn: pid 1000 (amsa) by uid 1000 pid 4242 (supctl)",
                              "amsa starting -> running: started by uid 1000 pid 4242 (supctl)",
                              "amsa running -> stopping: stop requested by uid 1000 pid 4242 (supctl)",
                              "amsa signal: SIGTERM to process group 1000 (stop requested) by supd",
                              "amsa exit: pid 1000 killed by SIGTERM",
                              "amsa stopping -> stopped: stopped",
                          });
  const auto& d = rig.job().postmortem.last_death;
  REQUIRE(d);
  CHECK(d->pid == 1000);
  CHECK(d->uptime_s == Approx(10.01));
  CHECK(d->cause.kind == "stop");
  REQUIRE(d->cause.who);
  CHECK(d->cause.who->pid == 4242);
  const auto exit = rig.sup.events().history("amsa").at(5);
  CHECK(exit.exit == ExitStatus::killed(SIGTERM));
  CHECK(exit.pid == 1000);

  rig.sup.record(nullptr, "config", "reloaded: 1 changed");
  CHECK(rig.sup.events().history(std::nullopt).back().reason == "reloaded: 1 changed");
}

TEST_CASE("a death nobody in supd caused is external, and a new run forgets the old stop", "[supervisor][events]") {
  Rig rig({make_spec({.start_secs = 0s})});
  rig.sup.events().set_log_sink({});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  rig.reap(1000, ExitStatus::killed(SIGKILL), t += 5s);  // restarted (on-failure)
  REQUIRE(rig.job().postmortem.last_death);
  CHECK(rig.job().postmortem.last_death->cause.kind == "external");
  CHECK(rig.job().rt.state == JobState::Running);
  rig.reap(1001, ExitStatus::exited(3), t += 5s);
  CHECK(rig.job().postmortem.last_death->cause.kind == "self");
  CHECK(rig.job().postmortem.last_death->status == ExitStatus::exited(3));
}

TEST_CASE("next_try_s counts down to the backoff or fatal_retry_after deadline", "[supervisor][events]") {
  Rig rig({make_spec({.start_retries = 0, .fatal_retry_after = 5min})});
  rig.sup.events().set_log_sink({});
  TimePoint t{};
  rig.sup.start(rig.job(), kUser, t);
  CHECK(Supervisor::next_try_s(rig.job(), t) == std::nullopt);  // starting: nothing pending
  rig.reap(1000, ExitStatus::exited(1), t += 100ms);
  REQUIRE(rig.job().rt.state == JobState::Fatal);
  CHECK(Supervisor::next_try_s(rig.job(), t + 1min) == Approx(240.0));
  CHECK(rig.sup.status_of(rig.job(), t + 1min).next_try_s == Approx(240.0));
  rig.sup.on_deadline(t += 5min);
  CHECK(rig.job().rt.state == JobState::Starting);
  CHECK(rig.ops.calls == std::vector<std::string>{"spawn amsa", "spawn amsa"});
}

}  // namespace
}  // namespace supd::daemon

namespace supd::daemon {
namespace {

TEST_CASE("an OOM kill in the job's cgroup is named with its memory limit", "[supervisor][events][cgroup]") {
  auto spec = test::make_spec({.start_secs = 0s});
  spec.cgroup.memory_max = 256ull << 20;
  test::Rig rig({spec});
  rig.sup.events().set_log_sink({});
  TimePoint t{};
  rig.ops.oom_kill_count = 0;
  rig.sup.start(rig.job(), Origin::supd(), t);
  rig.ops.oom_kill_count = 1;  // the kernel's count in the job's memory.events grew
  rig.reap(1000, common::ExitStatus::killed(SIGKILL), t += 5s);
  const auto& d = rig.job().postmortem.last_death;
  REQUIRE(d);
  CHECK(d->cause.kind == "oom");
  CHECK(d->cause.text == "the kernel's OOM killer: the job's cgroup reached memory_max = 256 MiB");
  const auto history = rig.sup.events().history("amsa");
  const auto exit = std::find_if(history.begin(), history.end(), [](const common::Event& e) { return e.kind == "exit"; });
  REQUIRE(exit != history.end());
  CHECK(exit->reason == "pid 1000 killed by SIGKILL (the OOM killer: memory_max = 256 MiB)");
}

TEST_CASE("a limit the job cannot have is one warning event however often it starts", "[supervisor][events][cgroup]") {
  test::Rig rig({test::make_spec({.start_secs = 0s})});
  rig.sup.events().set_log_sink({});
  rig.ops.spawn_warnings = {"memory_max is not applied: the memory controller is not delegated to supd here"};
  TimePoint t{};
  for (int run = 0; run < 3; ++run) {
    rig.sup.start(rig.job(), Origin::supd(), t += 1s);
    rig.sup.stop(rig.job(), Origin::supd(), t += 1s);
    rig.reap(rig.job().process.pid, common::ExitStatus::killed(SIGTERM), t += 10ms);
  }
  const auto history = rig.sup.events().history("amsa");
  CHECK(std::count_if(history.begin(), history.end(), [](const common::Event& e) { return e.kind == "warning"; }) == 1);
}

}  // namespace
}  // namespace supd::daemon
