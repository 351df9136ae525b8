// `stop`: stops the jobs; answered once their processes are gone (unless --no-wait).
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Stop& command, Call& call) {
  return call.handlers.control(call, Handlers::WaitKind::Stop, command.jobs, command.wait);
}

}  // namespace supd::daemon
