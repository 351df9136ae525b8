#include "ctl/doctor.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "common/instance_record.hpp"
#include "common/runtime_dir.hpp"
#include "common/sys_error.hpp"
#include "ctl/client.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/run.hpp"

namespace supd::ctl {
namespace {

namespace fs = std::filesystem;
namespace proto = supd::protocol;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kMinFreeBytes = 100 * kMiB;
constexpr double kMinFreeFraction = 0.05;

std::string show(const fs::path& p) { return printable(p.string(), 200); }

std::string bytes_text(std::uint64_t n) {
  if (n >= 1024 * kMiB) return fmt::format("{:.1f} GiB", static_cast<double>(n) / static_cast<double>(1024 * kMiB));
  return fmt::format("{} MiB", n / kMiB);
}

bool writable_by_others(mode_t mode) { return (mode & (S_IWGRP | S_IWOTH)) != 0; }

// ---- gathering helpers

std::optional<std::string> read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

// NUL-separated /proc text -> its fields (an empty cmdline, a kernel thread or a zombie,
// gives nullopt).
std::optional<std::vector<std::string>> read_nul_list(const fs::path& file) {
  const auto text = read_whole(file);
  if (!text || text->empty()) return std::nullopt;
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text->size()) {
    auto end = text->find('\0', start);
    if (end == std::string::npos) end = text->size();
    out.emplace_back(*text, start, end - start);
    start = end + 1;
  }
  return out;
}

std::optional<FileFacts> stat_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return FileFacts{st.st_mode, st.st_uid};
}

std::optional<pid_t> pid_from_lock(const fs::path& socket) {
  const auto text = read_whole(socket.string() + ".lock");
  if (!text) return std::nullopt;
  try {
    const long pid = std::stol(*text);
    if (pid > 0) return static_cast<pid_t>(pid);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// The directory judged, then lstat + a raw connect: untrusted, missing, not a socket, stale or
// reachable; on success the server's uid is judged and its pid kept (SO_PEERCRED). Nothing is
// sent, and the connection is closed at once (supd sees a client that left).
void probe_socket(SocketFacts& socket, SupdFacts& supd) {
  // Judged first: a directory another user controls is the finding, whatever is in it.
  const uid_t me = ::geteuid();
  if ((socket.distrust = common::check_socket_dir(socket.path, me))) {
    socket.state = SocketFacts::State::Untrusted;
    return;
  }
  struct stat st {};
  if (::lstat(socket.path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      socket.state = SocketFacts::State::Missing;
    } else {
      socket.state = SocketFacts::State::Unreachable;
      socket.error = common::errno_message(errno);
    }
    return;
  }
  if (!S_ISSOCK(st.st_mode)) {
    socket.state = SocketFacts::State::NotSocket;
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto s = socket.path.string();
  if (s.size() >= sizeof addr.sun_path) {
    socket.state = SocketFacts::State::Unreachable;
    socket.error = "the path is too long for a Unix socket";
    return;
  }
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    socket.state = SocketFacts::State::Unreachable;
    socket.error = common::errno_message(errno);
    return;
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    socket.state = e == ECONNREFUSED ? SocketFacts::State::Stale : SocketFacts::State::Unreachable;
    socket.error = common::errno_message(e);
    return;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    socket.state = SocketFacts::State::Unreachable;
    socket.error = fmt::format("the kernel does not say who runs the server there (SO_PEERCRED: {})",
                               common::errno_message(errno));
    return;
  }
  if (!common::trusted_server(cred.uid, me)) {
    socket.state = SocketFacts::State::Untrusted;
    socket.distrust = common::Distrust{common::Distrust::Reason::ForeignServer, socket.path, cred.uid, 0};
    return;
  }
  if (cred.pid > 0) supd.pid = cred.pid;
  socket.state = SocketFacts::State::NoAnswer;  // until hello and status say otherwise
}

}  // namespace

Check make_check(std::string name, CheckStatus status, std::string message) {
  return Check{std::move(name), status, one_line(message)};
}

std::string_view check_status_name(CheckStatus status) {
  switch (status) {
  case CheckStatus::Ok: return "ok";
  case CheckStatus::Warn: return "warn";
  case CheckStatus::Fail: return "fail";
  case CheckStatus::NotApplicable: return "n/a";
  }
  return "fail";
}

// ---- the checks

Check check_socket(const SocketFacts& socket, const SupdFacts& supd, const SystemdFacts& systemd) {
  const auto path = show(socket.path);
  using State = SocketFacts::State;
  switch (socket.state) {
  case State::Missing:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("no socket at {}: supd is not running; start it with: {}{}", path, socket.start_hint,
                            systemd.booted ? " (or: systemctl --user start supd)" : ""));  // no systemctl there
  case State::NotSocket:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("{} exists but is not a socket; remove it, or point --socket / SUPD_SOCKET at supd's socket",
                            path));
  case State::Stale:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("stale socket {} left by a killed supd (nobody listens); starting supd replaces it: {}",
                            path, socket.start_hint));
  case State::Unreachable:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("cannot connect to {} ({}); check its owner and mode, or start supd: {}", path,
                            socket.error, socket.start_hint));
  case State::Untrusted:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("supctl refuses to talk to {}: {}", path,
                            socket.distrust ? common::explain_distrust(*socket.distrust) : std::string("not trusted")));
  case State::NoAnswer:
    return make_check("socket", CheckStatus::Fail,
                fmt::format("supd accepts connections on {} but does not answer: {}", path, socket.error));
  case State::ForeignRuntimeDir: return make_check("socket", CheckStatus::Fail, socket.error);
  case State::Answers: break;
  }
  std::string who = socket.version.empty() ? "supd" : fmt::format("supd {}", printable(socket.version));
  const std::string pid = supd.pid ? fmt::format(" (pid {})", *supd.pid) : std::string();
  if (socket.resolved)  // found elsewhere: a warning, since plain supctl commands print a note each time
    return make_check("socket", CheckStatus::Warn,
                fmt::format("{} answers on {}{}, not on {}, which this shell resolves: XDG_RUNTIME_DIR differs from "
                            "supd's; set it as supd has it, or use --socket {}",
                            who, path, pid, printable(socket.resolved->string()), path));
  return make_check("socket", CheckStatus::Ok, fmt::format("{} answers on {}{}", who, path, pid));
}

