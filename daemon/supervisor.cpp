#include "daemon/supervisor.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/signals.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

bool is_idle(JobState s) { return s == JobState::Stopped || s == JobState::Exited || s == JobState::Fatal; }

}  // namespace

Supervisor::Supervisor(ProcessOps& ops, OutputSink& output, config::Config config, std::filesystem::path log_dir)
    : ops_(ops), output_(output), config_(std::move(config)), log_dir_(std::move(log_dir)) {
  jobs_.reserve(config_.jobs.size());
  for (const auto& spec : config_.jobs) jobs_.push_back(Job{spec, {}, 0, 0, {}, {}, 0, std::nullopt, {}});
}

void Supervisor::start_autostart_jobs(TimePoint now) {
  for (auto& job : jobs_)
    if (job.spec.autostart) feed(job, StartRequested{}, now, Origin::supd());
}

Job* Supervisor::find(std::string_view name) {
  for (auto& job : jobs_)
    if (job.spec.name == name) return &job;
  return nullptr;
}

void Supervisor::start(Job& job, const Origin& who, TimePoint now) {
  if (!shutting_down_) feed(job, StartRequested{}, now, who);
}

void Supervisor::stop(Job& job, const Origin& who, TimePoint now) { feed(job, StopRequested{}, now, who); }

void Supervisor::restart(Job& job, const Origin& who, TimePoint now) {
  if (!shutting_down_) feed(job, RestartRequested{}, now, who);
}

int Supervisor::signal(Job& job, int signo, bool group, const Origin& who) {
  if (!job.rt.main_alive) return ESRCH;
  return deliver(job, signo, group, who);
}

int Supervisor::deliver(Job& job, int signo, bool group, const Origin& who) {
  if (group ? !(job.pgid > 0 && ops_.group_alive(job.pgid)) : !job.rt.main_alive) return ESRCH;
  const int err = group ? ops_.send_signal(job.pgid, -1, signo, true)
                        : ops_.send_signal(job.pid, job.pidfd.get(), signo, false);
  if (err == 0)
    spdlog::info("job {}: SIG{} sent to {} {} by {}", job.spec.name, common::signal_name(signo),
                 group ? "process group" : "pid", group ? job.pgid : job.pid, who.describe());
  else
    spdlog::warn("job {}: SIG{} from {} failed: {}", job.spec.name, common::signal_name(signo), who.describe(),
                 common::errno_message(err));
  return err;
}

void Supervisor::forward(int signo) {
  for (auto& job : jobs_) {
    const auto& fw = job.spec.forward_signals;
    if (std::find(fw.begin(), fw.end(), signo) != fw.end()) signal(job, signo, false, Origin::supd());
  }
}

void Supervisor::on_reaped(pid_t pid, const common::ExitStatus& status, TimePoint now) {
  for (auto& job : jobs_) {
    if (!job.rt.main_alive || job.pid != pid) continue;
    output_.drain(job.spec.name);  // the last lines land before the exit is recorded
    job.last_exit = status;
    job.pidfd.reset();
    job.pid = 0;
    const bool group_empty = !ops_.group_alive(job.pgid);
    if (group_empty) job.pgid = 0;  // its id may be recycled from now on: forget it
    spdlog::info("job {}: pid {} {}{}", job.spec.name, pid, common::describe(status),
                 group_empty ? "" : " (other processes of its group remain)");
    feed(job, ProcessExited{status, group_empty}, now, Origin{Origin::Kind::Kernel, 0, 0});
    return;
  }
  // An orphan from some job's group, reaped by us as sub-reaper: maybe the last of a group a
  // stop is waiting on.
  on_group_check(now);
}

void Supervisor::on_group_check(TimePoint now) {
  for (auto& job : jobs_) {
    if (job.rt.main_alive || job.pgid == 0 || ops_.group_alive(job.pgid)) continue;
    job.pgid = 0;
    if (job.rt.state == JobState::Stopping) feed(job, GroupEmptied{}, now, Origin{Origin::Kind::Kernel, 0, 0});
  }
}

