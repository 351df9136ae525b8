#include "ctl/subcommands.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/edit_distance.hpp"
#include "common/names.hpp"
#include "common/paths.hpp"
#include "common/restart_policy.hpp"
#include "common/signals.hpp"
#include "common/time_format.hpp"
#include "ctl/expect.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

void check_job_name(const std::string& name) {
  if (proto::is_valid_job_name(name)) return;
  throw UsageError(fmt::format(
      "invalid job name '{}'; job names use letters, digits, '_', '.' and '-', do not start "
      "with '-', and are at most 64 bytes",
      printable(name)));
}

// A list of job names where `all` stands for every job (sent as ["all"]).
std::vector<std::string> job_list(std::span<const std::string> args) {
  for (const auto& a : args) check_job_name(a);
  if (std::find(args.begin(), args.end(), "all") != args.end()) return {"all"};
  return {args.begin(), args.end()};
}

proto::Command build_status(std::span<const std::string> args, const SubcommandFlags&) {
  auto jobs = job_list(args);
  if (jobs == std::vector<std::string>{"all"}) jobs.clear();  // empty = every job
  return proto::Status{std::move(jobs)};
}

proto::Command build_start(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Start{job_list(args), !f.no_wait};
}

proto::Command build_stop(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Stop{job_list(args), !f.no_wait};
}

proto::Command build_restart(std::span<const std::string> args, const SubcommandFlags& f) {
  return proto::Restart{job_list(args), !f.no_wait};
}

proto::Command build_signal(std::span<const std::string> args, const SubcommandFlags& f) {
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

proto::Command build_pid(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Pid{args[0]};
}

// inspect asks supd for the pid, then reads /proc itself (ctl/inspect.cpp).
proto::Command build_inspect(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Pid{args[0]};
}

proto::Command build_shutdown(std::span<const std::string>, const SubcommandFlags& f) {
  return proto::Shutdown{f.leave_running};
}

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
  check_job_name(args[0]);
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

proto::Command build_events(std::span<const std::string> args, const SubcommandFlags& f) {
  proto::Events ev;
  if (!args.empty()) {
    check_job_name(args[0]);
    ev.job = args[0];
  }
  if (f.lines && *f.lines < 0)
    throw UsageError(fmt::format("invalid -n {}: give a number of events >= 0", *f.lines));
  ev.limit = f.lines;
  ev.follow = f.follow;
  return ev;
}

proto::Command build_why(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Why{args[0]};
}
proto::Command build_upgrade(std::span<const std::string>, const SubcommandFlags&) { return proto::Upgrade{}; }

// doctor runs its checks client-side (ctl/doctor.cpp); the one request it sends, after hello,
// is a status, which run() leaves to run_doctor.
proto::Command build_doctor(std::span<const std::string>, const SubcommandFlags&) {
  return proto::Status{};
}

proto::Command build_reload(std::span<const std::string>, const SubcommandFlags& f) {
  return proto::Reload{f.dry_run};
}

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

proto::Command build_persist(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Persist{args[0]};
}

constexpr std::array<Subcommand, 16> kSubcommands{{
    {"status", "list", "[JOB...]", "show every job (or the named ones): state, pid, uptime, restarts, last exit",
     0, kMany, kOptNone, build_status},
    {"start", "", "JOB... [--no-wait]", "start jobs ('all' = every job) and wait until they settle",
     1, kMany, kOptNoWait, build_start},
    {"stop", "", "JOB... [--no-wait]", "stop jobs ('all' = every job) and wait until their processes are gone",
     1, kMany, kOptNoWait, build_stop},
    {"restart", "", "JOB... [--no-wait]", "stop, then start jobs ('all' = every job)",
     1, kMany, kOptNoWait, build_restart},
    {"signal", "", "JOB SIG [--group] [--expect REGEX]",
     "send SIG (USR1, SIGUSR1, usr1, 10, RTMIN+2) to the job's process; --expect waits for a new output line matching REGEX",
     2, 2, kOptGroup | kOptExpect, build_signal},
    {"pid", "", "JOB", "print the job's main PID and nothing else",
     1, 1, kOptNone, build_pid},
    {"shutdown", "", "[--leave-running]", "stop every job, then supd itself (--leave-running: leave the jobs for the next supd); returns once supd has exited",
     0, 0, kOptLeaveRunning, build_shutdown},
    {"logs", "", "JOB [-n N] [-f] [--stderr] [-t] [--since T]", "print the job's last N lines (10), across rotated files; -f follows; -t adds times; --reopen reopens every log file",
     0, 1, kOptLogs, build_logs},
    {"events", "", "[JOB] [-n N] [-f]", "the event history (transitions, signals, exits), all jobs merged or one; -f streams new ones",
     0, 1, kOptEvents, build_events},
    {"why", "", "JOB", "post-mortem of the job's last exit: code or signal, core, who caused it, last lines",
     1, 1, kOptNone, build_why},
    {"doctor", "", "", "check what breaks supervised jobs (socket, systemd, linger, log dir, config, buffering); one line each",
     0, 0, kOptNone, build_doctor},
    {"reload", "", "[--dry-run]", "re-read the config file, show what changed per job, apply it (--dry-run: only show)",
     0, 0, kOptDryRun, build_reload},
    {"run", "", "NAME [--restart P] [--directory DIR] [--env K=V]... [--stdout FILE] -- CMD [ARGS...]",
     "start an ad-hoc job now (the nohup CMD & replacement) and wait until it settles",
     1, kMany, kOptRun | kOptNoWait, build_run},
    {"persist", "", "NAME", "append an ad-hoc job (from supctl run) to the config file",
     1, 1, kOptNone, build_persist},
    {"inspect", "", "JOB", "the job's live process as /proc shows it: ids, state, command, cwd, fds, cpu, memory, signal dispositions, its group",
     1, 1, kOptNone, build_inspect},
    {"upgrade", "", "", "re-exec supd in place from its binary (a new version installed over it); jobs keep running",
     0, 0, kOptNone, build_upgrade},
}};

// The argument words of a synopsis: "JOB... [--no-wait]" -> {"JOB"}.
std::vector<std::string_view> argument_words(std::string_view synopsis) {
  std::vector<std::string_view> out;
  while (!synopsis.empty()) {
    const auto sp = synopsis.find(' ');
    std::string_view word = synopsis.substr(0, sp);
    synopsis = sp == std::string_view::npos ? std::string_view{} : synopsis.substr(sp + 1);
    if (word.empty() || word.front() == '[') continue;
    if (word.ends_with("...")) word.remove_suffix(3);
    out.push_back(word);
  }
  return out;
}

}  // namespace

