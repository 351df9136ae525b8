#include "daemon/core/supervisor.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/signals.hpp"
#include "common/sys_error.hpp"
#include "common/time_format.hpp"

namespace supd::daemon {
namespace {

constexpr std::size_t kSentKept = 16;  // signals remembered per run for `why`

common::Event event_of(const Job& job, std::string kind, std::string reason, const Origin& who) {
  common::Event e;
  e.job = job.spec.name;
  e.kind = std::move(kind);
  e.reason = std::move(reason);
  e.who = who.event_origin();
  return e;
}

// "memory_max = 256 MiB" for an OOM kill's explanation; "" when the job set no memory limit.
std::string memory_limit_text(const config::CgroupLimits& c) {
  const auto& [key, bytes] = c.memory_max ? std::pair{"memory_max", c.memory_max} : std::pair{"memory_high", c.memory_high};
  if (!bytes) return {};
  if (*bytes % (1ull << 20) == 0) return fmt::format("{} = {} MiB", key, *bytes >> 20);
  return fmt::format("{} = {} bytes", key, *bytes);
}

}  // namespace

Supervisor::Supervisor(ProcessOps& ops, OutputSink& output, config::Config config, std::filesystem::path log_dir)
    : ops_(ops), output_(output), config_(std::move(config)), log_dir_(std::move(log_dir)) {
  jobs_.reserve(config_.jobs.size());
  for (auto& spec : config_.jobs) {
    Job job;
    job.spec = std::move(spec);
    jobs_.push_back(std::move(job));
  }
  // jobs_ is the truth from now on; config_ keeps the [supd] settings. Its vector goes too
  // (clear() would keep its block: ~770 bytes a job).
  config_.jobs = {};
  reindex();
  note_order();
}

void Supervisor::start_autostart_jobs(TimePoint now) {
  plan_schedules(now);
  queue_spawns(true);
  for (auto& job : jobs_)
    if (job.spec.autostart) start(job, Origin::supd(), now);
  queue_spawns(false);
}

std::size_t Supervisor::run_queued_spawns(std::size_t max, TimePoint now) {
  for (std::size_t done = 0; done < max && !spawn_queue_.empty();) {
    Job* job = mutable_find(spawn_queue_.front());
    spawn_queue_.pop_front();
    if (job == nullptr || !job->spawn_queued) continue;  // gone, or spawned by a later request
    job->spawn_queued = false;
    // A stop (or a shutdown) while queued made it stopped: nothing to spawn.
    if (job->rt.state != JobState::Starting || job->rt.main_alive) continue;
    do_spawn(*job, now, Origin::supd());
    ++done;
  }
  return spawn_queue_.size();
}

void Supervisor::plan_schedules(TimePoint now) {
  for (auto& job : jobs_) plan_schedule(job, now);
}

std::vector<std::string_view> Supervisor::job_names() const {
  std::vector<std::string_view> out;
  for (const auto& job : jobs_) out.push_back(job.spec.name);
  return out;
}

void Supervisor::start(const Job& held, const Origin& who, TimePoint now) {
  Job& job = own(held);
  if (shutting_down_ || job.life.removing) return;
  if (has_order_) return start_ordered(job, who, now, 0);
  feed(job, StartRequested{}, now, who);
}

void Supervisor::stop(const Job& held, const Origin& who, TimePoint now) {
  Job& job = own(held);
  if (!has_order_) return stop_now(job, now, StopRequest{who, "stop requested"});
  queue_stop(job, StopRequest{who, "stop requested"});
  settle_order(now);
}

void Supervisor::stop_now(Job& job, TimePoint now, const StopRequest& request) {
  job.order.stop_queued.reset();
  // A shutdown keeps what an earlier request said (that request is why the run ends).
  const bool keep = shutting_down_ && job.evidence.stop_request;
  if (job.rt.main_alive && !keep) job.evidence.stop_request = request;
  feed(job, StopRequested{}, now, request.who);
}

void Supervisor::restart(const Job& held, const Origin& who, TimePoint now) {
  Job& job = own(held);
  if (shutting_down_ || job.life.removing) return;
  if (job.rt.main_alive) job.evidence.stop_request = StopRequest{who, "restart requested"};
  feed(job, RestartRequested{}, now, who);
}

int Supervisor::signal(const Job& job, int signo, bool group, const Origin& who) {
  if (!job.rt.main_alive) return ESRCH;
  return deliver(own(job), signo, group, who);
}

int Supervisor::deliver(Job& job, int signo, bool group, const Origin& who, std::string_view why) {
  if (group ? !(job.process.pgid > 0 && ops_.group_alive(job.spec.name, job.process.pgid)) : !job.rt.main_alive) return ESRCH;
  const pid_t target = group ? job.process.pgid : job.process.pid;
  const int err = group ? ops_.send_signal(job.spec.name, job.process.pgid, -1, signo, true)
                        : ops_.send_signal(job.spec.name, job.process.pid, job.process.pidfd.get(), signo, false);
  auto e = event_of(job, "signal",
                    fmt::format("SIG{} to {} {}{}{}", common::signal_name(signo), group ? "process group" : "pid",
                                target, why.empty() ? "" : fmt::format(" ({})", why),
                                err == 0 ? "" : " failed: " + common::errno_message(err)),
                    who);
  e.signal = common::signal_name(signo);
  e.pid = target;
  events_.record(std::move(e), err == 0 ? EventLog::Level::Info : EventLog::Level::Warn);
  if (err == 0) {
    job.evidence.sent.push_back({signo, who});
    if (job.evidence.sent.size() > kSentKept) job.evidence.sent.erase(job.evidence.sent.begin());
  }
  return err;
}

void Supervisor::forward(int signo) {
  for (auto& job : jobs_) {
    const auto& fw = job.spec.forward_signals;
    if (std::find(fw.begin(), fw.end(), signo) != fw.end() && job.rt.main_alive)
      deliver(job, signo, false, Origin::supd(), "forwarded: supd received it");
  }
}

void Supervisor::on_ready(const Job& job, const Origin& who, TimePoint now) {
  if (job.rt.state != JobState::Starting) return;  // a second READY=1 (after a reload, say): nothing to do
  feed(own(job), ReadyNotified{}, now, who);
}

void Supervisor::record(const Job* job, std::string kind, std::string text, const Origin& who) {
  common::Event e;
  if (job != nullptr) e.job = job->spec.name;
  e.kind = std::move(kind);
  e.reason = std::move(text);
  e.who = who.event_origin();
  events_.record(std::move(e));
}

void Supervisor::on_reaped(pid_t pid, const common::ExitStatus& status, TimePoint now) {
  if (const auto it = by_pid_.find(pid); it != by_pid_.end() && jobs_[it->second].rt.main_alive &&
                                         jobs_[it->second].process.pid == pid) {
    Job& job = jobs_[it->second];
    by_pid_.erase(it);
    process_changes_.push_back(job.spec.name);
    output_.drain(job.spec.name);  // the last lines land before the exit is recorded
    job.postmortem.last_exit = status;
    job.process.pidfd.reset();
    job.process.pid = 0;
    const bool group_empty = !ops_.group_alive(job.spec.name, job.process.pgid);
    if (group_empty) job.process.pgid = 0;  // its id may be recycled from now on: forget it
    else lingering_.insert(index_of(job));
    const auto oom_now = job.evidence.oom_kills_at_spawn ? ops_.oom_kills(job.spec.name) : std::nullopt;
    const bool oom = oom_now && *oom_now > *job.evidence.oom_kills_at_spawn;
    const std::string limit = oom ? memory_limit_text(job.spec.cgroup) : std::string();
    auto e = event_of(job, "exit",
                      fmt::format("pid {} {}{}{}", pid, common::describe(status),
                                  group_empty ? "" : " (other processes of its group remain)",
                                  !oom ? "" : limit.empty() ? " (the OOM killer)" : " (the OOM killer: " + limit + ")"),
                      Origin::kernel());
    e.pid = pid;
    e.exit = status;
    const auto& kept = events_.record(std::move(e));
    job.postmortem.last_death = std::make_unique<Job::PostMortem::Death>(Job::PostMortem::Death{
        status, pid, kept.time, std::chrono::duration<double>(now - job.process.started_at).count(),
        explain_exit(status, job.evidence.stop_request, job.evidence.sent, oom, limit), job.evidence.output_at_spawn,
        output_mark(job), job.spec.directory});
    feed(job, ProcessExited{status, group_empty}, now, Origin::kernel());
    prune_removed();  // `job` may be erased here: nothing touches it after
    return;
  }
  // An orphan from some job's group, reaped by us as sub-reaper: maybe the last of a group a
  // stop is waiting on.
  on_group_check(now);
}

void Supervisor::on_group_check(TimePoint now) {
  std::vector<std::size_t> emptied;  // fed after the walk: a feed may change lingering_
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    Job& job = jobs_[*it];
    if (!job.rt.main_alive && job.process.pgid != 0 && ops_.group_alive(job.spec.name, job.process.pgid)) {
      ++it;
      continue;
    }
    if (!job.rt.main_alive && job.process.pgid != 0) emptied.push_back(*it);
    it = lingering_.erase(it);  // emptied now, or respawned since
  }
  for (const std::size_t i : emptied) {
    Job& job = jobs_[i];
    job.process.pgid = 0;
    process_changes_.push_back(job.spec.name);
    if (job.rt.state == JobState::Stopping) feed(job, GroupEmptied{}, now, Origin::kernel());
  }
  prune_removed();
}

