// `supctl logs JOB [-n N] [-f] [--stderr] [-t] [--since T]` and `supctl logs --reopen`: the
// job's log printed as supd streams it; several jobs, or `all`, go to ctl/merged_logs.cpp.
#include <cstdint>
#include <limits>

#include <unistd.h>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/time_format.hpp"
#include "ctl/command_list.hpp"
#include "ctl/merged_logs.hpp"
#include "ctl/render.hpp"
#include "ctl/stream.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_logs(std::span<const std::string> args, const SubcommandFlags& f) {
  proto::Logs logs;
  if (f.reopen) {
    if (!args.empty() || f.follow || f.lines || f.from_stderr || f.timestamps || f.since)
      throw UsageError("logs --reopen takes no job and no other option; usage: supctl logs --reopen");
    logs.reopen = true;
    return logs;
  }
  if (args.empty())
    throw UsageError("missing argument JOB for logs; usage: supctl logs JOB [-n N] [-f] [--stderr] | --reopen");
  for (const auto& name : args) check_job_name(name);  // several, or `all`: ctl/merged_logs.cpp
  if (f.lines && *f.lines < 0)
    throw UsageError(fmt::format("invalid -n {}: give a number of lines >= 0", *f.lines));
  logs.job = args[0];
  // --since without -n: every line since then (supd still bounds how far back it reads).
  logs.lines = f.lines.value_or(f.since ? std::numeric_limits<int>::max() : 10);
  logs.timestamps = f.timestamps;
  if (f.since) {
    const auto back = common::parse_duration(*f.since);
    if (!back)
      throw UsageError(fmt::format("invalid --since '{}'; give a duration back from now, e.g. 10m, 2h, 1d",
                                   printable(*f.since)));
    // Further back than 1970 would be a time before the epoch (once as far as -1): refused.
    const std::int64_t now = common::unix_ms_now();
    if (back->count() > now)
      throw UsageError(fmt::format("invalid --since '{}': that is before 1970; give a duration back from now, "
                                   "e.g. 10m, 2h, 1d",
                                   printable(*f.since)));
    logs.since_ms = now - back->count();
  }
  logs.follow = f.follow;
  logs.from_stderr = f.from_stderr;
  return logs;
}

// A follower so far behind that files were rotated away before supd could send them.
std::optional<std::string> skipped_note(const nlohmann::json& result) {
  const auto reply = proto::Logs::Reply::from_json(result);
  if (!reply || !reply->skipped) return std::nullopt;
  return fmt::format("{} bytes of the log were rotated away before this follower read them; a larger log_keep "
                     "or log_max_size keeps more",
                     *reply->skipped);
}

// Each piece as it arrives: raw text, or one JSON document per line with --json.
int run_logs(Session& session) {
  if (wants_merged_logs(session.cli)) return run_merged_logs(session);
  static const std::string kNoOutput = "nothing in the job's log yet: " + std::string(kBufferedHint);
  const auto& logs = std::get<proto::Logs>(session.cli.command);
  // The note is for a person at a terminal who asked for lines; a script gets the empty
  // output and exit 0 it relies on.
  const bool note = logs.lines != 0 && ::isatty(STDERR_FILENO) == 1;
  const StreamWords words{
      "supd sent a logs result supctl cannot read; use the supctl that came with this supd",
      "supd closed the connection in the middle of the log",
      "the log stream ended without supd's end mark (supd exited or was killed)",
      note ? std::string_view(kNoOutput) : std::string_view(), skipped_note};
  return stream_replies(session, logs.follow, render_json_result, words);
}

constexpr Subcommand kLogsRows[] = {{
    .name = "logs",
    .synopsis = "JOB... [-n N] [-f] [--stderr] [-t] [--since T]",
    .help = "print the job's last N lines (10), across rotated files; -f follows; -t adds times; several jobs or "
            "all: merged in time order, each line after its job's name; --reopen reopens every log file",
    .min_args = 0,
    .max_args = kMany,
    .options = kOptLogs,
    .build = build_logs,
    .run = run_logs,
    .rank = 80,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Logs>) { return kLogsRows; }

bool waits(const proto::Logs&) { return false; }

std::optional<std::string> render(const proto::Logs&, const proto::Logs::Reply& reply) {
  if (reply.text) return *reply.text;  // printed raw, as the job wrote it (no newline added)
  if (const auto n = reply.reopened) return fmt::format("reopened {} log file{}\n", *n, *n == 1 ? "" : "s");
  return std::string();  // the end mark
}

}  // namespace supd::ctl