void Supervisor::on_deadline(TimePoint now) {
  for (auto& job : jobs_)
    if (job.rt.deadline && *job.rt.deadline <= now) feed(job, DeadlineReached{}, now, Origin::supd());
}

std::optional<TimePoint> Supervisor::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& job : jobs_)
    if (job.rt.deadline && (!next || *job.rt.deadline < *next)) next = job.rt.deadline;
  return next;
}

void Supervisor::begin_shutdown(TimePoint now) {
  if (!shutting_down_) spdlog::info("shutting down: stopping {} jobs", jobs_.size());
  shutting_down_ = true;
  for (auto& job : jobs_) feed(job, StopRequested{}, now, Origin::supd());
}

bool Supervisor::shutdown_complete() const {
  return (shutting_down_ && leaving_running_) ||
         (shutting_down_ && std::all_of(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.rt.main_alive && is_idle(j.rt.state); }));
}

void Supervisor::feed(Job& job, const JobEvent& event, TimePoint now, const Origin& who) {
  Step s = step(job.rt, job.spec, event, now);
  const JobState before = job.rt.state;
  job.rt = std::move(s.next);
  if (job.rt.state != before) {
    const bool by_someone = who.kind == Origin::Kind::Peer;
    spdlog::info("job {}: {} -> {} ({}{})", job.spec.name, to_string(before), to_string(job.rt.state), job.rt.reason,
                 by_someone ? ", by " + who.describe() : "");
  }
  for (const auto& action : s.actions) execute(job, action, now, who);
}

void Supervisor::execute(Job& job, const JobAction& action, TimePoint now, const Origin& who) {
  if (std::holds_alternative<SpawnProcess>(action)) return do_spawn(job, now, who);
  if (const auto* sig = std::get_if<SendSignal>(&action)) {
    deliver(job, sig->signo, sig->group, Origin::supd());
    return;
  }
  if (std::holds_alternative<KillLeftovers>(action) && job.pgid > 0 && ops_.group_alive(job.pgid)) {
    spdlog::info("job {}: killing what is left of process group {}", job.spec.name, job.pgid);
    ops_.send_signal(job.pgid, -1, SIGKILL, true);
  }
}

void Supervisor::do_spawn(Job& job, TimePoint now, const Origin& who) {
  auto r = ops_.spawn(job.spec, log_dir_);
  if (r.pid <= 0) {
    job.error = r.error;
    spdlog::error("job {}: {}", job.spec.name, r.error);
    feed(job, SpawnFailed{r.error, r.permanent}, now, who);
    return;
  }
  job.error.clear();
  ++job.spawns;
  job.pid = r.pid;
  job.pgid = r.pid;  // setsid() made it the leader of its own group
  job.pidfd = std::move(r.pidfd);
  job.started_at = now;
  output_.attach(job.spec.name, std::move(r.output));
  spdlog::info("job {}: spawned pid {}", job.spec.name, job.pid);
  feed(job, Spawned{}, now, who);
}

protocol::JobStatus Supervisor::status_of(const Job& job, TimePoint now) const {
  protocol::JobStatus st;
  st.name = job.spec.name;
  st.state = std::string(to_string(job.rt.state));
  if (job.rt.main_alive) {
    st.pid = job.pid;
    st.uptime_s = std::chrono::duration<double>(now - job.started_at).count();
  }
  st.restarts = job.restarts();
  st.last_exit = job.last_exit;
  if (job.rt.state == JobState::Fatal || job.rt.state == JobState::Backoff) st.error = job.rt.reason;
  return st;
}

std::string Supervisor::summary() const {
  std::map<JobState, int> counts;
  for (const auto& job : jobs_) ++counts[job.rt.state];
  std::string out;
  for (const auto& [state, n] : counts) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, to_string(state));
  return out.empty() ? "no jobs" : out;
}

}  // namespace supd::daemon
