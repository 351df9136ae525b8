// `hello`: the protocol check every connection starts with.
#include <fmt/format.h>

#include "daemon/control/command_handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Hello& command, Call& call) {
  if (command.protocol != protocol::kProtocolVersion)
    return fail(call.id, protocol::ErrorCode::VersionMismatch,
                fmt::format("supd speaks protocol {}, the client {}; use the supctl that came with this supd",
                            protocol::kProtocolVersion, command.protocol));
  return protocol::reply(call.id, protocol::Hello::Reply{protocol::kProtocolVersion, SUPD_VERSION});
}

}  // namespace supd::daemon
