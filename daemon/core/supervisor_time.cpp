// The Supervisor's side of time beyond the state machine's deadlines: health checks (begun
// when a job runs, results fed to daemon/core/health.hpp, an unhealthy job restarted), jobs
// started by `schedule`/`every`, and the polls of ready = "listen" jobs.
#include <fmt/format.h>

#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

void Supervisor::health_follows_state(Job& job, JobState before, TimePoint now) {
  if (job.rt.state == JobState::Running && before != JobState::Running && job.spec.health)
    job.health = health_begin(now);
  else if (job.rt.state != JobState::Running)
    job.health = {};  // checks are for a running job; a late verdict finds it None and is dropped
}

bool Supervisor::listening(Job& job) {
  return job.rt.state == JobState::Starting && job.spec.ready == config::Readiness::Listen && job.rt.main_alive &&
         job.process.pgid > 0 && ops_.group_listens(job.process.pgid);
}

void Supervisor::plan_schedule(Job& job, TimePoint now) {
  job.next_run = next_run(job.spec, now, std::chrono::system_clock::now());
  index_deadline(job);
}

void Supervisor::run_due(Job& job, TimePoint now) {
  if (health_checks_ != nullptr && job.spec.health && health_due(job.health, now)) {
    job.health.checking = true;
    job.health.next_check.reset();
    health_checks_->run(job.spec, job.life.spawns);
  }
  if (!job.next_run || job.next_run->at > now || job.life.removing || shutting_down_) return;
  plan_schedule(job, now);
  if (!is_idle(job.rt.state) || job.rt.main_alive) {  // never twice at once
    record(&job, "schedule", fmt::format("still {} at its scheduled time; this run is skipped", to_string(job.rt.state)));
    return;
  }
  record(&job, "schedule", "starting it at its scheduled time");
  start(job, Origin::supd(), now);
}

void Supervisor::on_health_result(std::string_view name, int run, bool passed, std::string output, TimePoint now) {
  Job* found = own_find(name);
  if (found == nullptr || !found->spec.health || found->life.spawns != run) return;  // an earlier run's
  Job& job = *found;
  const auto verdict = health_result(job.health, *job.spec.health, passed, std::move(output), now);
  job.health = verdict.next;
  index_deadline(job);
  if (verdict.changed) {
    const bool healthy = job.health.status == Health::Healthy;
    record(&job, "health",
           healthy ? fmt::format("healthy: {}", job.health.last_output)
                   : fmt::format("unhealthy after {} failed checks in a row: {}", job.health.failures,
                                 job.health.last_output));
  }
  if (verdict.restart) {
    job.evidence.stop_request = StopRequest{
        Origin::supd(), fmt::format("restart: unhealthy after {} failed checks; the last said: {}",
                                    job.health.failures, job.health.last_output)};
    feed(job, RestartRequested{}, now, Origin::supd());
    return;
  }
  if (has_order_) settle_order(now);  // "healthy" may be what a waiting job waits for
}

}  // namespace supd::daemon
