// `supctl start JOB... [--no-wait]`: one line per job it touched.
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_start(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Start{job_list(args), !f.no_wait};
}

constexpr Subcommand kStartRows[] = {{
    .name = "start",
    .synopsis = "JOB... [--no-wait]",
    .help = "start jobs ('all' = every job) and wait until they settle",
    .min_args = 1,
    .max_args = kMany,
    .options = kOptNoWait,
    .build = build_start,
    .rank = 20,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Start>) { return kStartRows; }

bool waits(const proto::Start& command) { return command.wait; }

std::optional<std::string> render(const proto::Start&, const proto::Start::Reply& reply) {
  return render_job_lines(reply.jobs);
}

}  // namespace supd::ctl
