// `supctl shutdown [--leave-running]`: supd stops (or leaves) its jobs and exits; supctl
// returns once supd has closed the connection, so the next supd can start right after.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_shutdown(std::span<const std::string>, const SubcommandFlags& f) {
  return proto::Shutdown{f.leave_running};
}

int run_shutdown(Session& session) {
  auto client = session.connect();
  const auto reply = client.call(session.cli.command, session.limits.request);
  if (reply.response.ok()) client.wait_for_close(session.limits.request);  // returns once supd is gone
  return session.show(reply);
}

constexpr Subcommand kShutdownRows[] = {{
    .name = "shutdown",
    .synopsis = "[--leave-running]",
    .help = "stop every job, then supd itself (--leave-running: leave the jobs for the next supd); returns once "
            "supd has exited",
    .min_args = 0,
    .max_args = 0,
    .options = kOptLeaveRunning,
    .build = build_shutdown,
    .run = run_shutdown,
    .rank = 70,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Shutdown>) { return kShutdownRows; }

bool waits(const proto::Shutdown&) { return true; }  // it stops every job first

std::optional<std::string> render(const proto::Shutdown&, const proto::Shutdown::Reply& reply) {
  if (const auto left = reply.left_running)
    return fmt::format("supd exited and left {} job{} running for the next supd\n", *left, *left == 1 ? "" : "s");
  return fmt::format("supd stopped {} job{} and exited\n", reply.stopped, reply.stopped == 1 ? "" : "s");
}

}  // namespace supd::ctl
