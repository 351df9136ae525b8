// What the adapters on the event loop report to it: the exit of a process they watch (adopted
// jobs are not our children), that process groups may have emptied, READY=1 from a job, or
// that something they did changed what supd must answer (a request served, a reload applied).
// The event loop implements it (daemon/event_loop.hpp): it alone calls the supervisor's on_*
// methods and then runs its one after-event sequence. Adapters hold this, never the loop.
#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/exit_status.hpp"
#include "daemon/core/origin.hpp"

namespace supd::daemon {

class EventHub {
public:
  virtual void process_exited(pid_t pid, const common::ExitStatus& status) = 0;
  virtual void groups_may_have_emptied() = 0;
  virtual void job_ready(std::string_view job, const Origin& who) = 0;
  // STATUS=... from a process of the job: shown by `status` until its next run.
  virtual void job_status_text(std::string_view job, std::string text) = 0;
  virtual void changed() = 0;
  // A reload was applied: the signals jobs forward may have changed. changed() follows.
  virtual void config_applied() {}
  // A health check of the job's run number `run` ended (daemon/core/health_checks.hpp).
  virtual void health_checked(std::string_view /*job*/, int /*run*/, bool /*passed*/, std::string /*output*/) {}

protected:
  ~EventHub() = default;  // not owned through this
};

}  // namespace supd::daemon
