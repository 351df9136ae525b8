// `supctl doctor`: what breaks supervised jobs for real users, checked and explained one
// line each (socket, systemd, linger, log dir, config, buffering).
//
// Two layers, so the judgement is testable without a machine in a given state:
//   gather_facts()    the syscalls: stat, connect, SO_PEERCRED, /proc, statvfs, hello+status
//                     (the hello only to a socket supctl trusts: common/socket_trust.hpp);
//   evaluate(facts)   pure: facts in, one Check (ok / warn / fail, message with the fix) out
//                     per check, in a fixed order.
// Client-side only: common/ and the client in ctl/, no new protocol method.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/paths.hpp"
#include "common/socket_trust.hpp"
#include "ctl/cli.hpp"

namespace supd::ctl {

// NotApplicable: the check's subject does not exist here (linger without systemd); it never
// fails doctor, and its message says what to do instead.
enum class CheckStatus { Ok, Warn, Fail, NotApplicable };
std::string_view check_status_name(CheckStatus status);  // "ok", "warn", "fail", "n/a"

struct Check {
  std::string name;  // socket, systemd, linger, log-dir, config, buffering
  CheckStatus status = CheckStatus::Ok;
  std::string message;  // one line: what was found, and the fix when it is not ok
  bool operator==(const Check&) const = default;
};
// A check whose message is cut to one printable line, as every check's is.
Check make_check(std::string name, CheckStatus status, std::string message);

struct SocketFacts {
  enum class State {
    Missing,     // nothing at the path
    NotSocket,   // something else is there
    Stale,       // a socket nobody listens on (connect: ECONNREFUSED)
    Unreachable, // connect failed otherwise (EACCES, ...): `error` says why
    Untrusted,   // another user owns or may write its directory, or runs its server: `distrust`
    NoAnswer,    // connected, but hello or status failed: `error` is the client's message
    Answers,     // hello and status answered
    ForeignRuntimeDir,  // the default socket is under another user's XDG_RUNTIME_DIR: `error` says so
  };
  std::filesystem::path path;
  State state = State::Missing;
  std::string error;
  std::optional<common::Distrust> distrust;  // when Untrusted
  std::string start_hint = "supd --detach";  // with --socket when it was given
  std::string version;                       // supd's, when it answers
  // When supd answered elsewhere (ctl/find_supd.hpp): the socket this shell resolved, which did not.
  std::optional<std::filesystem::path> resolved;
};

struct SupdFacts {
  std::optional<pid_t> pid;           // SO_PEERCRED, else the pid in <socket>.lock
  std::optional<std::string> cgroup;  // /proc/PID/cgroup, when readable
};

struct LingerFacts {
  std::string user;  // login name ("" when the uid has none)
  bool lingering = false;  // /var/lib/systemd/linger/<user> exists
};

// Whether systemd runs this machine and a user manager runs for this user: linger and the user
// service apply only then (elsewhere loginctl fails).
struct SystemdFacts {
  bool booted = true;        // /run/systemd/system exists: sd_booted()'s test
  bool user_manager = true;  // /run/user/UID/systemd or $XDG_RUNTIME_DIR/systemd exists
};

struct LogDirFacts {
  std::filesystem::path path;
  bool exists = false;
  bool is_dir = false;
  bool writable = false;  // access(W_OK | X_OK)
  std::optional<std::uint64_t> total_bytes;  // statvfs, when it worked
  std::optional<std::uint64_t> free_bytes;   // available to unprivileged users
};

struct FileFacts {
  mode_t mode = 0;  // st_mode
  uid_t uid = 0;
};

struct ConfigFacts {
  std::filesystem::path path;
  std::optional<FileFacts> file;  // nullopt: missing
  std::optional<FileFacts> dir;   // its directory, when stat worked
  uid_t my_uid = 0;
};

struct JobProcessFacts {
  std::string job;
  pid_t pid = 0;
  std::optional<std::vector<std::string>> argv;     // /proc/PID/cmdline
  std::optional<std::vector<std::string>> environ;  // /proc/PID/environ, "K=V" each
};

// supd's cgroup (v2), and the controllers enabled for its jobs (ctl/doctor_cgroup.cpp).
struct CgroupFacts {
  bool known = false;                      // supd's /proc/PID/cgroup was read
  std::optional<std::string> path;         // its v2 path; ends in "/supd" when jobs get their own cgroups
  std::filesystem::path mount;             // the v2 hierarchy's mount ("" when there is none)
  std::vector<std::string> controllers;    // cgroup.subtree_control of supd's subtree
};

struct DoctorFacts {
  SocketFacts socket;
  SupdFacts supd;
  SystemdFacts systemd;
  LingerFacts linger;
  LogDirFacts log_dir;
  ConfigFacts config;
  std::vector<JobProcessFacts> jobs;  // running jobs (only known when supd answers)
  CgroupFacts cgroups;
};

// ---- the pure part
Check check_socket(const SocketFacts& socket, const SupdFacts& supd, const SystemdFacts& systemd = {});
Check check_systemd(const SocketFacts& socket, const SupdFacts& supd, const SystemdFacts& systemd = {});
Check check_linger(const LingerFacts& linger, const SystemdFacts& systemd = {});
Check check_log_dir(const LogDirFacts& log_dir);
Check check_config(const ConfigFacts& config);
// Whether each job gets its own cgroup, and its limits their controllers.
Check check_cgroups(const SocketFacts& socket, const CgroupFacts& cgroups);
CgroupFacts gather_cgroup_facts(const std::filesystem::path& root, const std::optional<std::string>& supd_cgroup_text);
// One line per job that looks output-buffered; one ok line when none does.
std::vector<Check> check_buffering(const SocketFacts& socket, const std::vector<JobProcessFacts>& jobs);
// Every check, in order: socket, systemd, linger, log-dir, config, cgroups, buffering.
std::vector<Check> evaluate(const DoctorFacts& facts);

// Whether a /proc/PID/cgroup text shows a process in a systemd service: a "supd.service"
// component, or a ".service" below a "user@UID.service" (the user manager's own units).
// Returns the unit name, or nullopt.
std::optional<std::string> systemd_unit_of(std::string_view cgroup_text);

// A python interpreter (basename of argv[0] starts with "python") run without -u and
// without PYTHONUNBUFFERED set to a non-empty value.
bool looks_output_buffered(const std::vector<std::string>& argv, const std::vector<std::string>& environ);

// Whether doctor exits 0: no check failed, and with `strict` none warns either (n/a never counts).
bool passed(const std::vector<Check>& checks, bool strict = false);

// "ok    socket      supd answers ..." lines, and {"checks":[...],"ok":passed(checks, strict)}.
std::string render_checks(const std::vector<Check>& checks);
std::string render_checks_json(const std::vector<Check>& checks, bool strict = false);

// ---- the gathering layer, and the command
DoctorFacts gather_facts(const common::Paths& paths, const GlobalOptions& options,
                         const common::Getenv& env = common::system_getenv);

// Reads <root>/run/systemd/system and the user manager's directory (root is "/" but in tests).
SystemdFacts gather_systemd_facts(const std::filesystem::path& root, uid_t uid, const common::Getenv& env);

// Runs every check and prints them; 1 when a check failed (or, with --strict, warned), else 0.
// Never 3: an unreachable supd is a failed check, reported like the others.
int run_doctor(const ParsedCli& cli, std::ostream& out, std::ostream& err,
               const common::Getenv& env = common::system_getenv);

}  // namespace supd::ctl
