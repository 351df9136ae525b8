// Which jobs may start and which may stop, given what they depend on (DESIGN.md,
// "Dependencies"): pure functions of the jobs' states, no clock and no syscalls. The
// supervisor asks them after every event and feeds the state machine what they decide:
//   - a start request starts what the job depends on first (transitively) and leaves the
//     job `waiting`, saying for what, until each condition holds;
//   - a requested stop stops the jobs that depend on it first: a job's own stop waits until
//     nothing that depends on it is still up (stop all and shutdown: reverse order).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/job_spec.hpp"
#include "daemon/core/job_state.hpp"

namespace supd::daemon {

// A job's health as its check last said: none (no check, or not running), starting (no
// verdict yet), healthy, unhealthy.
enum class Health { None, Starting, Healthy, Unhealthy };
std::string_view to_string(Health health);  // "starting", "healthy", "unhealthy" ("" for None)

// What the rules need to know of one job.
struct OrderView {
  std::string_view name;
  const std::vector<config::Dependency>* depends_on = nullptr;
  JobState state = JobState::Stopped;
  bool has_process = false;  // a process or a non-empty group remains
  bool completed = false;    // its last run exited with code 0
  Health health = Health::None;
  std::string_view reason;   // why it is in its state ("exited 1; gave up after 4 failed starts")
};

// Where a dependency stands for one condition.
enum class Progress {
  Holds,   // the condition is met
  Coming,  // on its way (starting, waiting, backing off, health not yet known...)
  Down,    // stopped: needs a start
  Failed,  // fatal, or exited without meeting it: a start of the dependent starts it again
};
Progress progress(config::Condition condition, const OrderView& dependency);

// What a waiting job waits for, in words: "waiting for db to be healthy", "db is fatal: ...".
std::string wait_reason(const config::Dependency& dependency, const OrderView& view, Progress progress);

// The verdict on one job whose start is wanted: start it now, or wait (with the reason, and
// whether it is stuck on a dependency that failed).
struct StartVerdict {
  bool start = false;
  std::string reason;
  bool blocked = false;
};
// `find` gives the view of a job by name (nullptr: unknown; such an edge is ignored).
template <class Find>
StartVerdict start_verdict(const OrderView& job, Find find) {
  StartVerdict verdict{true, {}, false};
  if (job.depends_on == nullptr) return verdict;
  for (const auto& dependency : *job.depends_on) {
    const OrderView* view = find(dependency.job);
    if (view == nullptr) continue;
    const Progress p = progress(dependency.condition, *view);
    if (p == Progress::Holds) continue;
    if (verdict.start) verdict.reason = wait_reason(dependency, *view, p);  // the first one that does not hold
    verdict.start = false;
    verdict.blocked = verdict.blocked || p == Progress::Failed || p == Progress::Down;
  }
  return verdict;
}

// A job whose stop was asked for may be stopped once no job that depends on it is still up.
bool up(const OrderView& job);  // has a process, or will start one (starting, running, backoff, waiting...)
template <class Dependents>
bool may_stop(const OrderView&, const Dependents& dependents) {
  for (const OrderView* d : dependents)
    if (up(*d)) return false;
  return true;
}

}  // namespace supd::daemon
