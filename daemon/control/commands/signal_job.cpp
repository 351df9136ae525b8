// `signal`: one signal to a running job's main process or its process group, recorded with
// who sent it.
#include <fmt/format.h>

#include "common/signals.hpp"
#include "common/sys_error.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::SignalJob& command, Call& call) {
  const auto id = call.id;
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve({command.job}, false, jobs)) return {id, *err};
  const auto signo = common::parse_signal(command.signal);
  if (!signo)
    return fail(id, protocol::ErrorCode::InvalidSignal,
                fmt::format("unknown signal '{}'; use {}", command.signal, common::accepted_signal_forms()));
  // One job, or every running copy of a job with instances (NAME); the first answers, the rest
  // are listed in `also`.
  std::optional<protocol::SignalJob::Reply> reply;
  for (const Job* job : jobs) {
    if (jobs.size() > 1 && !job->rt.main_alive) continue;
    if (!job->rt.main_alive) return {id, not_running(*job)};
    const pid_t target = command.group ? job->process.pgid : job->process.pid;
    if (const int err = call.sup.signal(*job, *signo, command.group, peer_origin(call.peer)); err != 0) {
      if (err == ESRCH && jobs.size() > 1) continue;
      if (err == ESRCH) return {id, not_running(*job)};
      return fail(id, protocol::ErrorCode::Internal,
                  fmt::format("sending SIG{} to job '{}' failed: {}", common::signal_name(*signo), job->spec.name,
                              common::errno_message(err)));
    }
    if (!reply) reply = protocol::SignalJob::Reply{job->spec.name, target, common::signal_name(*signo), command.group};
    else reply->also.emplace_back(job->spec.name, target);
  }
  if (!reply) return {id, not_running(*jobs.front())};
  return protocol::reply(id, *reply);
}

}  // namespace supd::daemon
