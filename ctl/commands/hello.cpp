// `hello` has no supctl command (ctl/client.cpp sends it first on every connection); its
// reply still reads as the raw result, as any command must have a renderer.
#include "ctl/command_list.hpp"

namespace supd::ctl {

namespace proto = supd::protocol;

std::span<const Subcommand> rows(std::type_identity<proto::Hello>) { return {}; }

bool waits(const proto::Hello&) { return false; }

std::optional<std::string> render(const proto::Hello&, const proto::Hello::Reply& reply) {
  return reply.to_json().dump() + "\n";
}

}  // namespace supd::ctl
