// The pure job state machine on a fake clock that is just a TimePoint value: every edge of the
// diagram in daemon/core/job_state.hpp, the restart policy matrix (R18) and the backoff schedule (R19).
// The allowed-edge table and the random walk (R20) are in job_state_property_test.cpp.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "daemon/core/backoff.hpp"
#include "daemon/core/job_state.hpp"
#include "job_state_util.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using common::ExitStatus;
using config::RestartPolicy;
using namespace test;
// ---- the edges, one by one -----------------------------------------------------------------

TEST_CASE("stopped -> starting: a start request spawns the process", "[job_state]") {
  const auto spec = make_spec();
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
  CHECK(s.next.state == S::Starting);
  CHECK(s.next.want_up);
  CHECK_FALSE(s.next.main_alive);
  CHECK(s.actions == Actions{SpawnProcess{}});

  SECTION("the exec succeeds: main process alive, start_secs deadline armed") {
    s = step(s.next, spec, Spawned{}, t0 + 5ms);
    CHECK(s.next.state == S::Starting);
    CHECK(s.next.main_alive);
    CHECK(s.next.deadline == t0 + 5ms + spec.start_secs);
    CHECK(s.actions.empty());
  }
  SECTION("restart on a stopped job starts it too") {
    auto r = step(JobRuntime{}, spec, RestartRequested{}, t0);
    CHECK(r.next.state == S::Starting);
    CHECK(r.actions == Actions{SpawnProcess{}});
  }
}

TEST_CASE("stopped -> running: a process a previous supd left is adopted", "[job_state]") {
  const auto spec = make_spec({.start_secs = 3s});
  SECTION("up longer than start_secs: running, its uptime kept") {
    const auto s = step(JobRuntime{}, spec, Adopted{t0 - 1h}, t0);
    CHECK(s.next.state == S::Running);
    CHECK(s.next.reason == "adopted");
    CHECK(s.next.want_up);
    CHECK(s.next.main_alive);
    CHECK(s.next.spawned_at == t0 - 1h);
    CHECK(s.next.deadline == std::nullopt);
    CHECK(s.actions.empty());  // nothing spawned: the process is there
  }
  SECTION("still inside start_secs: starting until they have passed") {
    const auto s = step(JobRuntime{}, spec, Adopted{t0 - 1s}, t0);
    CHECK(s.next.state == S::Starting);
    CHECK(s.next.deadline == t0 + 2s);
    CHECK(s.actions.empty());
  }
  SECTION("only a fresh job adopts: one with a process of its own stays as it is") {
    const auto running = started(spec, t0).next;
    CHECK(step(running, spec, Adopted{t0 - 1h}, t0).next == running);
  }
}

TEST_CASE("stopped -> exited or fatal: a job handed over by an upgrade is restored", "[job_state]") {
  const auto spec = make_spec();
  const auto s = step(JobRuntime{}, spec, Restored{S::Fatal, "exec x: No such file or directory"}, t0);
  CHECK(s.next.state == S::Fatal);
  CHECK(s.next.reason == "exec x: No such file or directory");
  CHECK_FALSE(s.next.want_up);
  CHECK(s.actions.empty());
  // A state with a process cannot be restored without one.
  CHECK(step(JobRuntime{}, spec, Restored{S::Running, "?"}, t0).next == JobRuntime{});
}

TEST_CASE("starting -> running once start_secs have passed", "[job_state][R23]") {
  const auto spec = make_spec({.start_secs = 3s});
  auto s = started(spec, t0);
  REQUIRE(s.next.deadline == t0 + 3s);
  s = step(s.next, spec, DeadlineReached{}, t0 + 3s);
  CHECK(s.next.state == S::Running);
  CHECK(s.next.deadline == std::nullopt);
  CHECK(s.next.quick_exits == 0);
  CHECK(s.next.main_alive);
  CHECK(s.actions.empty());
}

