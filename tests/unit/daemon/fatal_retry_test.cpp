// fatal_retry_after: a crash loop degrades to a slow retry instead of staying FATAL for good.
// Driven on the fake clock; the edge fatal -> starting is in the allowed table already.
#include <catch2/catch.hpp>

#include "daemon/core/job_state.hpp"
#include "job_state_util.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using namespace test;

// Spawns and early exits until FATAL; returns the runtime and the time it went fatal.
std::pair<JobRuntime, TimePoint> crash_to_fatal(const JobSpec& spec, TimePoint now) {
  JobRuntime rt = step(JobRuntime{}, spec, StartRequested{}, now).next;
  for (int i = 0; i < 50 && rt.state != S::Fatal; ++i) {
    rt = step(rt, spec, Spawned{}, now).next;
    now += 100ms;
    rt = step(rt, spec, exited(1), now).next;
    if (rt.state == S::Backoff) {
      now = *rt.deadline;
      rt = step(rt, spec, DeadlineReached{}, now).next;
    }
  }
  REQUIRE(rt.state == S::Fatal);
  return {rt, now};
}

TEST_CASE("fatal_retry_after: FATAL gets a deadline and retries with one spawn", "[job_state][fatal_retry]") {
  const auto spec = make_spec({.start_retries = 2, .fatal_retry_after = 5min});
  auto [rt, at] = crash_to_fatal(spec, t0);
  CHECK(rt.deadline == at + 5min);
  CHECK_FALSE(rt.want_up);

  auto s = step(rt, spec, DeadlineReached{}, at + 5min);
  CHECK(s.next.state == S::Starting);
  CHECK(s.next.want_up);
  CHECK(s.next.reason == "retrying after fatal_retry_after");
  CHECK(spawn_count(s.actions) == 1);

  SECTION("failing quickly again: straight back to FATAL, waiting again") {
    auto t = at + 5min;
    auto r = step(s.next, spec, Spawned{}, t).next;
    r = step(r, spec, exited(1), t + 100ms).next;
    CHECK(r.state == S::Fatal);
    CHECK(r.deadline == t + 100ms + 5min);
  }
  SECTION("staying up past start_secs: running, and the retry budget is whole again") {
    auto t = at + 5min;
    auto r = step(s.next, spec, Spawned{}, t).next;
    r = step(r, spec, DeadlineReached{}, t + spec.start_secs).next;
    CHECK(r.state == S::Running);
    CHECK(r.quick_exits == 0);
    r = step(r, spec, exited(1), t + 1h).next;  // a later crash starts over with backoff
    CHECK(r.state == S::Starting);
  }
  SECTION("a stop while waiting cancels the retry") {
    auto r = step(rt, spec, StopRequested{}, at + 1s).next;
    CHECK(r.state == S::Stopped);
    CHECK(r.deadline == std::nullopt);
  }
  SECTION("a start while waiting spawns at once with a fresh budget") {
    auto r = step(rt, spec, StartRequested{}, at + 1s).next;
    CHECK(r.state == S::Starting);
    CHECK(r.quick_exits == 0);
  }
}

TEST_CASE("fatal_retry_after also retries a permanent spawn error", "[job_state][fatal_retry]") {
  const auto spec = make_spec({.fatal_retry_after = 1min});
  auto s = step(JobRuntime{}, spec, StartRequested{}, t0);
  s = step(s.next, spec, SpawnFailed{"exec x: No such file or directory", true}, t0);
  CHECK(s.next.state == S::Fatal);
  CHECK(s.next.deadline == t0 + 1min);
  s = step(s.next, spec, DeadlineReached{}, t0 + 1min);
  CHECK(s.next.state == S::Starting);
}

TEST_CASE("without fatal_retry_after FATAL has no deadline", "[job_state][fatal_retry]") {
  const auto spec = make_spec({.start_retries = 0});
  auto [rt, at] = crash_to_fatal(spec, t0);
  CHECK(rt.deadline == std::nullopt);
  CHECK(step(rt, spec, DeadlineReached{}, at + 24h).next.state == S::Fatal);
}

}  // namespace
}  // namespace supd::daemon
