// `pid`: the main pid of a running job.
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Pid& command, Call& call) {
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve({command.job}, false, jobs)) return {call.id, *err};
  if (!jobs.front()->rt.main_alive) return {call.id, not_running(*jobs.front())};
  return protocol::reply(call.id, protocol::Pid::Reply{jobs.front()->process.pid});
}

}  // namespace supd::daemon
