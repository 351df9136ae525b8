// The commands supctl works out itself, with a request of another command's kind: top (status
// and stats on a screen, ctl/top.cpp), doctor
// (its checks, ctl/doctor.cpp; its one request a status) and inspect (a pid request, then
// /proc read here, ctl/inspect.cpp), bridge (relays others' requests, ctl/bridge.cpp), and
// help, which sends nothing. No protocol command of
// their own, so no file in ctl/commands/.
#include "common/protocol.hpp"
#include "ctl/bridge.hpp"
#include "ctl/doctor.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/inspect.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"
#include "ctl/subcommands.hpp"
#include "ctl/top.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

// What run_doctor sends after hello is a status; the row's request is that status.
proto::Command build_doctor(std::span<const std::string>, const SubcommandFlags&) { return proto::Status{}; }

// `supctl help [COMMAND]` never gets this far: parse_cli reads it as `COMMAND --help`
// (ctl/cli_habits.cpp). The row is there for --help's list, completion and the man page.
proto::Command build_help(std::span<const std::string>, const SubcommandFlags&) {
  throw UsageError("help is read before the commands; usage: supctl help [COMMAND]");
}

// top asks for status and stats itself (ctl/top.cpp); its row's request is the status.
proto::Command build_top(std::span<const std::string>, const SubcommandFlags&) { return proto::Status{}; }

// The bridge relays requests it does not read; its row's own request is never sent.
proto::Command build_bridge(std::span<const std::string>, const SubcommandFlags&) { return proto::Hello{}; }

int run_doctor_row(Session& session) { return run_doctor(session.cli, session.out, session.err, session.env); }

proto::Command build_inspect(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Pid{args[0]};
}

int run_inspect(Session& session) {
  auto client = session.connect();
  const auto reply = client.call(session.cli.command, session.limits.request);
  if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
    return session.fail(kFailed, error_text(*error));
  const auto pid = proto::Pid::Reply::from_json(std::get<nlohmann::json>(reply.response.body));
  if (!pid)
    return session.fail(kFailed, "supd sent a pid result supctl cannot read; use the supctl that came with this supd");
  return print_inspect(std::get<proto::Pid>(session.cli.command).job, pid->pid, session.cli.options.json, session.out,
                       session.err);
}

constexpr Subcommand kClientOnlyRows[] = {
    {
        .name = "top",
        .synopsis = "[--once]",
        .help = "a live full-screen view of every job (state, CPU%, RSS, uptime, restarts, health, last line) "
                "with keys to start, stop, restart, signal and read logs; --once or not on a terminal: one snapshot",
        .min_args = 0,
        .max_args = 0,
        .options = kOptOnce,
        .build = build_top,
        .run = run_top,
        .rank = 16,
        .sections = true,
    },
    {
        .name = "doctor",
        .synopsis = "[--strict]",
        .help = "check what breaks supervised jobs (socket, systemd, linger, log dir, config, buffering); one line "
                "each; exit 1 on a failed check (--strict: on a warning too)",
        .min_args = 0,
        .max_args = 0,
        .options = kOptStrict,
        .build = build_doctor,
        .run = run_doctor_row,
        .rank = 110,
        .here_only = true,
    },
    {
        .name = "inspect",
        .synopsis = "JOB",
        .help = "the job's live process as /proc shows it: ids, state, command, cwd, fds, cpu, memory, signal "
                "dispositions, umask, limits, its group and its cgroup",
        .min_args = 1,
        .max_args = 1,
        .build = build_inspect,
        .run = run_inspect,
        .rank = 150,
        .here_only = true,
    },
    {
        .name = "bridge",
        .synopsis = "",
        .help = "relay stdin/stdout to this machine's supd, as NDJSON: what supctl --host runs over ssh",
        .min_args = 0,
        .max_args = 0,
        .build = build_bridge,
        .run = run_bridge,
        .rank = 190,
        .here_only = true,
    },
    {
        .name = "help",
        .synopsis = "[COMMAND]",
        .help = "print this list, or COMMAND's help as `supctl COMMAND --help` does",
        .min_args = 0,
        .max_args = 1,
        .build = build_help,
        .rank = 200,
    },
};

}  // namespace

std::span<const Subcommand> client_only_rows() { return kClientOnlyRows; }

}  // namespace supd::ctl