TEST_CASE("start_secs = 0: running as soon as the exec succeeded", "[job_state]") {
  const auto spec = make_spec({.start_secs = 0s});
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
  s = step(s.next, spec, Spawned{}, t0);
  CHECK(s.next.state == S::Running);
  CHECK(s.next.main_alive);
  CHECK(s.next.deadline == std::nullopt);
  CHECK(s.actions.empty());
}

TEST_CASE("backoff_delay doubles from backoff_initial and stops at backoff_max", "[job_state][backoff]") {
  CHECK(backoff_delay(1, 1000ms, 60000ms) == 1000ms);
  CHECK(backoff_delay(2, 1000ms, 60000ms) == 2000ms);
  CHECK(backoff_delay(3, 1000ms, 60000ms) == 4000ms);
  CHECK(backoff_delay(6, 1000ms, 60000ms) == 32000ms);
  CHECK(backoff_delay(7, 1000ms, 60000ms) == 60000ms);
  CHECK(backoff_delay(1000000, 1000ms, 60000ms) == 60000ms);  // no overflow on a long crash loop
  CHECK(backoff_delay(1, 5000ms, 3000ms) == 3000ms);          // initial above the cap: the cap
}

TEST_CASE("retry_delay: the first failed start in a row is retried after 80 ms, then the backoff doubles",
          "[job_state][backoff]") {
  CHECK(retry_delay(1, 1000ms, 60000ms) == 80ms);  // up again within systemd's RestartSec: a blip
  CHECK(retry_delay(2, 1000ms, 60000ms) == 1000ms);
  CHECK(retry_delay(3, 1000ms, 60000ms) == 2000ms);
  CHECK(retry_delay(8, 1000ms, 60000ms) == 60000ms);
  CHECK(retry_delay(1000000, 1000ms, 60000ms) == 60000ms);
  CHECK(retry_delay(1, 20ms, 60000ms) == 20ms);  // a shorter backoff_initial is shorter still
  CHECK(retry_delay(1, 1000ms, 50ms) == 50ms);   // and so is a shorter cap
}

TEST_CASE("early exits: the first retried after 80 ms, then a doubling delay capped at backoff_max (R19)", "[job_state][R19]") {
  const auto spec = make_spec({.start_secs = 1s, .start_retries = 10, .backoff_initial = 1s, .backoff_max = 5s});
  const std::vector<milliseconds> expected{80ms, 1s, 2s, 4s, 5s, 5s, 5s};
  auto s = started(spec, t0);
  TimePoint now = t0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    now += 300ms;  // dies before start_secs
    s = step(s.next, spec, exited(1), now);
    CHECK(s.next.state == S::Backoff);
    CHECK(s.next.quick_exits == static_cast<int>(i) + 1);
    CHECK(s.next.deadline == now + expected[i]);
    CHECK_FALSE(s.next.main_alive);
    CHECK(s.next.reason == "exited 1 before start_secs (in " + spec.directory.string() + ")");  // where it ran
    CHECK(s.actions == Actions{KillLeftovers{}});
    now = *s.next.deadline;
    s = step(s.next, spec, DeadlineReached{}, now);  // BACKOFF -> STARTING
    CHECK(s.next.state == S::Starting);
    CHECK(s.actions == Actions{SpawnProcess{}});
    s = step(s.next, spec, Spawned{}, now);
  }
}