void Supervisor::on_deadline(TimePoint now) {
  std::vector<std::string> due;  // by name: what one job's event does may move another's deadline
  for (auto it = wakes_.begin(); it != wakes_.end() && it->first <= now; ++it) due.push_back(jobs_[it->second].spec.name);
  for (const auto& name : due) {
    Job* job = mutable_find(name);
    if (job == nullptr) continue;
    if (job->rt.deadline && *job->rt.deadline <= now) {
      if (listening(*job)) feed(*job, ReadyNotified{}, now, Origin::kernel());
      else feed(*job, DeadlineReached{}, now, Origin::supd());
    }
    run_due(*job, now);
    index_deadline(*job);
  }
  prune_removed();
}

void Supervisor::begin_shutdown(TimePoint now) {
  if (!shutting_down_) record(nullptr, "supd", fmt::format("shutting down: stopping {} jobs", jobs_.size()));
  shutting_down_ = true;
  if (has_order_) {  // every job waits for what depends on it to stop first
    for (auto& job : jobs_) {
      job.order.start_after_stop = false;
      job.order.stop_queued = StopRequest{Origin::supd(), "shutdown of supd"};
    }
    order_queued_ = true;
    return settle_order(now);
  }
  for (auto& job : jobs_) stop_now(job, now, StopRequest{Origin::supd(), "shutdown of supd"});
}

