// Shared by the job state machine tests: the fake clock's origin, exit events, and runtimes
// reached by driving step() from a fresh job (never built by hand, so they are real states).
#pragma once
#include <algorithm>
#include <csignal>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "common/exit_status.hpp"
#include "daemon/core/job_state.hpp"
#include "daemon_fakes.hpp"

namespace supd::daemon::test {

using S = JobState;
using Actions = std::vector<JobAction>;

inline const TimePoint t0{};  // the fake clock: just a value

inline ProcessExited exited(int code, bool group_empty = true) { return {ExitStatus::exited(code), group_empty}; }
inline ProcessExited killed(int signo, bool group_empty = true) { return {ExitStatus::killed(signo), group_empty}; }

// How many SpawnProcess actions a step asked for (count_if: comparing whole variants trips a
// false -Wmaybe-uninitialized in g++ 12 under the sanitizers).
inline long spawn_count(const Actions& actions) {
  return std::count_if(actions.begin(), actions.end(),
                       [](const JobAction& a) { return std::holds_alternative<SpawnProcess>(a); });
}

// Idle as the diagram says (the tests do not borrow the rule they check).
inline bool diagram_idle(S s) { return s == S::Stopped || s == S::Exited || s == S::Fatal; }

// A fresh job after `start` and a successful exec: starting (or running when start_secs = 0).
inline Step started(const JobSpec& spec, TimePoint t) {
  auto s = step(JobRuntime{}, spec, StartRequested{}, t);
  REQUIRE(s.actions == Actions{SpawnProcess{}});
  return step(s.next, spec, Spawned{}, t);
}

inline JobRuntime running(const JobSpec& spec, TimePoint t) {
  auto s = started(spec, t);
  if (s.next.state == S::Starting) s = step(s.next, spec, DeadlineReached{}, t + spec.start_secs);
  REQUIRE(s.next.state == S::Running);
  return s.next;
}

inline JobRuntime stopping(const JobSpec& spec, TimePoint t) {
  auto s = step(running(spec, t), spec, StopRequested{}, t);
  REQUIRE(s.next.state == S::Stopping);
  return s.next;
}

// Starting, then an early exit: backoff after one failed start.
inline JobRuntime backoff(const JobSpec& spec, TimePoint t) {
  auto s = step(started(spec, t).next, spec, exited(1), t + 100ms);
  REQUIRE(s.next.state == S::Backoff);
  return s.next;
}

}  // namespace supd::daemon::test
