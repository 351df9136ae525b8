// The Supervisor's reload and ad-hoc job side: turning a config diff into starts, stops,
// restarts and in-place spec updates, and adding/removing jobs from the job list.
#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "daemon/core/supervisor.hpp"

namespace supd::daemon {
namespace {

std::string field_list(const config::JobDiff& d) {
  std::string out;
  for (const auto& f : d.fields) out += (out.empty() ? "" : ", ") + f.field;
  return out;
}

}  // namespace

config::ConfigDiff Supervisor::plan_reload(const config::Config& next) const {
  config::Config before;
  before.supd = config_.supd;
  std::unordered_set<std::string_view> defined;  // Config::find is linear: 16k jobs made this quadratic
  for (const auto& spec : next.jobs) defined.insert(spec.name);
  for (const auto& job : jobs_)
    if (!job.life.removing && (job.from_config() || defined.contains(job.spec.name))) before.jobs.push_back(job.spec);
  return config::diff(before, next);
}

Supervisor::ReloadStep Supervisor::reload_step(const config::JobDiff& d, const config::JobSpec* spec,
                                               const Job* job) const {
  switch (d.change) {
  case config::ChangeKind::Added: return spec->autostart && !shutting_down_ ? ReloadStep::Start : ReloadStep::NotStarted;
  case config::ChangeKind::Removed: return ReloadStep::Stop;
  case config::ChangeKind::Changed: {
    if (!d.needs_restart()) return ReloadStep::InPlace;
    const JobState s = job->rt.state;
    const bool live = s == JobState::Running || s == JobState::Starting || s == JobState::Backoff;
    return live && !shutting_down_ ? ReloadStep::Restart : ReloadStep::NextStart;
  }
  case config::ChangeKind::Unchanged: break;
  }
  return ReloadStep::Nothing;
}

std::vector<Supervisor::ReloadStep> Supervisor::reload_steps(const config::ConfigDiff& diff,
                                                             const config::Config& next) const {
  std::unordered_map<std::string_view, const config::JobSpec*> specs;
  for (const auto& spec : next.jobs) specs.emplace(spec.name, &spec);
  std::vector<ReloadStep> out;
  out.reserve(diff.jobs.size());
  for (const auto& d : diff.jobs) {
    const auto found = specs.find(d.name);
    out.push_back(reload_step(d, found == specs.end() ? nullptr : found->second, find(d.name)));
  }
  return out;
}

void Supervisor::apply_reload(const config::Config& next, const config::ConfigDiff& diff, TimePoint now) {
  const Origin who = Origin::supd();
  // By name through indexes (jobs_ only grows at its end here, so an index stays valid).
  std::unordered_map<std::string_view, const config::JobSpec*> specs;
  for (const auto& spec : next.jobs) specs.emplace(spec.name, &spec);
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < jobs_.size(); ++i) index.emplace(jobs_[i].spec.name, i);
  // While the specs change one by one, order is settled for the old and the new graph alike.
  has_order_ = has_order_ || std::any_of(next.jobs.begin(), next.jobs.end(),
                                         [](const config::JobSpec& j) { return !j.depends_on.empty(); });
  for (const auto& d : diff.jobs) {
    const auto found = specs.find(d.name);
    const config::JobSpec* spec = found == specs.end() ? nullptr : found->second;
    const auto at = index.find(d.name);
    Job* job = at == index.end() ? nullptr : &jobs_[at->second];
    switch (d.change) {
    case config::ChangeKind::Added: {
      if (job == nullptr) {  // push_back may move every Job: no Job& is held across it
        Job fresh;
        fresh.spec = *spec;
        jobs_.push_back(std::move(fresh));
        index_appended();
        job = &jobs_.back();
        index.emplace(d.name, jobs_.size() - 1);
      } else {  // removed by an earlier reload and still stopping: back in the config
        job->life.removing = false;
        job->life.run_request.reset();
        job->spec = *spec;
      }
      plan_schedule(*job, now);
      const bool start = reload_step(d, spec, job) == ReloadStep::Start;
      record(job, "config", fmt::format("reload: {} added{}", d.name, start ? "; starting" : " (autostart = false: not started)"), who);
      if (start) this->start(*job, who, now);
      break;
    }
    case config::ChangeKind::Removed:
      record(job, "config", fmt::format("reload: {} removed; stopping it", d.name), who);
      job->life.removing = true;
      any_removing_ = true;
      feed(*job, StopRequested{}, now, who);
      break;
    case config::ChangeKind::Changed: {
      if (!job->from_config()) record(job, "config", fmt::format("reload: ad-hoc job {} is now defined by the config", d.name), who);
      const bool restart = reload_step(d, spec, job) == ReloadStep::Restart;
      job->life.run_request.reset();
      const JobState s = job->rt.state;
      const bool has_process = s == JobState::Running || s == JobState::Starting;
      record(job, "config", fmt::format("reload: {} changed {}; {}", d.name, field_list(d),
                   restart ? "restarting" : d.needs_restart() ? "takes effect at its next start" : "applied in place"), who);
      if (restart && has_process) {
        feed(*job, RestartRequested{}, now, who);  // stopped the old way (its stop_signal, stop_timeout)
        job->spec = *spec;                         // and spawned the new way once its group is empty
      } else {
        const bool check_changed = job->spec.health != spec->health;
        const bool schedule_changed = job->spec.schedule != spec->schedule || job->spec.every != spec->every;
        job->spec = *spec;
        output_.set_log_limits(job->spec.name, spec->log_max_size, spec->log_keep);  // open logs too
        // A new check starts over (a verdict of the old one is dropped: checking stays until it
        // comes back); a new schedule is planned from now.
        if (check_changed) {
          const bool checking = job->health.checking;
          job->health = job->rt.state == JobState::Running && spec->health ? health_begin(now) : HealthRuntime{};
          job->health.checking = checking && job->spec.health;
          index_deadline(*job);
        }
        if (schedule_changed) plan_schedule(*job, now);
        if (restart) feed(*job, RestartRequested{}, now, who);  // backoff: spawns at once, the new way
      }
      break;
    }
    case config::ChangeKind::Unchanged:
      if (job != nullptr && !job->from_config()) {
        record(job, "config", fmt::format("reload: ad-hoc job {} is now defined by the config (same settings)", d.name), who);
        job->life.run_request.reset();
      }
      break;
    }
  }
  prune_removed();
  // An edge added or removed may let a waiting job start (also when no edge is left).
  if (has_order_) settle_order(now);
  note_order();
}

