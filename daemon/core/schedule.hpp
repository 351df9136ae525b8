// When a job with `schedule` (five-field cron, local time) or `every` runs next: pure, given the
// steady clock's now and the wall clock at the same instant, so tests drive both. supd starts
// the job then unless it is still running (never twice at once); runs missed while supd was
// down are not made up, since only the next time after now is ever computed.
#pragma once
#include <chrono>
#include <optional>

#include "config/job_spec.hpp"
#include "daemon/core/clock.hpp"

namespace supd::daemon {

struct NextRun {
  TimePoint at{};                               // on the steady clock: the supervisor's deadline
  std::chrono::system_clock::time_point wall{};  // the same instant as people read it (next_run)
  bool operator==(const NextRun&) const = default;
};

// nullopt for a job with neither, or a cron expression that matches nothing within 5 years.
std::optional<NextRun> next_run(const config::JobSpec& spec, TimePoint now, std::chrono::system_clock::time_point wall);

bool is_scheduled(const config::JobSpec& spec);

}  // namespace supd::daemon
