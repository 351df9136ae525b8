// `export`: each named job as a systemd user unit (config/systemd_unit.hpp).
#include <cstdlib>

#include <fmt/format.h>

#include "config/systemd_unit.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Export& command, Call& call) {
  if (command.format != "systemd")
    return {call.id, protocol::Error{protocol::ErrorCode::BadRequest,
                                     fmt::format("cannot export as '{}'; the one format is systemd", command.format)}};
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve(command.jobs, false, jobs)) return {call.id, *err};
  // The PATH execvp would search for the job: its own, else supd's.
  const char* own_path = std::getenv("PATH");
  protocol::Export::Reply reply;
  for (const Job* job : jobs) {
    const auto path = job->spec.environment.find("PATH");
    const std::string search = path != job->spec.environment.end() ? path->second
                               : own_path != nullptr                 ? own_path
                                                                     : "/usr/local/bin:/usr/bin:/bin";
    reply.units.push_back({job->spec.name, config::unit_file_name(job->spec),
                           config::systemd_unit(job->spec, call.sup.log_dir(), search)});
  }
  return protocol::reply(call.id, reply);
}

}  // namespace supd::daemon
