// `supctl persist NAME`: an ad-hoc job (from `supctl run`) appended to the config file.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_persist(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Persist{args[0]};
}

constexpr Subcommand kPersistRows[] = {{
    .name = "persist",
    .synopsis = "NAME",
    .help = "append an ad-hoc job (from supctl run) to the config file",
    .min_args = 1,
    .max_args = 1,
    .build = build_persist,
    .rank = 140,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Persist>) { return kPersistRows; }

bool waits(const proto::Persist&) { return false; }

// "web: added to supd.toml; from [defaults]: stop_timeout = 30s (was 10s); takes effect at its next start"
std::optional<std::string> render(const proto::Persist&, const proto::Persist::Reply& reply) {
  std::string out = fmt::format("{}: added to {}{}", one_line(reply.job), one_line(reply.config),
                                reply.created ? " (created)" : "");
  bool restart = false;
  for (std::size_t i = 0; i < reply.from_defaults.size(); ++i) {
    const auto& f = reply.from_defaults[i];
    out += fmt::format("{}{} = {} (was {})", i == 0 ? "; from [defaults]: " : ", ", one_line(f.field),
                       one_line(f.new_value), one_line(f.old_value));
    restart = restart || f.restart;
  }
  return out + (restart ? "; takes effect at its next start\n" : "\n");
}

}  // namespace supd::ctl