Check check_log_dir(const LogDirFacts& d) {
  const auto path = show(d.path);
  if (!d.exists)
    return make_check("log-dir", CheckStatus::Warn,
                fmt::format("log dir {} does not exist yet; supd creates it when it starts (unless --log-dir or "
                            "[supd] log_dir point elsewhere)",
                            path));
  if (!d.is_dir)
    return make_check("log-dir", CheckStatus::Fail,
                fmt::format("log dir {} is not a directory; remove it or set SUPD_LOG_DIR / [supd] log_dir", path));
  if (!d.writable)
    return make_check("log-dir", CheckStatus::Fail,
                fmt::format("log dir {} is not writable by you; jobs cannot log: fix its owner or run chmod u+wx {}",
                            path, path));
  if (d.total_bytes && d.free_bytes && *d.total_bytes > 0) {
    const double fraction = static_cast<double>(*d.free_bytes) / static_cast<double>(*d.total_bytes);
    if (*d.free_bytes < kMinFreeBytes || fraction < kMinFreeFraction)
      return make_check("log-dir", CheckStatus::Warn,
                  fmt::format("log dir {} nearly full: {} free ({:.1f}%); free some space, or lower log_max_size / "
                              "log_keep",
                              path, bytes_text(*d.free_bytes), fraction * 100));
    return make_check("log-dir", CheckStatus::Ok,
                fmt::format("log dir {} is writable, {} free ({:.0f}%)", path, bytes_text(*d.free_bytes),
                            fraction * 100));
  }
  return make_check("log-dir", CheckStatus::Ok, fmt::format("log dir {} is writable", path));
}

Check check_config(const ConfigFacts& c) {
  const auto path = show(c.path);
  if (!c.file)
    return make_check("config", CheckStatus::Warn,
                fmt::format("no config at {}: supd runs with no jobs; write one (see examples/), or set "
                            "SUPD_CONFIG",
                            path));
  const auto dir = show(c.path.parent_path());
  if (writable_by_others(c.file->mode))
    return make_check("config", CheckStatus::Fail,
                fmt::format("config {} is writable by others, who could run anything as you: chmod go-w {}", path,
                            path));
  if (c.file->uid != c.my_uid && c.file->uid != 0)
    return make_check("config", CheckStatus::Fail,
                fmt::format("config {} is owned by uid {}, who could run anything as you: chown {} {}", path,
                            c.file->uid, c.my_uid, path));
  if (c.dir) {
    if (writable_by_others(c.dir->mode) && (c.dir->mode & S_ISVTX) == 0)
      return make_check("config", CheckStatus::Fail,
                  fmt::format("config dir {} is writable by others, who could replace {}: chmod go-w {}", dir, path,
                              dir));
    if (c.dir->uid != c.my_uid && c.dir->uid != 0)
      return make_check("config", CheckStatus::Fail,
                  fmt::format("config dir {} is owned by uid {}, who could replace {}: chown {} {}", dir, c.dir->uid,
                              path, c.my_uid, dir));
  }
  return make_check("config", CheckStatus::Ok, fmt::format("config {} is writable only by you", path));
}

