// `supctl restart JOB... [--no-wait]`: one line per job it touched.
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_restart(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Restart{job_list(args), !f.no_wait};
}

constexpr Subcommand kRestartRows[] = {{
    .name = "restart",
    .synopsis = "JOB... [--no-wait]",
    .help = "stop, then start jobs ('all' = every job)",
    .min_args = 1,
    .max_args = kMany,
    .options = kOptNoWait,
    .build = build_restart,
    .rank = 40,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Restart>) { return kRestartRows; }

bool waits(const proto::Restart& command) { return command.wait; }

std::optional<std::string> render(const proto::Restart&, const proto::Restart::Reply& reply) {
  return render_job_lines(reply.jobs);
}

}  // namespace supd::ctl