const Job& Supervisor::add_run_job(config::JobSpec spec, protocol::Run request) {
  forget_finished_runs();
  Job job;
  job.spec = std::move(spec);
  job.life.run_request = std::make_unique<protocol::Run>(std::move(request));
  jobs_.push_back(std::move(job));
  index_appended();
  return jobs_.back();
}

void Supervisor::erase_job(std::string_view name) {
  const auto erased = std::erase_if(jobs_, [&](const Job& j) {
    const bool gone = j.spec.name == name && !j.rt.main_alive && is_idle(j.rt.state);
    if (gone && ready_channels_ != nullptr) ready_channels_->close(j.spec.name);
    return gone;
  });
  if (erased > 0) reindex();
}

void Supervisor::remove_run_job(const Job& held, const Origin& who, TimePoint now) {
  Job& job = own(held);
  job.life.removing = true;  // start() and restart() leave it alone from now on
  any_removing_ = true;
  if (job.rt.main_alive) job.evidence.stop_request = StopRequest{who, "remove requested"};
  record(&job, "config", fmt::format("remove: {} stopping; forgotten once its processes are gone", job.spec.name), who);
  feed(job, StopRequested{}, now, who);
  prune_removed();  // no process: gone now
}

void Supervisor::adopt_into_config(const Job& held, const config::JobSpec& spec) {
  Job& job = own(held);
  const auto changed = config::diff_job(job.spec, spec);
  for (const auto& f : changed)
    record(&job, "config",
           fmt::format("persist: {}: {} is {} in the config ({} before){}", job.spec.name, f.field, f.new_value,
                       f.old_value, f.restart ? "; takes effect at its next start" : ""));
  job.spec = spec;
  job.life.run_request.reset();
}

void Supervisor::prune_removed() {
  if (!any_removing_) return forget_finished_runs();
  any_removing_ = false;  // set again below by one still stopping
  const auto erased = std::erase_if(jobs_, [this](const Job& j) {
    const bool gone = j.life.removing && !j.rt.main_alive && j.process.pgid == 0 && is_idle(j.rt.state);
    any_removing_ = any_removing_ || (j.life.removing && !gone);
    if (!gone) return false;
    if (ready_channels_ != nullptr) ready_channels_->close(j.spec.name);
    if (j.from_config()) {
      record(&j, "config", fmt::format("reload: {} stopped and removed", j.spec.name));
      return true;
    }
    // An ad-hoc job is only ever removed by `supctl remove` (a reload leaves them alone): it is
    // forgotten as an old finished run is, with a line in supd's own history that it went.
    events_.forget(j.spec.name);
    record(nullptr, "config", fmt::format("remove: ad-hoc job {} stopped and forgotten", j.spec.name));
    return true;
  });
  if (erased > 0) reindex();
  forget_finished_runs();
}

void Supervisor::forget_finished_runs() {
  const auto finished = [](const Job& j) {
    return !j.from_config() && !j.life.removing && !j.rt.main_alive && j.process.pgid == 0 && is_idle(j.rt.state) &&
           !j.rt.deadline;  // a fatal job with a retry pending is not done
  };
  if (ad_hoc_ <= run_history_) return;  // fewer ad-hoc jobs than that, finished or not
  ad_hoc_ = static_cast<std::size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.from_config(); }));
  std::size_t count = static_cast<std::size_t>(std::count_if(jobs_.begin(), jobs_.end(), finished));
  if (count <= run_history_) return;
  std::size_t forget = count - run_history_;
  std::size_t forgotten = 0;
  std::erase_if(jobs_, [&](const Job& j) {  // jobs_ is in the order they were added: oldest first
    if (forgotten == forget || !finished(j)) return false;
    ++forgotten;
    if (ready_channels_ != nullptr) ready_channels_->close(j.spec.name);
    events_.forget(j.spec.name);
    return true;
  });
  reindex();
  spdlog::info("forgot {} finished ad-hoc job(s): supd keeps the last {} finished `supctl run` jobs", forgotten,
               run_history_);
}

}  // namespace supd::daemon