bool looks_output_buffered(const std::vector<std::string>& argv, const std::vector<std::string>& environ) {
  if (argv.empty()) return false;
  const auto slash = argv[0].rfind('/');
  const std::string_view base =
      slash == std::string::npos ? std::string_view(argv[0]) : std::string_view(argv[0]).substr(slash + 1);
  if (!base.starts_with("python")) return false;
  for (const auto& kv : environ)
    if (kv.starts_with("PYTHONUNBUFFERED=") && kv.size() > 17) return false;
  // The interpreter's own options: up to the script, -c CMD, -m MOD, "-" or "--".
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "--") break;
    if (a[1] == '-') continue;  // --version and friends
    bool stop = false;
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      if (c == 'u') return false;
      if (c == 'c' || c == 'm') {
        stop = true;  // the rest is the command or module
        break;
      }
      if (c == 'W' || c == 'X') {  // takes an argument: the rest of this word, or the next
        if (k + 1 == a.size()) ++i;
        break;
      }
    }
    if (stop) break;
  }
  return true;
}

std::vector<Check> check_buffering(const SocketFacts& socket, const std::vector<JobProcessFacts>& jobs) {
  if (socket.state != SocketFacts::State::Answers)
    return {make_check("buffering", CheckStatus::Warn, "not checked: supd is not answering (see the socket line)")};
  std::vector<Check> out;
  std::size_t checked = 0;
  for (const auto& j : jobs) {
    if (!j.argv || !j.environ) continue;  // unreadable /proc entries: skipped
    ++checked;
    if (looks_output_buffered(*j.argv, *j.environ))
      out.push_back(make_check("buffering", CheckStatus::Warn,
                         fmt::format("job {} runs python without -u: its output reaches the log late; add -u or "
                                     "PYTHONUNBUFFERED=1",
                                     printable(j.job))));
  }
  if (out.empty())
    out.push_back(make_check("buffering", CheckStatus::Ok,
                       checked == 1 ? std::string("1 running job checked, none looks output-buffered")
                                    : fmt::format("{} running jobs checked, none looks output-buffered", checked)));
  return out;
}

std::vector<Check> evaluate(const DoctorFacts& facts) {
  std::vector<Check> out{
      check_socket(facts.socket, facts.supd, facts.systemd), check_systemd(facts.socket, facts.supd, facts.systemd),
      check_linger(facts.linger, facts.systemd), check_log_dir(facts.log_dir),
      check_config(facts.config), check_cgroups(facts.socket, facts.cgroups),
  };
  for (auto& c : check_buffering(facts.socket, facts.jobs)) out.push_back(std::move(c));
  return out;
}

bool passed(const std::vector<Check>& checks, bool strict) {
  return std::none_of(checks.begin(), checks.end(), [strict](const Check& c) {
    return c.status == CheckStatus::Fail || (strict && c.status == CheckStatus::Warn);
  });
}

std::string render_checks(const std::vector<Check>& checks) {
  std::string out;
  for (const auto& c : checks) out += fmt::format("{:<5} {:<11} {}\n", check_status_name(c.status), c.name, c.message);
  return out;
}

std::string render_checks_json(const std::vector<Check>& checks, bool strict) {
  // ordered_json: keys in the documented order (name, status, message; checks, ok).
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : checks)
    list.push_back({{"name", c.name}, {"status", std::string(check_status_name(c.status))}, {"message", c.message}});
  nlohmann::ordered_json doc;
  doc["checks"] = std::move(list);
  doc["ok"] = passed(checks, strict);
  return doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// ---- gathering

