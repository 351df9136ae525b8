// `restart`: stops, then starts the jobs; answered once they run or fail (unless --no-wait).
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Restart& command, Call& call) {
  return call.handlers.control(call, Handlers::WaitKind::Restart, command.jobs, command.wait);
}

}  // namespace supd::daemon
