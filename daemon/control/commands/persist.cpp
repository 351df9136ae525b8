// `persist`: an ad-hoc job (from `run`) appended to the config file, becoming a config job.
#include <fmt/format.h>

#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Persist& command, Call& call) {
  Reloader* reloader = call.handlers.reloader();
  if (reloader == nullptr)
    return fail(call.id, protocol::ErrorCode::Internal, "this supd has no config file to write to");
  if (!protocol::is_valid_job_name(command.job))
    return fail(call.id, protocol::ErrorCode::InvalidName, fmt::format("'{}' is not a valid job name", command.job));
  auto written = reloader->persist(command.job);
  if (auto* e = std::get_if<protocol::Error>(&written)) return {call.id, std::move(*e)};
  return protocol::reply(call.id, std::get<protocol::Persist::Reply>(written));
}

}  // namespace supd::daemon
