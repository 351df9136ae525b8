// `supctl pid JOB`: the job's main pid and nothing else.
#include <fmt/format.h>

#include "ctl/command_list.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_pid(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Pid{args[0]};
}

constexpr Subcommand kPidRows[] = {{
    .name = "pid",
    .synopsis = "JOB",
    .help = "print the job's main PID and nothing else",
    .min_args = 1,
    .max_args = 1,
    .build = build_pid,
    .rank = 60,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Pid>) { return kPidRows; }

bool waits(const proto::Pid&) { return false; }

std::optional<std::string> render(const proto::Pid&, const proto::Pid::Reply& reply) {
  return fmt::format("{}\n", reply.pid);  // the reply is only read with a pid > 0
}

}  // namespace supd::ctl
