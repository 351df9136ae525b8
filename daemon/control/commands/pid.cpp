// `pid`: the main pid of a running job.
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Pid& command, Call& call) {
  const Job* job = nullptr;
  if (auto err = call.handlers.resolve_one(command.job, job)) return {call.id, *err};
  if (!job->rt.main_alive) return {call.id, not_running(*job)};
  return protocol::reply(call.id, protocol::Pid::Reply{job->process.pid});
}

}  // namespace supd::daemon
