// `remove`: an ad-hoc job stopped (stop_signal, stop_timeout, then SIGKILL) and forgotten;
// answered once it is gone (unless --no-wait). A config job is refused: the file defines it.
#include <fmt/format.h>

#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Remove& command, Call& call) {
  if (command.job == "all")  // resolve() would take it for every job
    return fail(call.id, protocol::ErrorCode::BadRequest, "remove takes one job name, not 'all'");
  const Job* found = nullptr;
  if (auto err = call.handlers.resolve_one(command.job, found)) return {call.id, *err};
  const Job& job = *found;
  if (job.from_config())
    return fail(call.id, protocol::ErrorCode::BadRequest,
                fmt::format("job '{}' comes from the config file; remove it there and run supctl reload", command.job));
  if (!job.life.removing) call.sup.remove_run_job(job, peer_origin(call.peer), call.now);  // `job` may be gone now
  return call.handlers.answer_when_settled(call, Handlers::WaitKind::Remove, {command.job}, command.wait);
}

}  // namespace supd::daemon