TEST_CASE("start_retries = 3 means 4 spawns, then fatal (R19)", "[job_state][R19]") {
  const int retries = GENERATE(0, 1, 3);
  CAPTURE(retries);
  const auto spec = make_spec({.start_retries = retries});
  JobRuntime rt;
  TimePoint now = t0;
  int spawns = 0;
  auto feed = [&](const JobEvent& ev) {
    auto s = step(rt, spec, ev, now);
    spawns += static_cast<int>(spawn_count(s.actions));
    rt = s.next;
  };
  feed(StartRequested{});
  for (int i = 0; i < 20 && rt.state != S::Fatal; ++i) {
    feed(Spawned{});
    now += 100ms;
    feed(exited(1));
    if (rt.state == S::Backoff) {
      now = *rt.deadline;
      feed(DeadlineReached{});
    }
  }
  CHECK(spawns == retries + 1);
  CHECK(rt.state == S::Fatal);
  CHECK_FALSE(rt.want_up);
  CHECK(rt.deadline == std::nullopt);
  CHECK(rt.reason == fmt::format("exited 1 before start_secs (in {}); gave up after {} failed starts", spec.directory.string(), retries + 1));
  feed(DeadlineReached{});  // nothing more happens by itself
  CHECK(spawns == retries + 1);
}

TEST_CASE("a run past start_secs resets the count of failed starts", "[job_state][R19]") {
  const auto spec = make_spec({.restart = RestartPolicy::Always, .start_retries = 1});
  auto s = started(spec, t0);
  s = step(s.next, spec, exited(1), t0 + 100ms);  // failed start 1 of 2 allowed
  REQUIRE(s.next.state == S::Backoff);
  REQUIRE(s.next.quick_exits == 1);
  s = step(s.next, spec, DeadlineReached{}, *s.next.deadline);
  s = step(s.next, spec, Spawned{}, t0 + 2s);
  s = step(s.next, spec, DeadlineReached{}, t0 + 3s);  // up for start_secs: a good start
  REQUIRE(s.next.state == S::Running);
  CHECK(s.next.quick_exits == 0);

  s = step(s.next, spec, exited(1), t0 + 60s);  // RUNNING -> STARTING at once
  CHECK(s.next.state == S::Starting);
  CHECK(s.actions == Actions{KillLeftovers{}, SpawnProcess{}});
  s = step(s.next, spec, Spawned{}, t0 + 60s);
  s = step(s.next, spec, exited(1), t0 + 60s + 100ms);  // an early exit: the first of a new run
  CHECK(s.next.state == S::Backoff);  // not fatal: the budget was reset
  CHECK(s.next.quick_exits == 1);
  CHECK(s.next.deadline == t0 + 60s + 100ms + kFirstRetry);  // and the delay starts over
}

TEST_CASE("a permanent spawn failure is fatal at once, with its message, and no retry", "[job_state]") {
  const auto spec = make_spec({.restart = RestartPolicy::Always, .start_retries = 5});
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
  s = step(s.next, spec, SpawnFailed{"exec nope: No such file or directory", true}, t0);
  CHECK(s.next.state == S::Fatal);
  CHECK(s.next.reason == "exec nope: No such file or directory");
  CHECK_FALSE(s.next.want_up);
  CHECK_FALSE(s.next.main_alive);
  CHECK(s.next.deadline == std::nullopt);
  CHECK(s.actions.empty());
}

TEST_CASE("a transient spawn failure backs off and counts as a failed start", "[job_state]") {
  const auto spec = make_spec({.start_retries = 1, .backoff_initial = 2s});
  const SpawnFailed eagain{"fork: Resource temporarily unavailable", false};
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
  s = step(s.next, spec, eagain, t0);
  CHECK(s.next.state == S::Backoff);
  CHECK(s.next.deadline == t0 + kFirstRetry);  // the first in a row: retried soon
  CHECK(s.next.quick_exits == 1);
  CHECK(s.next.reason == eagain.message);
  CHECK(s.actions.empty());

  s = step(s.next, spec, DeadlineReached{}, t0 + 2s);
  CHECK(s.actions == Actions{SpawnProcess{}});
  s = step(s.next, spec, eagain, t0 + 2s);  // the second failure exhausts start_retries = 1
  CHECK(s.next.state == S::Fatal);
  CHECK(s.next.reason == eagain.message + "; gave up after 2 failed starts");
}

// ---- R18: the restart policy matrix --------------------------------------------------------

