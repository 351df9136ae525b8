// `supctl remove NAME [--no-wait]`: an ad-hoc job (from `supctl run`) stopped and forgotten.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_remove(std::span<const std::string> args, const SubcommandFlags& f) {
  check_job_name(args[0]);
  return proto::Remove{args[0], !f.no_wait};
}

constexpr Subcommand kRemoveRows[] = {{
    .name = "remove",
    .synopsis = "NAME [--no-wait]",
    .help = "stop an ad-hoc job (from supctl run) and forget it; its log file stays",
    .min_args = 1,
    .max_args = 1,
    .options = kOptNoWait,
    .build = build_remove,
    .rank = 145,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Remove>) { return kRemoveRows; }

bool waits(const proto::Remove& command) { return command.wait; }

std::optional<std::string> render(const proto::Remove&, const proto::Remove::Reply& reply) {
  if (reply.removed) return fmt::format("{}: removed\n", one_line(reply.job));
  return fmt::format("{}: stopping; removed once its processes are gone\n", one_line(reply.job));
}

}  // namespace supd::ctl