DoctorFacts gather_facts(const common::Paths& paths, const GlobalOptions& options, const common::Getenv& env) {
  DoctorFacts f;

  f.socket.path = paths.socket;
  if (options.socket) f.socket.start_hint = fmt::format("supd --detach --socket {}", paths.socket.string());
  if (const auto why = paths.socket_dir_is_default ? common::foreign_runtime_dir(env, ::geteuid()) : std::nullopt) {
    f.socket.state = SocketFacts::State::ForeignRuntimeDir;  // nothing is probed there
    f.socket.error = *why;
  } else {
    probe_socket(f.socket, f.supd);
  }
  // Nothing listens where this shell looks: supd may run under another XDG_RUNTIME_DIR.
  const bool nobody = f.socket.state == SocketFacts::State::Missing || f.socket.state == SocketFacts::State::Stale;
  if (nobody && paths.socket_dir_is_default && !options.socket) {
    for (const auto& other : common::other_sockets(paths, ::geteuid())) {
      SocketFacts there = f.socket;
      SupdFacts found;
      there.path = other;
      there.error.clear();
      probe_socket(there, found);
      if (there.state != SocketFacts::State::NoAnswer) continue;
      there.resolved = paths.socket;
      f.socket = std::move(there);
      f.supd = found;
      break;
    }
  }
  std::vector<proto::JobStatus> jobs;
  if (f.socket.state == SocketFacts::State::NoAnswer) {
    const auto limits = limits_for(options, proto::Command{proto::Status{}});
    try {
      auto client = Client::connect(f.socket.path, limits.connect, f.socket.start_hint);
      const auto reply = client.call(proto::Status{}, limits.request);
      if (const auto* error = std::get_if<proto::Error>(&reply.response.body)) {
        f.socket.error = error_text(*error);
      } else if (auto parsed = proto::parse_jobs_result(std::get<nlohmann::json>(reply.response.body))) {
        jobs = std::move(*parsed);
        f.socket.state = SocketFacts::State::Answers;
        f.socket.version = client.server_version();
      } else {
        f.socket.error = "supd sent a status result supctl cannot read; use the supctl that came with this supd";
      }
    } catch (const ClientFailure& e) {
      f.socket.error = e.what();
    }
  }
  if (!f.supd.pid && f.socket.state == SocketFacts::State::Answers) f.supd.pid = pid_from_lock(f.socket.path);
  if (f.supd.pid) f.supd.cgroup = read_whole(fmt::format("/proc/{}/cgroup", *f.supd.pid));
  f.cgroups = gather_cgroup_facts("/", f.supd.cgroup);

  const uid_t uid = ::getuid();
  f.systemd = gather_systemd_facts("/", uid, env);
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) f.linger.user = pw->pw_name;
  if (!f.linger.user.empty()) {
    std::error_code ec;
    f.linger.lingering = fs::exists(fs::path("/var/lib/systemd/linger") / f.linger.user, ec);
  }

  f.log_dir.path = paths.log_dir;
  struct stat st {};
  if (::stat(paths.log_dir.c_str(), &st) == 0) {
    f.log_dir.exists = true;
    f.log_dir.is_dir = S_ISDIR(st.st_mode);
    f.log_dir.writable = ::access(paths.log_dir.c_str(), W_OK | X_OK) == 0;
    struct statvfs vfs {};
    if (f.log_dir.is_dir && ::statvfs(paths.log_dir.c_str(), &vfs) == 0) {
      f.log_dir.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
      f.log_dir.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    }
  }

  f.config.path = paths.config;
  f.config.my_uid = uid;
  f.config.file = stat_of(paths.config);
  f.config.dir = stat_of(paths.config.parent_path());

  for (const auto& j : jobs) {
    if (j.state != "running" || !j.pid || *j.pid <= 0) continue;
    JobProcessFacts p;
    p.job = j.name;
    p.pid = *j.pid;
    const fs::path proc = fmt::format("/proc/{}", p.pid);
    p.argv = read_nul_list(proc / "cmdline");
    p.environ = read_nul_list(proc / "environ");
    if (p.argv && !p.environ) {
      // An empty environment reads as empty, not as unreadable.
      std::ifstream probe(proc / "environ");
      if (probe) p.environ = std::vector<std::string>{};
    }
    f.jobs.push_back(std::move(p));
  }
  return f;
}

int run_doctor(const ParsedCli& cli, std::ostream& out, std::ostream& err, const common::Getenv& env) {
  common::PathFlags flags;
  flags.socket = cli.options.socket;
  const auto paths = common::resolve_paths(flags, env);
  const auto checks = evaluate(gather_facts(paths, cli.options, env));
  const bool strict = cli.flags.strict;
  out << (cli.options.json ? render_checks_json(checks, strict) : render_checks(checks));
  out.flush();
  if (!out) {
    err << "supctl: cannot write to standard output\n";
    err.flush();
    return kFailed;
  }
  return passed(checks, strict) ? kOk : kFailed;
}

}  // namespace supd::ctl