void Supervisor::adopt(const Job& held, FoundProcess found, TimePoint now) {
  Job& job = own(held);
  // Adoption happens at start-up, to a job that has not run yet: there is no STATUS= text nor
  // evidence of an earlier run to keep (nor an OOM count from its spawn, so none is checked).
  job.process = {.pid = found.pid, .pgid = found.pgid, .pidfd = std::move(found.pidfd),
                 .started_at = found.spawned_at, .status_text = {}};
  job.life.spawns = found.spawns;
  job.postmortem.error.clear();
  feed(job, Adopted{found.spawned_at}, now, Origin::supd());
  if (job.rt.main_alive) by_pid_[job.process.pid] = index_of(job);
  process_changes_.push_back(job.spec.name);
}

void Supervisor::restore(const Job& held, Handed handed, TimePoint now) {
  Job& job = own(held);
  job.life.spawns = handed.spawns;
  job.postmortem.last_exit = handed.last_exit;
  if (handed.state == JobState::Backoff || handed.state == JobState::Waiting) {  // to be started: now (or wait again)
    job.postmortem.error = std::move(handed.error);
    return start(job, Origin::supd(), now);
  }
  std::string reason = !handed.error.empty() ? handed.error
                       : handed.last_exit   ? common::describe(*handed.last_exit)
                                            : "stopped";
  job.postmortem.error = std::move(handed.error);
  feed(job, Restored{handed.state, std::move(reason)}, now, Origin::supd());
}

void Supervisor::feed(Job& job, const JobEvent& event, TimePoint now, const Origin& who) {
  Step s = step(job.rt, job.spec, event, now);
  const JobState before = job.rt.state;
  const bool was_busy = busy(job);
  job.rt = std::move(s.next);
  --counts_[static_cast<std::size_t>(before)];
  ++counts_[static_cast<std::size_t>(job.rt.state)];
  if (busy(job) != was_busy) busy_ = busy(job) ? busy_ + 1 : busy_ - 1;
  if (job.rt.state != before) {
    health_follows_state(job, before, now);
    auto e = event_of(job, "state", job.rt.reason, who);
    e.from = std::string(to_string(before));
    e.to = std::string(to_string(job.rt.state));
    events_.record(std::move(e), job.rt.state == JobState::Fatal ? EventLog::Level::Warn : EventLog::Level::Info);
  }
  for (const auto& action : s.actions) execute(job, action, now, who);
  index_deadline(job);
  if (has_order_ && !ordering_) settle_order(now);
}

