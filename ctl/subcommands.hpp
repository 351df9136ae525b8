// supctl's commands as one table: each row names a command, documents it, and builds exactly
// one protocol request from its arguments (tmux's cmd_entry, ninja's kTools[]). The rows live
// with their command (ctl/commands/<name>.cpp, listed by the build) or, for the client-only
// doctor and inspect, in ctl/client_only.cpp; --help and the argument checks come from here.
#pragma once
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"

namespace supd::ctl {

struct Session;  // ctl/session.hpp

// A bad command line: supctl prints "supctl: <what>" on one line and exits kUsage (2).
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMany = std::numeric_limits<std::size_t>::max();

// Per-command options, parsed by the CLI layer and handed to the builder.
enum SubcommandOption : unsigned {
  kOptNone = 0,
  kOptNoWait = 1u << 0,  // --no-wait: start/stop/restart return without waiting to settle
  kOptGroup = 1u << 1,   // --group: signal the job's whole process group
  kOptLogs = 1u << 2,    // logs: -n N, -f/--follow, --stderr, --reopen
  kOptDryRun = 1u << 3,  // reload --dry-run
  kOptRun = 1u << 4,     // run: --restart, --directory, --env K=V, --stdout, then -- CMD ARGS...
  kOptExpect = 1u << 7,  // signal --expect REGEX: wait for a new output line matching it
  kOptEvents = 1u << 8,  // events: -n N, -f/--follow
  kOptLeaveRunning = 1u << 9,  // shutdown --leave-running: supd exits, its jobs stay
  kOptStrict = 1u << 10,       // doctor --strict: a warning fails too
  kOptOnce = 1u << 11,         // top --once: one snapshot as text
};

struct SubcommandFlags {
  bool no_wait = false;
  bool group = false;
  std::optional<int> lines;  // -n N
  bool follow = false;       // -f
  bool from_stderr = false;  // --stderr
  bool reopen = false;       // --reopen
  bool timestamps = false;   // -t/--timestamps
  std::optional<std::string> since;  // --since T (a duration back from now)
  bool dry_run = false;      // --dry-run
  std::optional<std::string> restart;    // run --restart POLICY
  std::optional<std::string> directory;  // run --directory DIR (default: supctl's cwd)
  std::vector<std::string> env;          // run --env K=V, repeatable
  std::optional<std::string> stdout_file;  // run --stdout FILE
  std::vector<std::string> command;      // run: the words after `--`
  std::optional<std::string> expect;  // --expect REGEX (signal)
  bool leave_running = false;  // --leave-running
  bool strict = false;         // doctor --strict
  bool once = false;           // top --once
};

struct Subcommand {
  std::string_view name;
  std::string_view alias = {};     // "" when none
  std::string_view synopsis = {};  // arguments and options, after the name: "JOB SIG [--group]"
  std::string_view help = {};      // one line
  std::size_t min_args = 0;
  std::size_t max_args = 0;        // kMany: no limit
  unsigned options = kOptNone;     // SubcommandOption bits it accepts
  // Builds the request; throws UsageError. Called with a checked argument count.
  protocol::Command (*build)(std::span<const std::string> args, const SubcommandFlags& flags) = nullptr;
  // Runs it against supd: nullptr sends the request and prints the answer (run_request); a
  // command that streams, waits or works client-side brings its own. Returns the exit code.
  int (*run)(Session& session) = nullptr;
  // Its place in --help: rows are sorted by it, so a new command picks a free rank and no
  // list of names keeps the order.
  int rank = 0;
  // It reads this machine itself (/proc, the terminal, the local socket): refused with --host.
  bool here_only = false;
  // Across several hosts its answer is printed as one block per host under "==> HOST <=="
  // (tail's habit for several files), not line by line with "HOST: " before each line.
  bool document = false;
  // Across several hosts its hook is run once and shows every host itself (top: a section
  // per host), rather than once per host with the answers merged (ctl/fanout.hpp).
  bool sections = false;
  // Its usual command lines (job and signal names, --no-wait, --group, --json, --socket) are
  // read without CLI11 and run without iostreams (ctl/plain_cli.hpp, ctl/plain_run.hpp): the
  // commands scripts run in loops. With only those options its work is run_request's.
  bool plain = false;
};

// Every command, in --help order: the rows of ctl/commands/*.cpp and the client-only ones.
std::span<const Subcommand> subcommands();

// The rows of commands that send no request of their own kind (doctor, inspect).
std::span<const Subcommand> client_only_rows();

// Exact match on name or alias; nullptr when there is none.
const Subcommand* find_subcommand(std::string_view name);

// The command meant by a word that is none: another tool's word for it ("kill" -> signal), the
// one command it abbreviates ("stat" -> status), else the closest spelling ("stpo" -> stop);
// "" when none is close.
std::string_view suggest_subcommand(std::string_view name);

// "supctl signal JOB SIG [--group]".
std::string usage_line(const Subcommand& sub);

// The argument names of a synopsis, options and brackets left out: "JOB SIG" -> {JOB, SIG}.
// "JOB..." gives "JOB". Used to name a missing argument.
std::string missing_argument_name(const Subcommand& sub, std::size_t given);

// Checks the argument count against the row, then calls its builder. Throws UsageError.
protocol::Command build_command(const Subcommand& sub, std::span<const std::string> args,
                                const SubcommandFlags& flags = {});

// A job name as the protocol accepts it, else a UsageError saying what a name may hold.
void check_job_name(const std::string& name);

// A list of job names where `all` stands for every job (sent as ["all"]).
std::vector<std::string> job_list(std::span<const std::string> args);

// A user- or server-supplied string made safe for a one-line message: control bytes shown
// as \xNN (so a name with '\n' or NUL cannot split the line), cut at `max` bytes with "...".
std::string printable(std::string_view text, std::size_t max = 64);

// Whether this command waits for jobs to settle, so it has no time limit by default.
bool waits_for_jobs(const protocol::Command& command);

}  // namespace supd::ctl
