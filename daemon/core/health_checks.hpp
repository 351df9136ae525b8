// The seam through which the supervisor runs a job's health check without blocking (the real
// one is daemon/control/health_checker.hpp; tests use a fake). The verdict comes back later,
// once, on the loop, through EventHub::health_checked.
#pragma once

#include "config/job_spec.hpp"

namespace supd::daemon {

class HealthChecks {
public:
  virtual ~HealthChecks() = default;
  // One check of `job` (its spec.health), for its run number `run` (Job::life.spawns): a
  // verdict for an earlier run is ignored.
  virtual void run(const config::JobSpec& job, int run) = 0;
};

}  // namespace supd::daemon