std::span<const Subcommand> subcommands() { return kSubcommands; }

const Subcommand* find_subcommand(std::string_view name) {
  for (const auto& s : kSubcommands)
    if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
  return nullptr;
}

std::string_view suggest_subcommand(std::string_view name) {
  std::string_view best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const auto& s : kSubcommands) {
    for (const auto candidate : {s.name, s.alias}) {
      if (candidate.empty()) continue;
      const auto d = common::edit_distance(name, candidate);
      if (d < best_distance && d < candidate.size()) {
        best = s.name;
        best_distance = d;
      }
    }
  }
  return best;
}

std::string usage_line(const Subcommand& sub) {
  if (sub.synopsis.empty()) return fmt::format("supctl {}", sub.name);
  return fmt::format("supctl {} {}", sub.name, sub.synopsis);
}

std::string missing_argument_name(const Subcommand& sub, std::size_t given) {
  const auto words = argument_words(sub.synopsis);
  if (words.empty()) return "an argument";
  return std::string(words[std::min(given, words.size() - 1)]);
}

proto::Command build_command(const Subcommand& sub, std::span<const std::string> args,
                             const SubcommandFlags& flags) {
  if (args.size() < sub.min_args)
    throw UsageError(fmt::format("missing argument {} for {}; usage: {}",
                                 missing_argument_name(sub, args.size()), sub.name, usage_line(sub)));
  if (args.size() > sub.max_args)
    throw UsageError(fmt::format("unexpected argument '{}' for {}; usage: {}",
                                 printable(args[sub.max_args]), sub.name, usage_line(sub)));
  return sub.build(args, flags);
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  const bool cut = text.size() > max;
  if (cut) text = text.substr(0, max);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  if (cut) out += "...";
  return out;
}

bool waits_for_jobs(const protocol::Command& command) {
  if (const auto* c = std::get_if<proto::Start>(&command)) return c->wait;
  if (const auto* c = std::get_if<proto::Stop>(&command)) return c->wait;
  if (const auto* c = std::get_if<proto::Restart>(&command)) return c->wait;
  if (const auto* c = std::get_if<proto::Run>(&command)) return c->wait;
  return std::holds_alternative<proto::Shutdown>(command);
}

}  // namespace supd::ctl
