// `reload`: the config is read and checked off the loop; the answer (the diff, or every
// error) comes once it is applied, and with `wait` once the jobs it started have settled.
#include <spdlog/spdlog.h>

#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Reload& command, Call& call) {
  Reloader* reloader = call.handlers.reloader();
  if (reloader == nullptr) return fail(call.id, protocol::ErrorCode::Internal, "this supd cannot reload its config");
  if (call.sup.shutting_down() && !command.dry_run)
    return fail(call.id, protocol::ErrorCode::ShuttingDown,
                "supd is shutting down and changes nothing; start supd again first");
  spdlog::info("reload{} requested by {}", command.dry_run ? " --dry-run" : "", peer_origin(call.peer).describe());
  reloader->reload_async(command.dry_run, [&handlers = call.handlers, id = call.id, reply = call.reply,
                                            wait = command.wait](ReloadOutcome outcome) {
    std::vector<std::string> started;  // waited for as `start` waits, when asked to
    for (std::size_t i = 0; wait && outcome.applied && i < outcome.steps.size(); ++i)
      if (outcome.steps[i] == Supervisor::ReloadStep::Start || outcome.steps[i] == Supervisor::ReloadStep::Restart)
        started.push_back(outcome.diff.jobs[i].name);
    handlers.answer_reload_when_settled(id, to_reply(outcome), std::move(started), reply);
  });
  return defer(call);
}

}  // namespace supd::daemon
