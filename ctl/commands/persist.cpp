// `supctl persist NAME`: an ad-hoc job (from `supctl run`) appended to the config file.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Persist{args[0]};
}

constexpr Subcommand kRows[] = {{
    .name = "persist",
    .synopsis = "NAME",
    .help = "append an ad-hoc job (from supctl run) to the config file",
    .min_args = 1,
    .max_args = 1,
    .build = build,
    .rank = 140,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Persist>) { return kRows; }

bool waits(const proto::Persist&) { return false; }

std::optional<std::string> render(const proto::Persist&, const proto::Persist::Reply& reply) {
  return fmt::format("{}: added to {}{}\n", one_line(reply.job), one_line(reply.config),
                     reply.created ? " (created)" : "");
}

}  // namespace supd::ctl
