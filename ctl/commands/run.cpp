// `supctl run NAME [options] -- CMD [ARGS...]`: an ad-hoc job started now (the nohup CMD &
// replacement), one line for it once it settles.
#include <filesystem>

#include <fmt/format.h>

#include "common/names.hpp"
#include "common/paths.hpp"
#include "common/restart_policy.hpp"
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

constexpr std::string_view kRunUsage = "supctl run NAME [--restart POLICY] [--directory DIR] [--env K=V]... "
                                       "[--stdout FILE] [--no-wait] -- CMD [ARGS...]";

// supctl sends argv (no shell) and an absolute directory: supd's cwd is not the user's.
proto::Command build_run(std::span<const std::string> args, const SubcommandFlags& f) {
  check_job_name(args[0]);
  if (common::is_reserved_job_name(args[0])) throw UsageError(common::reserved_job_name_message(args[0]));
  if (args.size() > 1)
    throw UsageError(fmt::format("put '--' before the command, as in: supctl run {} -- {}; usage: {}",
                                 printable(args[0]), printable(args[1]), kRunUsage));
  if (f.command.empty() || f.command.front().empty())
    throw UsageError(fmt::format("missing command for run; usage: {}", kRunUsage));
  proto::Run run;
  run.name = args[0];
  run.argv = f.command;
  std::error_code ec;
  std::filesystem::path dir = f.directory.value_or(".");
  if (dir.empty()) throw UsageError("--directory must not be empty; give a directory");
  if (dir.is_relative()) {
    const auto cwd = std::filesystem::current_path(ec);
    if (ec) throw UsageError(fmt::format("cannot tell the current directory ({}); give --directory DIR", ec.message()));
    dir = cwd / dir;
  }
  run.directory = common::normal_dir(dir).string();
  for (const auto& kv : f.env) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(fmt::format("invalid --env '{}'; write it as NAME=VALUE", printable(kv)));
    run.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (f.restart && !common::parse_restart_policy(*f.restart))
    throw UsageError(fmt::format("invalid --restart '{}'; use always, on-failure or never", printable(*f.restart)));
  run.restart = f.restart;
  run.stdout_file = f.stdout_file;
  run.wait = !f.no_wait;
  return run;
}

constexpr Subcommand kRunRows[] = {{
    .name = "run",
    .synopsis = "NAME [--restart P] [--directory DIR] [--env K=V]... [--stdout FILE] -- CMD [ARGS...]",
    .help = "start an ad-hoc job now (the nohup CMD & replacement) and wait until it settles",
    .min_args = 1,
    .max_args = kMany,
    .options = kOptRun | kOptNoWait,
    .build = build_run,
    .rank = 130,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Run>) { return kRunRows; }

bool waits(const proto::Run& command) { return command.wait; }

std::optional<std::string> render(const proto::Run&, const proto::Run::Reply& reply) {
  return render_job_lines(reply.jobs);
}

}  // namespace supd::ctl
