// `supctl upgrade`: supd re-execs itself in place; the new supd answers.
#include <fmt/format.h>

#include "ctl/command_list.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_upgrade(std::span<const std::string>, const SubcommandFlags&) { return proto::Upgrade{}; }

constexpr Subcommand kUpgradeRows[] = {{
    .name = "upgrade",
    .help = "re-exec supd in place from its binary (a new version installed over it); jobs keep running",
    .min_args = 0,
    .max_args = 0,
    .build = build_upgrade,
    .rank = 160,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Upgrade>) { return kUpgradeRows; }

bool waits(const proto::Upgrade&) { return false; }

std::optional<std::string> render(const proto::Upgrade&, const proto::Upgrade::Reply& reply) {
  return fmt::format("supd {} runs on as pid {}; {} job{} kept running\n", reply.version, reply.pid, reply.adopted,
                     reply.adopted == 1 ? "" : "s");
}

}  // namespace supd::ctl
