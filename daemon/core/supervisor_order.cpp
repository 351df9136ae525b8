// The Supervisor's order side: a start that starts what the job depends on first and leaves it
// waiting until each condition holds, and a stop that stops what depends on the job first. The
// rules are daemon/core/dependencies.hpp's; this file feeds the state machine what they decide.
#include <algorithm>

#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

void Supervisor::note_order() {
  has_order_ = std::any_of(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.spec.depends_on.empty(); });
}

OrderView Supervisor::view_of(const Job& job) const {
  OrderView v;
  v.name = job.spec.name;
  v.depends_on = &job.spec.depends_on;
  v.state = job.rt.state;
  v.has_process = job.rt.main_alive || job.process.pgid != 0;
  v.completed = job.postmortem.last_exit && job.postmortem.last_exit->success();
  v.health = job.health.status;
  v.reason = job.rt.reason;
  return v;
}

StartVerdict Supervisor::verdict_for(const Job& job) {
  return start_verdict(view_of(job), [this](std::string_view name) -> const OrderView* {
    const Job* d = own_find(name);
    if (d == nullptr) return nullptr;
    scratch_ = view_of(*d);  // used before the next dependency is looked up
    return &scratch_;
  });
}

void Supervisor::start_ordered(Job& job, const Origin& who, TimePoint now, std::size_t depth) {
  job.order.stop_queued.reset();  // a start cancels a stop still waiting for its dependents
  if (job.rt.state == JobState::Stopping) {  // its dependencies are looked at once it is down
    job.order.start_after_stop = true;
    order_queued_ = true;
    return;
  }
  // What it depends on and is down (or failed) is started first; the config has no cycles, and
  // the depth bound keeps a reload's half-applied graph from recursing forever.
  for (const auto& dependency : job.spec.depends_on) {
    Job* d = own_find(dependency.job);
    if (d == nullptr || depth > jobs_.size()) continue;
    const auto p = progress(dependency.condition, view_of(*d));
    if (p == Progress::Down || p == Progress::Failed) start_ordered(*d, who, now, depth + 1);
  }
  const auto verdict = verdict_for(job);
  job.order.blocked = verdict.blocked;
  if (verdict.start) return feed(job, StartRequested{}, now, who);
  feed(job, WaitRequested{verdict.reason}, now, who);
}

void Supervisor::queue_stop(Job& job, const StopRequest& request) {
  job.order.start_after_stop = false;
  if (job.order.stop_queued) return;
  job.order.stop_queued = request;
  order_queued_ = true;
  job.order.blocked = false;
  for (auto& other : jobs_) {  // what depends on it goes first (and what depends on that)
    const auto& deps = other.spec.depends_on;
    const bool dependent = std::any_of(deps.begin(), deps.end(), [&](const config::Dependency& d) {
      return d.job == job.spec.name;
    });
    if (dependent && up(view_of(other)))
      queue_stop(other, StopRequest{request.who, "stopping " + job.spec.name + ", which it depends on"});
  }
}

void Supervisor::settle_order(TimePoint now) {
  // Nothing queued and nothing waiting, as when every job is up: an event walks no job.
  if (ordering_ || (!order_queued_ && counts_[static_cast<std::size_t>(JobState::Waiting)] == 0)) return;
  ordering_ = true;
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& job : jobs_) {
      if (job.order.stop_queued) {
        const bool dependents_down = std::none_of(jobs_.begin(), jobs_.end(), [&](const Job& other) {
          const auto& deps = other.spec.depends_on;
          return &other != &job && up(view_of(other)) &&
                 std::any_of(deps.begin(), deps.end(), [&](const config::Dependency& d) { return d.job == job.spec.name; });
        });
        if (!dependents_down) continue;
        const StopRequest request = *job.order.stop_queued;
        stop_now(job, now, request);
        changed = true;
        continue;
      }
      if (job.order.start_after_stop && is_idle(job.rt.state) && !job.rt.main_alive) {
        job.order.start_after_stop = false;
        start_ordered(job, Origin::supd(), now, 0);
        changed = true;
        continue;
      }
      if (job.rt.state != JobState::Waiting) continue;
      const auto verdict = verdict_for(job);
      job.order.blocked = verdict.blocked;
      if (verdict.start) {
        feed(job, StartRequested{}, now, Origin::supd());
        changed = true;
      } else if (verdict.reason != job.rt.reason) {
        feed(job, WaitRequested{verdict.reason}, now, Origin::supd());
      }
    }
  }
  order_queued_ = std::any_of(jobs_.begin(), jobs_.end(),
                              [](const Job& j) { return j.order.stop_queued || j.order.start_after_stop; });
  ordering_ = false;
}

}  // namespace supd::daemon
