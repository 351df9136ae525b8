// `supctl stop JOB... [--no-wait]`: one line per job it touched.
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_stop(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Stop{job_list(args), !f.no_wait};
}

constexpr Subcommand kStopRows[] = {{
    .name = "stop",
    .synopsis = "JOB... [--no-wait]",
    .help = "stop jobs ('all' = every job) and wait until their processes are gone",
    .min_args = 1,
    .max_args = kMany,
    .options = kOptNoWait,
    .build = build_stop,
    .rank = 30,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Stop>) { return kStopRows; }

bool waits(const proto::Stop& command) { return command.wait; }

std::optional<std::string> render(const proto::Stop&, const proto::Stop::Reply& reply) {
  return render_job_lines(reply.jobs);
}

}  // namespace supd::ctl
