#include "daemon/core/job_state.hpp"

#include <fmt/format.h>

#include "daemon/core/backoff.hpp"

namespace supd::daemon {
namespace {

using config::RestartPolicy;

Step stay(const JobRuntime& job) { return {job, {}}; }  // s6's nop

Step enter(JobRuntime next, JobState state, std::optional<TimePoint> deadline, std::string reason,
           std::vector<JobAction> actions = {}) {
  next.state = state;
  next.deadline = deadline;
  next.reason = std::move(reason);
  if (state != JobState::Stopping) next.kill_sent = false;
  return {std::move(next), std::move(actions)};
}

Step spawn(JobRuntime next, std::string reason) {
  return enter(std::move(next), JobState::Starting, std::nullopt, std::move(reason), {SpawnProcess{}});
}

Step begin_stop(JobRuntime next, const config::JobSpec& spec, TimePoint now, bool want_up, std::string reason) {
  next.want_up = want_up;
  return enter(std::move(next), JobState::Stopping, now + spec.stop_timeout, std::move(reason),
               {SendSignal{spec.stop_signal, true}});
}

// The group is empty and the main process reaped: the stop is over.
Step finish_stop(JobRuntime next) {
  next.main_alive = false;
  if (next.want_up) {  // a restart: stop first, then start
    next.quick_exits = 0;
    return spawn(std::move(next), "restart requested");
  }
  return enter(std::move(next), JobState::Stopped, std::nullopt, "stopped");
}

// With fatal_retry_after, FATAL is not final: one more spawn once this deadline passes.
std::optional<TimePoint> fatal_deadline(const config::JobSpec& spec, TimePoint now) {
  if (!spec.fatal_retry_after) return std::nullopt;
  return now + *spec.fatal_retry_after;
}

// A start failed (early exit or a retriable spawn error): retry after a backoff, or give up.
Step failed_start(JobRuntime next, const config::JobSpec& spec, TimePoint now, const std::string& why,
                  std::vector<JobAction> actions = {}) {
  ++next.quick_exits;
  if (next.quick_exits > spec.start_retries) {  // STARTING -> FATAL ("gave up")
    next.want_up = false;
    return enter(std::move(next), JobState::Fatal, fatal_deadline(spec, now),
                 fmt::format("{}; gave up after {} failed starts", why, next.quick_exits), std::move(actions));
  }
  const auto delay = retry_delay(next.quick_exits, spec.backoff_initial, spec.backoff_max);
  return enter(std::move(next), JobState::Backoff, now + delay, why, std::move(actions));  // STARTING -> BACKOFF
}

bool wants_restart(RestartPolicy policy, const common::ExitStatus& status) {
  switch (policy) {
  case RestartPolicy::Always: return true;
  case RestartPolicy::OnFailure: return !status.success();  // a signal death counts as failure
  case RestartPolicy::Never: return false;
  }
  return false;
}

// Only a fresh job (stopped, no process) takes what a previous supd left.
Step from_previous_supd(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& ev, TimePoint now) {
  if (job.state != JobState::Stopped || job.main_alive) return stay(job);
  JobRuntime next = job;
  if (const auto* e = std::get_if<Adopted>(&ev)) {
    next.want_up = true;
    next.main_alive = true;
    next.quick_exits = 0;
    next.spawned_at = e->spawned_at;
    // Still inside start_secs: let it finish. A notify job may have sent READY=1 to the old
    // supd already, and nothing tells: it counts as running.
    const auto up_at = e->spawned_at + spec.start_secs;
    if (spec.ready == config::Readiness::StartSecs && up_at > now)
      return enter(std::move(next), JobState::Starting, up_at, "adopted");
    return enter(std::move(next), JobState::Running, std::nullopt, "adopted");
  }
  const auto& r = std::get<Restored>(ev);
  if (!is_idle(r.state)) return stay(job);
  return enter(std::move(next), r.state, std::nullopt, r.reason);
}

// Wanted up, but what it depends on does not hold yet (the supervisor starts it when it does).
Step wait_for(const JobRuntime& job, const std::string& reason) {
  JobRuntime next = job;
  next.want_up = true;
  next.quick_exits = 0;
  return enter(std::move(next), JobState::Waiting, std::nullopt, reason);
}

Step from_waiting(const JobRuntime& job, const JobEvent& ev) {
  if (std::holds_alternative<StartRequested>(ev)) return spawn(job, "dependencies ready");
  if (const auto* e = std::get_if<WaitRequested>(&ev)) return wait_for(job, e->reason);  // a new reason
  if (std::holds_alternative<StopRequested>(ev)) {
    JobRuntime next = job;
    next.want_up = false;
    return enter(std::move(next), JobState::Stopped, std::nullopt, "stop requested");
  }
  return stay(job);
}

Step from_idle(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& ev, TimePoint now) {  // stopped, exited, fatal
  if (std::holds_alternative<Adopted>(ev) || std::holds_alternative<Restored>(ev))
    return from_previous_supd(job, spec, ev, now);
  if (std::holds_alternative<DeadlineReached>(ev) && job.state == JobState::Fatal && job.deadline) {
    JobRuntime next = job;  // fatal_retry_after passed: one fresh try, and one failure is fatal again
    next.want_up = true;
    next.quick_exits = spec.start_retries;  // reaching running resets it to 0
    return spawn(std::move(next), "retrying after fatal_retry_after");
  }
  if (std::holds_alternative<StartRequested>(ev) || std::holds_alternative<RestartRequested>(ev)) {
    JobRuntime next = job;
    next.want_up = true;
    next.quick_exits = 0;
    return spawn(std::move(next), "start requested");
  }
  if (const auto* e = std::get_if<WaitRequested>(&ev)) return wait_for(job, e->reason);
  if (std::holds_alternative<StopRequested>(ev) && job.state != JobState::Stopped) {
    JobRuntime next = job;
    next.want_up = false;
    return enter(std::move(next), JobState::Stopped, std::nullopt, "stop requested");
  }
  return stay(job);
}

Step from_starting(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& ev, TimePoint now) {
  JobRuntime next = job;
  const bool notify = spec.ready == config::Readiness::Notify;
  const bool listen = spec.ready == config::Readiness::Listen;
  if (std::holds_alternative<Spawned>(ev)) {
    next.main_alive = true;
    next.spawned_at = now;
    if (notify)  // no deadline: starting until READY=1 or an exit (docs/design-decisions.md)
      return enter(std::move(next), JobState::Starting, std::nullopt, job.reason);
    if (listen)  // looked at every kListenPoll until one of its processes listens
      return enter(std::move(next), JobState::Starting, now + kListenPoll, job.reason);
    if (spec.start_secs.count() == 0)  // running as soon as exec succeeded; the retry
      return enter(std::move(next), JobState::Running, std::nullopt, "started");  // budget resets at the exit

    return enter(std::move(next), JobState::Starting, now + spec.start_secs, job.reason);
  }
  if (const auto* e = std::get_if<SpawnFailed>(&ev)) {
    next.main_alive = false;
    if (e->permanent) {  // a missing binary won't fix itself: no crash loop
      next.want_up = false;
      return enter(std::move(next), JobState::Fatal, fatal_deadline(spec, now), e->message);
    }
    return failed_start(std::move(next), spec, now, e->message);
  }
  if (std::holds_alternative<DeadlineReached>(ev) && job.main_alive && listen)  // not listening yet
    return enter(std::move(next), JobState::Starting, now + kListenPoll, job.reason);
  if (std::holds_alternative<DeadlineReached>(ev) && job.main_alive && !notify) {  // up for start_secs
    next.quick_exits = 0;
    return enter(std::move(next), JobState::Running, std::nullopt, "started");
  }
  if (std::holds_alternative<ReadyNotified>(ev) && job.main_alive && (notify || listen)) {
    next.quick_exits = 0;
    return enter(std::move(next), JobState::Running, std::nullopt, listen ? "started (listening)" : "started (READY=1)");
  }
  if (const auto* e = std::get_if<ProcessExited>(&ev)) {  // died before start_secs
    next.main_alive = false;
    const auto what = common::describe(e->status);
    if (spec.restart == RestartPolicy::Never) {  // never restarted, whatever the code
      next.want_up = false;
      return enter(std::move(next), JobState::Exited, std::nullopt, what, {KillLeftovers{}});
    }
    // Where it ran: a relative path that named nothing there is the usual early exit.
    return failed_start(std::move(next), spec, now,
                        fmt::format("{} {} (in {})", what,
                                    notify ? "before READY=1" : listen ? "before listening" : "before start_secs",
                                    spec.directory.string()),
                        {KillLeftovers{}});
  }
  if (!job.main_alive && std::holds_alternative<StopRequested>(ev)) {  // its spawn still queued: it never ran
    next.want_up = false;
    return enter(std::move(next), JobState::Stopped, std::nullopt, "stop requested");
  }
  if (!job.main_alive && std::holds_alternative<RestartRequested>(ev)) return stay(job);  // spawns as queued
  if (std::holds_alternative<StopRequested>(ev))
    return begin_stop(std::move(next), spec, now, false, "stop requested");
  if (std::holds_alternative<RestartRequested>(ev))
    return begin_stop(std::move(next), spec, now, true, "restart requested");
  return stay(job);
}

Step from_running(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& ev, TimePoint now) {
  JobRuntime next = job;
  if (const auto* e = std::get_if<ProcessExited>(&ev)) {
    next.main_alive = false;
    const auto what = common::describe(e->status);
    if (wants_restart(spec.restart, e->status)) {
      if (now - job.spawned_at < kMinUptimeForInstantRestart)  // barely up: a failed start
        return failed_start(std::move(next), spec, now,
                            fmt::format("{} right after starting (in {})", what, spec.directory.string()),
                            {KillLeftovers{}});
      next.quick_exits = 0;  // it was up: a fresh retry budget
      return {spawn(std::move(next), what).next, {KillLeftovers{}, SpawnProcess{}}};  // RUNNING -> STARTING
    }
    next.want_up = false;
    return enter(std::move(next), JobState::Exited, std::nullopt, what, {KillLeftovers{}});
  }
  if (std::holds_alternative<StopRequested>(ev))
    return begin_stop(std::move(next), spec, now, false, "stop requested");
  if (std::holds_alternative<RestartRequested>(ev))
    return begin_stop(std::move(next), spec, now, true, "restart requested");
  return stay(job);
}

Step from_backoff(const JobRuntime& job, const JobEvent& ev) {
  JobRuntime next = job;
  if (std::holds_alternative<DeadlineReached>(ev)) return spawn(std::move(next), "retrying after backoff");
  if (const auto* e = std::get_if<WaitRequested>(&ev)) return wait_for(job, e->reason);
  if (std::holds_alternative<StartRequested>(ev) || std::holds_alternative<RestartRequested>(ev)) {
    next.quick_exits = 0;  // a person asked: a fresh budget, no waiting
    return spawn(std::move(next), "start requested");
  }
  if (std::holds_alternative<StopRequested>(ev)) {  // cancels the pending restart
    next.want_up = false;
    return enter(std::move(next), JobState::Stopped, std::nullopt, "stop requested");
  }
  return stay(job);
}

Step from_stopping(const JobRuntime& job, const JobEvent& ev, TimePoint now) {
  JobRuntime next = job;
  if (const auto* e = std::get_if<ProcessExited>(&ev)) {
    next.main_alive = false;
    if (e->group_empty) return finish_stop(std::move(next));
    return {std::move(next), {}};  // wait for the rest of the group (or the deadline)
  }
  if (std::holds_alternative<GroupEmptied>(ev) && !job.main_alive) return finish_stop(std::move(next));
  if (std::holds_alternative<DeadlineReached>(ev)) {
    if (!job.kill_sent) {  // stop_timeout passed: SIGKILL the whole group
      next.kill_sent = true;
      return enter(std::move(next), JobState::Stopping, now + kKillGrace, "stop_timeout passed, sent SIGKILL",
                   {SendSignal{SIGKILL, true}});
    }
    if (!job.main_alive) return finish_stop(std::move(next));  // only unkillable (D-state) leftovers
    return enter(std::move(next), JobState::Stopping, std::nullopt, "main process survived SIGKILL");
  }
  if (std::holds_alternative<StartRequested>(ev) || std::holds_alternative<RestartRequested>(ev)) {
    next.want_up = true;  // start again once the stop is done
    return {std::move(next), {}};
  }
  if (std::holds_alternative<StopRequested>(ev)) {
    next.want_up = false;  // a stop after a restart request: stay down
    return {std::move(next), {}};
  }
  return stay(job);
}

}  // namespace

std::string_view to_string(JobState state) {
  switch (state) {
  case JobState::Stopped: return "stopped";
  case JobState::Starting: return "starting";
  case JobState::Running: return "running";
  case JobState::Backoff: return "backoff";
  case JobState::Stopping: return "stopping";
  case JobState::Exited: return "exited";
  case JobState::Fatal: return "fatal";
  case JobState::Waiting: return "waiting";
  }
  return "unknown";
}

bool is_idle(JobState state) {
  return state == JobState::Stopped || state == JobState::Exited || state == JobState::Fatal;
}

bool is_settled(JobState state) {
  return state == JobState::Stopped || state == JobState::Running || state == JobState::Exited ||
         state == JobState::Fatal;
}

Step step(const JobRuntime& job, const config::JobSpec& spec, const JobEvent& event, TimePoint now) {
  switch (job.state) {
  case JobState::Stopped:
  case JobState::Exited:
  case JobState::Fatal: return from_idle(job, spec, event, now);
  case JobState::Starting: return from_starting(job, spec, event, now);
  case JobState::Running: return from_running(job, spec, event, now);
  case JobState::Backoff: return from_backoff(job, event);
  case JobState::Stopping: return from_stopping(job, event, now);
  case JobState::Waiting: return from_waiting(job, event);
  }
  return stay(job);
}

}  // namespace supd::daemon