struct PolicyRow {
  RestartPolicy policy;
  std::string outcome;  // "exit 0", "exit 1", "SIGKILL", "SIGSEGV", "user stop"
  bool restarts;
};

TEST_CASE("restart policy matrix: restart exactly when the policy says (R18)", "[job_state][R18]") {
  using P = RestartPolicy;
  const std::vector<PolicyRow> rows{
      {P::Always, "exit 0", true},     {P::Always, "exit 1", true},     {P::Always, "SIGKILL", true},
      {P::Always, "SIGSEGV", true},    {P::Always, "user stop", false},
      {P::OnFailure, "exit 0", false}, {P::OnFailure, "exit 1", true},  {P::OnFailure, "SIGKILL", true},
      {P::OnFailure, "SIGSEGV", true}, {P::OnFailure, "user stop", false},
      {P::Never, "exit 0", false},     {P::Never, "exit 1", false},     {P::Never, "SIGKILL", false},
      {P::Never, "SIGSEGV", false},    {P::Never, "user stop", false},
  };
  const auto row = GENERATE_COPY(from_range(rows));
  const auto spec = make_spec({.restart = row.policy});
  CAPTURE(config::to_string(row.policy), row.outcome);
  const TimePoint t = t0 + 1h;
  JobRuntime rt = running(spec, t0);

  if (row.outcome == "user stop") {
    auto s = step(rt, spec, StopRequested{}, t);
    CHECK(s.next.state == S::Stopping);
    CHECK_FALSE(s.next.want_up);
    s = step(s.next, spec, killed(SIGTERM), t + 1s);  // dies of the stop signal
    CHECK(s.next.state == S::Stopped);
    CHECK(s.actions.empty());  // no SpawnProcess: a user stop never restarts
    CHECK(s.next.deadline == std::nullopt);
    return;
  }
  const ProcessExited ev = row.outcome == "exit 0"    ? exited(0)
                           : row.outcome == "exit 1"  ? exited(1)
                           : row.outcome == "SIGKILL" ? killed(SIGKILL)
                                                      : ProcessExited{ExitStatus::killed(SIGSEGV, true), true};
  auto s = step(rt, spec, ev, t);
  CHECK_FALSE(s.next.main_alive);
  CHECK(s.next.reason == common::describe(ev.status));
  if (row.restarts) {
    CHECK(s.next.state == S::Starting);
    CHECK(s.next.want_up);
    CHECK(s.actions == Actions{KillLeftovers{}, SpawnProcess{}});  // leftovers go first
  } else {
    CHECK(s.next.state == S::Exited);  // restart = never: EXITED whatever the code
    CHECK_FALSE(s.next.want_up);
    CHECK(s.actions == Actions{KillLeftovers{}});
  }
  CHECK(s.next.deadline == std::nullopt);
}

TEST_CASE("an exit before start_secs is a failed start, except under restart = never", "[job_state][R18]") {
  using P = RestartPolicy;
  const auto policy = GENERATE(P::Always, P::OnFailure, P::Never);
  const int code = GENERATE(0, 1);
  CAPTURE(config::to_string(policy), code);
  const auto spec = make_spec({.restart = policy});
  auto s = step(started(spec, t0).next, spec, exited(code), t0 + 100ms);
  CHECK(s.actions == Actions{KillLeftovers{}});
  if (policy == P::Never) {
    CHECK(s.next.state == S::Exited);
    CHECK(s.next.deadline == std::nullopt);
    CHECK_FALSE(s.next.want_up);
  } else {  // "up this long = started; earlier exit = failed start", whatever the code
    CHECK(s.next.state == S::Backoff);
    CHECK(s.next.deadline == t0 + 100ms + kFirstRetry);
  }
}

// ---- stopping ------------------------------------------------------------------------------