void Supervisor::execute(Job& job, const JobAction& action, TimePoint now, const Origin& who) {
  if (std::holds_alternative<SpawnProcess>(action)) {
    if (queue_spawns_) {  // start-up: run_queued_spawns() does it, a batch per loop turn
      if (!job.spawn_queued) spawn_queue_.push_back(job.spec.name);
      job.spawn_queued = true;
      return;
    }
    job.spawn_queued = false;
    return do_spawn(job, now, who);
  }
  if (const auto* sig = std::get_if<SendSignal>(&action)) {
    deliver(job, sig->signo, sig->group, Origin::supd(), job.rt.reason);
    return;
  }
  if (std::holds_alternative<KillLeftovers>(action) && job.process.pgid > 0 && ops_.group_alive(job.spec.name, job.process.pgid)) {
    auto e = event_of(job, "signal", fmt::format("SIGKILL to what is left of process group {}", job.process.pgid),
                      Origin::supd());
    e.signal = "KILL";
    e.pid = job.process.pgid;
    events_.record(std::move(e));
    ops_.send_signal(job.spec.name, job.process.pgid, -1, SIGKILL, true);
  }
}

void Supervisor::do_spawn(Job& job, TimePoint now, const Origin& who) {
  SpawnResult r;
  if (job.spec.ready == config::Readiness::Notify) {
    // The job's own socket, given as NOTIFY_SOCKET (supd's own never reaches a job).
    std::string error = "ready = \"notify\": no notify socket in this supd";
    const auto path = ready_channels_ != nullptr ? ready_channels_->open(job.spec.name, error) : std::string();
    if (path.empty()) {
      r.error = error;
      r.permanent = false;  // a full disk or fd table may pass: back off and retry
    } else {
      auto spec = job.spec;
      spec.environment["NOTIFY_SOCKET"] = path;
      r = ops_.spawn(spec, log_dir_);
    }
  } else {
    if (ready_channels_ != nullptr) ready_channels_->close(job.spec.name);  // ready changed by a reload
    r = ops_.spawn(job.spec, log_dir_);
  }
  if (r.pid <= 0) {
    job.postmortem.error = r.error;
    events_.record(event_of(job, "spawn", "failed: " + r.error, who), EventLog::Level::Error);
    feed(job, SpawnFailed{r.error, r.permanent}, now, who);
    return;
  }
  job.postmortem.error.clear();
  ++job.life.spawns;
  if (std::string said = fmt::format("{}", fmt::join(r.warnings, "; ")); said != job.box_warning) {
    if (!said.empty()) events_.record(event_of(job, "warning", said, Origin::supd()), EventLog::Level::Warn);
    job.box_warning = std::move(said);
  }
  // A new run: a new process (setsid() made it the leader of its own group), and what
  // explains its end starts afresh.
  job.process = {.pid = r.pid, .pgid = r.pid, .pidfd = std::move(r.pidfd), .started_at = now, .status_text = {}};
  by_pid_[r.pid] = index_of(job);
  process_changes_.push_back(job.spec.name);
  job.evidence = {.stop_request = {}, .sent = {}, .oom_kills_at_spawn = ops_.oom_kills(job.spec.name),
                  .output_at_spawn = output_mark(job)};
  output_.attach(job.spec.name, std::move(r.output));
  auto e = event_of(job, "spawn", fmt::format("pid {} ({})", job.process.pid, job.spec.argv.front()), who);
  e.pid = job.process.pid;
  events_.record(std::move(e));
  feed(job, Spawned{}, now, who);
}

std::uint64_t Supervisor::output_mark(const Job& job) const {
  return output_.bytes_written(log_dir_ / job.spec.stdout_file);
}

protocol::JobStatus Supervisor::status_of(const Job& job, TimePoint now) const {
  protocol::JobStatus st;
  st.name = job.spec.name;
  st.state = std::string(to_string(job.rt.state));
  if (job.rt.main_alive) {
    st.pid = job.process.pid;
    st.uptime_s = std::chrono::duration<double>(now - job.process.started_at).count();
  }
  st.restarts = job.restarts();
  st.last_exit = job.postmortem.last_exit;
  if (job.rt.state == JobState::Fatal || job.rt.state == JobState::Backoff) st.error = job.rt.reason;
  st.origin = job.from_config() ? "config" : "run";
  st.next_try_s = next_try_s(job, now);
  if (job.rt.main_alive && job.spec.ready == config::Readiness::Notify && !job.process.status_text.empty())
    st.status_text = job.process.status_text;
  if (job.rt.state == JobState::Waiting) st.reason = job.rt.reason;
  if (job.health.status != Health::None) st.health = std::string(to_string(job.health.status));
  if (job.next_run)
    st.next_run = common::iso8601_utc_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(job.next_run->wall.time_since_epoch()).count());
  return st;
}

std::optional<double> Supervisor::next_try_s(const Job& job, TimePoint now) {
  if ((job.rt.state != JobState::Fatal && job.rt.state != JobState::Backoff) || !job.rt.deadline) return std::nullopt;
  return std::max(0.0, std::chrono::duration<double>(*job.rt.deadline - now).count());
}

}  // namespace supd::daemon
