// A job's health check as a pure state machine (DESIGN.md, "health"): when the next check is
// due, and what a check's result makes of the job's health. No clock and no syscalls: the
// supervisor runs the checks through the HealthProbes seam and feeds their results in here.
//   none --running--> starting --pass--> healthy --`retries` failures in a row--> unhealthy
//   starting --`retries` failures (after start_period)--> unhealthy --pass--> healthy
//   any --not running--> none
// Failures within start_period of the start do not count (a slow warm-up is not a failure).
#pragma once
#include <optional>
#include <string>

#include "config/job_spec.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/dependencies.hpp"

namespace supd::daemon {

struct HealthRuntime {
  Health status = Health::None;
  int failures = 0;                    // consecutive failures that counted
  std::optional<TimePoint> next_check;  // none while a check runs, or without a check
  bool checking = false;               // a check is out: its result comes back once
  TimePoint since{};                   // when the job began running: start_period counts from it
  std::string last_output;             // the last check's words ("HTTP 503", its output), bounded
  bool operator==(const HealthRuntime&) const = default;
};

// The most of a check's output kept (for `why` and the events).
inline constexpr std::size_t kHealthOutputBytes = 512;

// The job began running: its first check is due at once.
HealthRuntime health_begin(TimePoint now);

struct HealthVerdict {
  HealthRuntime next;
  bool changed = false;  // the status changed: an event
  bool restart = false;  // it just became unhealthy and on_unhealthy = "restart"
};
HealthVerdict health_result(const HealthRuntime& health, const config::HealthCheck& check, bool passed,
                            std::string output, TimePoint now);

// A check is due now (or overdue) and none is out.
bool health_due(const HealthRuntime& health, TimePoint now);

}  // namespace supd::daemon