TEST_CASE("a stop in starting or running sends the stop signal to the group and arms stop_timeout",
          "[job_state]") {
  const auto spec = make_spec({.stop_signal = SIGINT, .stop_timeout = 7s});
  const bool from_running = GENERATE(false, true);
  CAPTURE(from_running);
  const JobRuntime rt = from_running ? running(spec, t0) : started(spec, t0).next;
  auto s = step(rt, spec, StopRequested{}, t0 + 2s);
  CHECK(s.next.state == S::Stopping);
  CHECK(s.actions == Actions{SendSignal{SIGINT, true}});
  CHECK(s.next.deadline == t0 + 2s + 7s);
  CHECK_FALSE(s.next.want_up);
  CHECK_FALSE(s.next.kill_sent);
  CHECK(s.next.main_alive);
  CHECK(s.next.reason == "stop requested");
}

TEST_CASE("stop_timeout passed: SIGKILL to the group, then kKillGrace", "[job_state][R12]") {
  const auto spec = make_spec({.stop_timeout = 10s});
  auto s = step(stopping(spec, t0), spec, DeadlineReached{}, t0 + 10s);
  CHECK(s.next.state == S::Stopping);
  CHECK(s.actions == Actions{SendSignal{SIGKILL, true}});
  CHECK(s.next.kill_sent);
  CHECK(s.next.deadline == t0 + 10s + kKillGrace);

  SECTION("the process dies of it: stopped") {
    s = step(s.next, spec, killed(SIGKILL), t0 + 10s + 1ms);
    CHECK(s.next.state == S::Stopped);
    CHECK(s.actions.empty());
    CHECK(s.next.deadline == std::nullopt);
    CHECK_FALSE(s.next.kill_sent);
    CHECK_FALSE(s.next.main_alive);
  }
  SECTION("main reaped, the group lingers past kKillGrace: the stop finishes anyway, no more signals") {
    s = step(s.next, spec, killed(SIGKILL, false), t0 + 10s + 1ms);
    CHECK(s.next.state == S::Stopping);
    CHECK(s.actions.empty());
    s = step(s.next, spec, DeadlineReached{}, t0 + 10s + kKillGrace);
    CHECK(s.next.state == S::Stopped);
    CHECK(s.actions.empty());
    CHECK(s.next.deadline == std::nullopt);
  }
  SECTION("main survives SIGKILL for kKillGrace: still stopping, no deadline, until it is reaped") {
    s = step(s.next, spec, DeadlineReached{}, t0 + 10s + kKillGrace);
    CHECK(s.next.state == S::Stopping);
    CHECK(s.actions.empty());
    CHECK(s.next.deadline == std::nullopt);
    s = step(s.next, spec, killed(SIGKILL), t0 + 1h);
    CHECK(s.next.state == S::Stopped);
  }
}

TEST_CASE("a stop is finished when the whole group is empty, not when main exits", "[job_state]") {
  const auto spec = make_spec();
  const JobRuntime st = stopping(spec, t0);
  auto s = step(st, spec, GroupEmptied{}, t0 + 1s);  // cannot be while main lives: ignored
  CHECK(s.next == st);
  s = step(st, spec, killed(SIGTERM, /*group_empty=*/false), t0 + 1s);
  CHECK(s.next.state == S::Stopping);
  CHECK_FALSE(s.next.main_alive);
  CHECK(s.next.deadline == st.deadline);  // stop_timeout still covers the group
  CHECK(s.actions.empty());
  s = step(s.next, spec, GroupEmptied{}, t0 + 2s);
  CHECK(s.next.state == S::Stopped);
  CHECK(s.next.deadline == std::nullopt);
  CHECK(s.actions.empty());
}

