// `hello` has no supctl command (ctl/client.cpp sends it first on every connection and reads
// its typed reply there); it still has a renderer, its JSON, as every command must.
#include "ctl/command_list.hpp"

namespace supd::ctl {

namespace proto = supd::protocol;

std::span<const Subcommand> rows(std::type_identity<proto::Hello>) { return {}; }

bool waits(const proto::Hello&) { return false; }

std::optional<std::string> render(const proto::Hello&, const proto::Hello::Reply& reply) {
  return reply.to_json().dump() + "\n";
}

}  // namespace supd::ctl
