// `supctl export systemd JOB...`: the job as a systemd user unit, printed for a redirect
// (`> ~/.config/systemd/user/api.service`); several units each under a comment naming its file.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_export(std::span<const std::string> args, const SubcommandFlags&) {
  if (args[0] != "systemd")
    throw UsageError(fmt::format("cannot export as '{}'; the one format is systemd: supctl export systemd JOB...",
                                 printable(args[0])));
  if (args.size() < 2) throw UsageError("missing argument JOB for export; usage: supctl export systemd JOB...");
  return proto::Export{"systemd", job_list(args.subspan(1))};
}

constexpr Subcommand kExportRows[] = {{
    .name = "export",
    .synopsis = "systemd JOB...",
    .help = "print the job as a systemd user unit, for moving it to systemd (> ~/.config/systemd/user/JOB.service)",
    .min_args = 1,
    .max_args = kMany,
    .build = build_export,
    .rank = 165,
    .document = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Export>) { return kExportRows; }

bool waits(const proto::Export&) { return false; }

std::optional<std::string> render(const proto::Export&, const proto::Export::Reply& reply) {
  if (reply.units.size() == 1) return reply.units.front().text;
  std::string out;
  for (const auto& unit : reply.units)
    out += fmt::format("{}# ---- {} ----\n{}", out.empty() ? "" : "\n", unit.file, unit.text);
  return out;
}

}  // namespace supd::ctl
