// `supctl status [JOB...]` (or `list`): the status table.
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_status(std::span<const std::string> args, const SubcommandFlags&) {
  auto jobs = job_list(args);
  if (jobs == std::vector<std::string>{"all"}) jobs.clear();  // empty = every job
  return proto::Status{std::move(jobs)};
}

constexpr Subcommand kStatusRows[] = {{
    .name = "status",
    .alias = "list",
    .synopsis = "[JOB...]",
    .help = "show every job (or the named ones): state, pid, uptime, restarts, last exit",
    .min_args = 0,
    .max_args = kMany,
    .build = build_status,
    .rank = 10,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Status>) { return kStatusRows; }

bool waits(const proto::Status&) { return false; }

std::optional<std::string> render(const proto::Status&, const proto::Status::Reply& reply) {
  return render_status_table(reply.jobs);
}

}  // namespace supd::ctl