TEST_CASE("restart is a stop, then a start", "[job_state][R22]") {
  const auto spec = make_spec({.stop_signal = SIGTERM});
  const bool from_running = GENERATE(false, true);
  CAPTURE(from_running);
  const JobRuntime rt = from_running ? running(spec, t0) : started(spec, t0).next;
  auto s = step(rt, spec, RestartRequested{}, t0 + 5s);
  CHECK(s.next.state == S::Stopping);
  CHECK(s.next.want_up);
  CHECK(s.actions == Actions{SendSignal{SIGTERM, true}});
  s = step(s.next, spec, killed(SIGTERM), t0 + 6s);
  CHECK(s.next.state == S::Starting);
  CHECK(s.actions == Actions{SpawnProcess{}});
  CHECK(s.next.quick_exits == 0);
  CHECK(s.next.reason == "restart requested");
  s = step(s.next, spec, Spawned{}, t0 + 6s);
  s = step(s.next, spec, DeadlineReached{}, t0 + 7s);
  CHECK(s.next.state == S::Running);
}

TEST_CASE("a stop during backoff cancels the pending restart", "[job_state][R14]") {
  const auto spec = make_spec();
  const JobRuntime b = backoff(spec, t0);
  const TimePoint pending = *b.deadline;
  auto s = step(b, spec, StopRequested{}, t0 + 200ms);
  CHECK(s.next.state == S::Stopped);
  CHECK(s.next.deadline == std::nullopt);
  CHECK_FALSE(s.next.want_up);
  CHECK(s.actions.empty());  // nothing to signal: there is no process
  s = step(s.next, spec, DeadlineReached{}, pending);  // a late timer does nothing
  CHECK(s.next.state == S::Stopped);
  CHECK(s.actions.empty());
}

TEST_CASE("a stop in stopped, exited or fatal", "[job_state][R14]") {
  SECTION("stopped: nothing changes") {
    const auto spec = make_spec();
    const JobRuntime rt;
    auto s = step(rt, spec, StopRequested{}, t0);
    CHECK(s.next == rt);
    CHECK(s.actions.empty());
  }
  SECTION("exited: stopped, nothing sent") {
    const auto spec = make_spec({.restart = RestartPolicy::Never});
    auto s = step(running(spec, t0), spec, exited(0), t0 + 5s);
    REQUIRE(s.next.state == S::Exited);
    s = step(s.next, spec, StopRequested{}, t0 + 6s);
    CHECK(s.next.state == S::Stopped);
    CHECK(s.actions.empty());
  }
  SECTION("fatal: stopped, nothing sent") {
    const auto spec = make_spec();
    auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
    s = step(s.next, spec, SpawnFailed{"exec nope: Permission denied", true}, t0);
    REQUIRE(s.next.state == S::Fatal);
    s = step(s.next, spec, StopRequested{}, t0 + 1s);
    CHECK(s.next.state == S::Stopped);
    CHECK(s.next.deadline == std::nullopt);
    CHECK(s.actions.empty());
  }
}

TEST_CASE("a start during stopping restarts the job once the stop completes", "[job_state]") {
  const auto spec = make_spec();
  const JobRuntime st = stopping(spec, t0);
  auto s = step(st, spec, StartRequested{}, t0 + 1s);
  CHECK(s.next.state == S::Stopping);
  CHECK(s.next.want_up);
  CHECK(s.next.deadline == st.deadline);
  CHECK(s.actions.empty());  // nothing spawned while the old instance lives

  SECTION("the stop completes: starting") {
    s = step(s.next, spec, killed(SIGTERM), t0 + 2s);
    CHECK(s.next.state == S::Starting);
    CHECK(s.actions == Actions{SpawnProcess{}});
  }
  SECTION("a later stop wins: stopped") {
    s = step(s.next, spec, StopRequested{}, t0 + 1500ms);
    CHECK_FALSE(s.next.want_up);
    s = step(s.next, spec, killed(SIGTERM), t0 + 2s);
    CHECK(s.next.state == S::Stopped);
    CHECK(s.actions.empty());
  }
}

