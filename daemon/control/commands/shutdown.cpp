// `shutdown`: answered once every job has stopped (or, with leave_running, at once as supd
// exits), just before supd exits. Who asked goes in the log and the history, as a signal's
// sender does.
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Shutdown& command, Call& call) {
  call.sup.record(nullptr, "supd",
                  command.leave_running ? "shutdown --leave-running requested" : "shutdown requested",
                  peer_origin(call.peer));
  const bool stopping = call.sup.shutting_down();
  call.handlers.await_shutdown(call);
  if (command.leave_running && !stopping)
    call.sup.leave_running();  // nothing stops: the jobs and their records stay for the next supd
  else
    call.sup.begin_shutdown(call.now);
  return {call.id, nlohmann::json::object()};
}

}  // namespace supd::daemon
