// `supctl signal JOB SIG [--group] [--expect REGEX]`: one signal to the job; with --expect,
// then the wait for a new output line matching REGEX (ctl/signal_expect.cpp).
#include <fmt/format.h>

#include "common/signals.hpp"
#include "ctl/command_list.hpp"
#include "ctl/expect.hpp"
#include "ctl/session.hpp"
#include "ctl/signal_expect.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_signal_job(std::span<const std::string> args, const SubcommandFlags& f) {
  check_job_name(args[0]);
  const auto signo = common::parse_signal(args[1]);
  if (!signo)
    throw UsageError(fmt::format("unknown signal '{}'; use {}", printable(args[1]),
                                 common::accepted_signal_forms()));
  if (f.expect) {
    std::string why;
    if (!LineMatcher::compile(*f.expect, &why))
      throw UsageError(fmt::format("invalid --expect regex '{}' ({}); use an ECMAScript regex like 'Hello w.*'",
                                   printable(*f.expect), printable(why, 120)));
  }
  // The canonical name goes on the wire; supd parses and checks it again.
  return proto::SignalJob{args[0], common::signal_name(*signo), f.group};
}

// --expect follows the job's log before the signal goes out, so the signal is not sent
// behind the hello.
int run_signal_job(Session& session) {
  if (!session.cli.flags.expect) return run_request(session);
  auto client = session.connect(false);
  return run_signal_expect(client, session.cli, session.limits.connect, session.limits.request, session.out,
                           session.err);
}

constexpr Subcommand kSignalJobRows[] = {{
    .name = "signal",
    .synopsis = "JOB SIG [--group] [--expect REGEX]",
    .help = "send SIG (USR1, SIGUSR1, usr1, 10, RTMIN+2) to the job's process; --expect waits for a new output "
            "line matching REGEX",
    .min_args = 2,
    .max_args = 2,
    .options = kOptGroup | kOptExpect,
    .build = build_signal_job,
    .run = run_signal_job,
    .rank = 50,
    .plain = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::SignalJob>) { return kSignalJobRows; }

bool waits(const proto::SignalJob&) { return false; }

std::optional<std::string> render(const proto::SignalJob& request, const proto::SignalJob::Reply& reply) {
  // supd names what it did; the request fills in what an older reply leaves out.
  const std::string& job = reply.job.empty() ? request.job : reply.job;
  const std::string& signal = reply.signal.empty() ? request.signal : reply.signal;
  const std::string_view target = reply.group ? "process group" : "pid";
  std::string out = fmt::format("{}: sent {} to {} {}\n", job, signal, target, reply.pid);
  for (const auto& [name, pid] : reply.also) out += fmt::format("{}: sent {} to {} {}\n", name, signal, target, pid);
  return out;
}

}  // namespace supd::ctl
