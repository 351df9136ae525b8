// `status`: every job's row, or the named ones', in frames pulled as the client reads.
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Status& command, Call& call) {
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve(command.jobs, true, jobs)) return {call.id, *err};
  std::vector<std::pair<std::size_t, std::string>> names;  // where each job is now, and its name
  names.reserve(jobs.size());
  for (const Job* job : jobs)
    names.emplace_back(static_cast<std::size_t>(job - call.sup.jobs().data()), job->spec.name);
  call.reply.stream(call.handlers.status_frames(call.id, std::move(names)));
  return defer(call);
}

}  // namespace supd::daemon