TEST_CASE("a start in backoff, exited or fatal spawns at once with a fresh budget", "[job_state]") {
  const auto spec = make_spec({.start_retries = 0});
  SECTION("backoff") {
    const auto spec3 = make_spec({.start_retries = 3});
    auto s = step(backoff(spec3, t0), spec3, StartRequested{}, t0 + 200ms);
    CHECK(s.next.state == S::Starting);
    CHECK(s.next.quick_exits == 0);
    CHECK(s.next.deadline == std::nullopt);
    CHECK(s.actions == Actions{SpawnProcess{}});
  }
  SECTION("fatal after a crash loop") {
    auto s = step(started(spec, t0).next, spec, exited(1), t0 + 100ms);
    REQUIRE(s.next.state == S::Fatal);
    s = step(s.next, spec, StartRequested{}, t0 + 1s);
    CHECK(s.next.state == S::Starting);
    CHECK(s.next.want_up);
    CHECK(s.next.quick_exits == 0);
    CHECK(s.actions == Actions{SpawnProcess{}});
  }
  SECTION("exited") {
    const auto never = make_spec({.restart = RestartPolicy::Never});
    auto s = step(running(never, t0), never, exited(0), t0 + 5s);
    REQUIRE(s.next.state == S::Exited);
    s = step(s.next, never, StartRequested{}, t0 + 6s);
    CHECK(s.next.state == S::Starting);
    CHECK(s.actions == Actions{SpawnProcess{}});
  }
}

TEST_CASE("requests and events that do not apply change nothing", "[job_state]") {
  const auto spec = make_spec();
  SECTION("start while running: no second instance") {
    const JobRuntime rt = running(spec, t0);
    for (const JobEvent& ev : std::vector<JobEvent>{StartRequested{}, Spawned{}, GroupEmptied{}, DeadlineReached{}}) {
      auto s = step(rt, spec, ev, t0 + 1h);
      CHECK(s.next == rt);
      CHECK(s.actions.empty());
    }
  }
  SECTION("start while starting") {
    const JobRuntime rt = started(spec, t0).next;
    auto s = step(rt, spec, StartRequested{}, t0 + 100ms);
    CHECK(s.next == rt);
    CHECK(s.actions.empty());
  }
  SECTION("timers and exits on a stopped job") {
    const JobRuntime rt;
    for (const JobEvent& ev : std::vector<JobEvent>{DeadlineReached{}, GroupEmptied{}, Spawned{}, JobEvent{exited(1)}}) {
      auto s = step(rt, spec, ev, t0);
      CHECK(s.next == rt);
      CHECK(s.actions.empty());
    }
  }
}

TEST_CASE("start_secs = 0 and an instant crash: backoff, then fatal, never a tight loop", "[job_state][R21]") {
  auto spec = make_spec();
  spec.start_secs = 0ms;
  spec.restart = RestartPolicy::Always;
  spec.start_retries = 2;
  auto t = t0;
  auto s = step(JobRuntime{}, spec, StartRequested{}, t);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    s = step(s.next, spec, Spawned{}, t);
    REQUIRE(s.next.state == S::Running);
    s = step(s.next, spec, exited(1), t += 10ms);  // dies 10 ms after its exec
    if (attempt <= 2) {
      REQUIRE(s.next.state == S::Backoff);
      CHECK(s.actions == Actions{KillLeftovers{}});
      s = step(s.next, spec, DeadlineReached{}, t = *s.next.deadline);
      REQUIRE(s.actions == Actions{SpawnProcess{}});
    }
  }
  CHECK(s.next.state == S::Fatal);

  SECTION("a job that stayed up past kMinUptimeForInstantRestart restarts at once, budget renewed") {
    auto r = step(JobRuntime{}, spec, StartRequested{}, t0);
    r = step(r.next, spec, Spawned{}, t0);
    r = step(r.next, spec, exited(1), t0 + kMinUptimeForInstantRestart);
    CHECK(r.next.state == S::Starting);
    CHECK(r.next.quick_exits == 0);
    CHECK(r.actions == Actions{KillLeftovers{}, SpawnProcess{}});
  }
}

}  // namespace
}  // namespace supd::daemon
