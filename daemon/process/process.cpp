#include "daemon/process/process.hpp"
#include "daemon/process/listen_check.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/path_search.hpp"
#include "common/sys_error.hpp"
#include "daemon/process/child.hpp"
#include "daemon/process/child_reaper.hpp"
#include "daemon/process/fd_limit.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/process/oom.hpp"
#include "daemon/process/cgroup.hpp"
#include "config/env_file.hpp"

extern char** environ;

namespace supd::daemon {
namespace {

constexpr int kOutputPipeBytes = 1 << 20;  // F_SETPIPE_SZ for each output pipe

using common::UniqueFd;

// glibc 2.36's <sys/pidfd.h> lacks extern "C"; the raw syscalls need no header.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

// The child shares supd's memory until its exec (clone with CLONE_VM | CLONE_VFORK, as glibc's
// posix_spawn does): no page tables to copy and no copy-on-write faults, so a restart reaches
// the job's exec sooner, and supd is suspended only until that exec. Safe because run_child()
// makes system calls only, on its own stack, and every signal is blocked around the clone (no
// handler of supd's runs in the child). Under ASan, fork(): the sanitizer's runtime keeps
// state (fake stacks, shadow memory) that a child must not write into supd's memory.
#if defined(__SANITIZE_ADDRESS__)  // g++
#define SUPD_SPAWN_WITH_FORK 1
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
#define SUPD_SPAWN_WITH_FORK 1
#endif
#endif

pid_t start_child(const ExecPlan& plan) {
#if defined(SUPD_SPAWN_WITH_FORK)
  const pid_t pid = ::fork();
  if (pid == 0) run_child(plan);
  return pid;
#else
  alignas(64) static std::array<char, 64 << 10> stack;  // one child at a time: supd waits for its exec
  const int share_fds = plan.keep_below > 0 ? CLONE_FILES : 0;  // see SpawnSlots
  return ::clone([](void* p) -> int { run_child(*static_cast<const ExecPlan*>(p)); }, stack.data() + stack.size(),
                 CLONE_VM | CLONE_VFORK | share_fds | SIGCHLD, const_cast<ExecPlan*>(&plan));
#endif
}
int pidfd_send_signal(int pidfd, int signo) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0U));
}

bool is_transient(int err) { return err == EAGAIN || err == EMFILE || err == ENFILE || err == ENOMEM; }

// Owns the strings execve needs, and the pointer arrays into them, built before fork.
class StringArray {
public:
  void push(std::string s) { strings_.push_back(std::move(s)); }
  char* const* data() {
    ptrs_.clear();
    for (auto& s : strings_) ptrs_.push_back(s.data());
    ptrs_.push_back(nullptr);
    return ptrs_.data();
  }
  const std::vector<std::string>& strings() const { return strings_; }

private:
  std::vector<std::string> strings_;
  std::vector<char*> ptrs_;
};

// Who the job runs as, looked up in the parent (getpwnam may not run between clone and exec).
struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::map<std::string, std::string> variables;  // HOME, USER, LOGNAME, SHELL
  bool switch_ids = false;                       // only root switches; a user naming itself does not
};

std::optional<Account> account_for(const config::JobSpec& spec, std::string& error) {
  Account a;
  a.uid = ::geteuid();
  a.gid = ::getegid();
  if (!spec.user.empty()) {
    const passwd* pw = ::getpwnam(spec.user.c_str());
    if (pw == nullptr) {
      error = fmt::format("user {}: no such user on this machine", spec.user);
      return std::nullopt;
    }
    a.uid = pw->pw_uid;
    a.gid = pw->pw_gid;
    a.variables = {{"HOME", pw->pw_dir}, {"USER", pw->pw_name}, {"LOGNAME", pw->pw_name},
                   {"SHELL", *pw->pw_shell != '\0' ? pw->pw_shell : "/bin/sh"}};
  }
  if (!spec.group.empty()) {
    const group* gr = ::getgrnam(spec.group.c_str());
    if (gr == nullptr) {
      error = fmt::format("group {}: no such group on this machine", spec.group);
      return std::nullopt;
    }
    a.gid = gr->gr_gid;
  }
  a.switch_ids = ::geteuid() == 0 && (!spec.user.empty() || !spec.group.empty());
  if (!a.switch_ids) return a;
  if (spec.user.empty()) {
    a.groups = {a.gid};  // a group alone: root keeps its uid, and no supplementary group of root's
    return a;
  }
  int n = 64;
  a.groups.resize(static_cast<std::size_t>(n));
  while (::getgrouplist(spec.user.c_str(), a.gid, a.groups.data(), &n) < 0) a.groups.resize(static_cast<std::size_t>(n));
  a.groups.resize(static_cast<std::size_t>(n));
  return a;
}

// supd's environment, then the user's HOME and the like, then the env files, then the job's
// `environment`: each later one wins.
StringArray make_environment(const std::map<std::string, std::string>& own) {
  StringArray env;
  bool unbuffered_given = own.count("PYTHONUNBUFFERED") != 0;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv(*e);
    if (is_private_variable(kv)) continue;
    const auto name = kv.substr(0, kv.find('='));
    if (own.count(std::string(name)) != 0) continue;  // the job's value wins
    unbuffered_given = unbuffered_given || name == "PYTHONUNBUFFERED";
    env.push(std::string(kv));
  }
  for (const auto& [k, v] : own) env.push(k + "=" + v);
  // A Python job's prints reach its log as they happen, not 8 KiB later: its stdout is a pipe
  // (docs/design-decisions.md, "Python output is unbuffered"). `PYTHONUNBUFFERED = ""` opts out.
  if (!unbuffered_given) env.push("PYTHONUNBUFFERED=1");
  return env;
}

std::string find_path_value(const StringArray& env) {
  for (const auto& kv : env.strings())
    if (kv.rfind("PATH=", 0) == 0) return kv.substr(5);
  return "/usr/local/bin:/usr/bin:/bin";
}

// execvp's search, done in the parent with the job's own PATH. A name that is found nowhere
// is passed on as is, so execve reports ENOENT over the error pipe like any other failure.
std::string resolve_program(const std::string& name, const std::string& path_value) {
  return common::find_in_path(name, path_value).value_or(name);
}

std::string describe_failure(const ChildFailure& f, const config::JobSpec& spec) {
  const auto msg = common::errno_message(f.error);
  switch (static_cast<ChildStage>(f.stage)) {
  case ChildStage::Chdir: return fmt::format("chdir {}: {}", spec.directory.string(), msg);
  case ChildStage::Stdio: return fmt::format("redirect stdio: {}", msg);
  case ChildStage::Setsid: return fmt::format("setsid: {}", msg);
  case ChildStage::Cgroup: return fmt::format("move into its cgroup: {}", msg);
  case ChildStage::Limit:
    return fmt::format("limits.{}: {}", f.detail >= 0 && static_cast<std::size_t>(f.detail) < spec.limits.size()
                                            ? spec.limits[static_cast<std::size_t>(f.detail)].name
                                            : "?",
                       msg);
  case ChildStage::Ids:
    return fmt::format("run as {}{}{}: {}", spec.user, spec.group.empty() ? "" : ":", spec.group, msg);
  case ChildStage::Unshare: return fmt::format("close supd's fds: {}", msg);
  case ChildStage::Exec: break;
  }
  return fmt::format("exec {}: {} (in {})", spec.argv.empty() ? "" : spec.argv[0], msg, spec.directory.string());
}

}  // namespace

bool is_private_variable(std::string_view kv) {
  constexpr std::array<std::string_view, 7> kNames{"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                                                   "WATCHDOG_USEC", "WATCHDOG_PID", "SUPD_SOCKET_FD"};
  const auto name = kv.substr(0, kv.find('='));
  for (auto n : kNames)
    if (name == n) return true;
  return false;
}

SpawnResult PosixProcessOps::spawn(const config::JobSpec& spec, const std::filesystem::path& log_dir) {
  SpawnResult result;
  if (spec.argv.empty()) {
    result.error = "exec: empty command";
    return result;
  }
  // Every allocation and every fd happens before fork.
  const auto out_path = log_dir / spec.stdout_file;
  UniqueFd out_file = open_log_path(log_dir, out_path, result.error);
  if (!out_file) {
    result.permanent = !is_transient(errno);  // out of fds: retried with backoff, not fatal
    return result;
  }
  UniqueFd err_file;
  std::filesystem::path err_path;
  if (spec.stderr_file) {
    err_path = log_dir / *spec.stderr_file;
    err_file = open_log_path(log_dir, err_path, result.error);
    if (!err_file) {
      result.permanent = !is_transient(errno);
      return result;
    }
  }
  std::error_code ec;
  auto out_pipe = common::make_pipe(ec);
  common::Pipe err_pipe;
  if (!ec && spec.stderr_file) err_pipe = common::make_pipe(ec);
  auto status_pipe = ec ? common::Pipe{} : common::make_pipe(ec);
  // A large pipe lets a fast writer run ahead of the loop (and holds a burst while the disk
  // is full or supd is busy). Best effort: over the per-user pipe budget the kernel refuses,
  // and the default 64 KiB pipe still works.
  for (const auto* p : {&out_pipe, &err_pipe})
    if (p->read) (void)::fcntl(p->read.get(), F_SETPIPE_SZ, kOutputPipeBytes);
  // The slots' stdin is /dev/null already.
  UniqueFd devnull(ec || slots_.usable() ? -1 : ::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (ec || (!devnull && !slots_.usable())) {
    const int err = ec ? ec.value() : errno;
    result.error = fmt::format("spawn {}: {}", spec.name, common::errno_message(err));
    result.permanent = !is_transient(err);
    return result;
  }

  // The job's box: who it runs as, its variables (env files are read at each start), its limits, its cgroup.
  const auto account = account_for(spec, result.error);
  if (!account) return result;
  std::map<std::string, std::string> own = account->variables;
  if (!spec.env_file.empty()) {
    std::vector<std::string> problems;
    for (auto& [k, v] : config::read_env_files(spec.env_file, problems)) own[k] = std::move(v);
    if (!problems.empty()) {
      result.error = fmt::format("env_file {}", problems.front());
      return result;
    }
  }
  for (const auto& [k, v] : spec.environment) own[k] = v;
  std::vector<LimitSetting> limits;
  for (const auto& l : spec.limits) {
    const rlim_t v = l.value ? static_cast<rlim_t>(*l.value) : RLIM_INFINITY;
    limits.push_back({l.resource, rlimit{v, v}});
  }
  UniqueFd cgroup_procs;
  if (cgroups_ != nullptr) {
    std::string why;
    cgroup_procs = cgroups_->prepare(spec.name, spec.cgroup, result.warnings, why);
    if (!cgroup_procs) result.warnings.push_back(fmt::format("no cgroup of its own: {}", why));
  }

  StringArray argv;
  for (const auto& a : spec.argv) argv.push(a);
  StringArray env = make_environment(own);
  const std::string program = resolve_program(spec.argv[0], find_path_value(env));
  const std::string directory = spec.directory.string();

  ExecPlan plan;
  plan.path = program.c_str();
  plan.argv = argv.data();
  plan.envp = env.data();
  plan.directory = directory.empty() ? nullptr : directory.c_str();
  plan.stdin_fd = devnull.get();
  plan.stdout_fd = out_pipe.write.get();
  plan.stderr_fd = spec.stderr_file ? err_pipe.write.get() : out_pipe.write.get();
  plan.error_fd = status_pipe.write.get();
  ::sigemptyset(&plan.ignored);
  for (int sig : spec.ignore_signals) ::sigaddset(&plan.ignored, sig);
  if (const auto limit = fd_limit_for_jobs()) {
    plan.set_nofile = true;
    plan.nofile = *limit;
  }
  plan.limits = limits.data();
  plan.limit_count = static_cast<int>(limits.size());
  plan.cgroup_procs_fd = cgroup_procs.get();
  plan.switch_ids = account->switch_ids;
  plan.uid = account->uid;
  plan.gid = account->gid;
  plan.groups = account->groups.data();
  plan.group_count = static_cast<int>(account->groups.size());
  plan.umask = spec.umask ? static_cast<int>(*spec.umask) : -1;

  if (slots_.usable() && !into_slots(plan)) {
    const int err = errno;
    slots_.clear();
    result.error = fmt::format("spawn {}: {}", spec.name, common::errno_message(err));
    result.permanent = !is_transient(err);
    return result;
  }

  // No handler of supd's may run in the child before it resets them.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  const pid_t pid = start_child(plan);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // The child has its own copies now (or none: the fork failed); supd keeps no second write end.
  if (plan.keep_below > 0) slots_.clear();
  if (pid < 0) {
    result.error = fmt::format("fork: {}", common::errno_message(fork_errno));
    result.permanent = !is_transient(fork_errno);
    return result;
  }
  // Before anything can reap it, so the pidfd always names this very process.
  result.pidfd = UniqueFd(pidfd_open(pid));
  status_pipe.write.reset();
  out_pipe.write.reset();
  err_pipe.write.reset();

  ChildFailure failure{};
  ssize_t n;
  do n = ::read(status_pipe.read.get(), &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {  // exec (or a step before it) failed
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (static_cast<ChildStage>(failure.stage) == ChildStage::Unshare) {
      // A kernel before 5.9 or a seccomp filter: say it once, and spawn as before from now on.
      spdlog::info("spawning copies supd's whole fd table: close_range(CLOSE_RANGE_UNSHARE): {}",
                   common::errno_message(failure.error));
      slots_.disable();
      return spawn(spec, log_dir);
    }
    result.pidfd.reset();
    result.error = describe_failure(failure, spec);
    result.permanent = !is_transient(failure.error);
    return result;
  }
  // EOF: the close-on-exec pipe closed, so execve succeeded.
  result.pid = pid;
  if (reaper_ != nullptr) reaper_->spawned(pid, result.pidfd.get());
  result.output.push_back({std::move(out_pipe.read), std::move(out_file), out_path, spec.log_max_size, spec.log_keep,
                           spec.timestamps});
  if (spec.stderr_file)
    result.output.push_back({std::move(err_pipe.read), std::move(err_file), err_path, spec.log_max_size, spec.log_keep,
                             spec.timestamps});
  return result;
}

bool PosixProcessOps::into_slots(ExecPlan& plan) {
  const bool merged = plan.stderr_fd == plan.stdout_fd;
  plan.stdin_fd = slots_.number(SpawnSlots::Stdin);
  plan.stdout_fd = slots_.put(SpawnSlots::Stdout, plan.stdout_fd);
  plan.stderr_fd = merged ? plan.stdout_fd : slots_.put(SpawnSlots::Stderr, plan.stderr_fd);
  plan.error_fd = slots_.put(SpawnSlots::Status, plan.error_fd);
  if (plan.stdout_fd < 0 || plan.stderr_fd < 0 || plan.error_fd < 0) return false;
  if (plan.cgroup_procs_fd >= 0 && (plan.cgroup_procs_fd = slots_.put(SpawnSlots::Cgroup, plan.cgroup_procs_fd)) < 0)
    return false;
  plan.keep_below = slots_.end();
  return true;
}

int PosixProcessOps::send_signal(std::string_view job, pid_t pid, int pidfd, int signo, bool group) {
  int rc;
  if (group) {
    rc = ::kill(-pid, signo);
    // Its cgroup holds what left the group too (a daemon that called setsid): SIGKILL through
    // cgroup.kill, other signals to each of its processes, as systemd's KillMode=control-group.
    if (cgroups_ != nullptr && cgroups_->populated(job)) {
      const int group_errno = rc == 0 ? 0 : errno;
      if (signo == SIGKILL) cgroups_->kill_all(job);
      else
        for (const pid_t p : cgroups_->pids(job))
          if (::getpgid(p) != pid) ::kill(p, signo);
      return group_errno == ESRCH ? 0 : group_errno;
    }
  } else if (pidfd >= 0) {
    rc = pidfd_send_signal(pidfd, signo);
  } else {
    rc = ::kill(pid, signo);
  }
  return rc == 0 ? 0 : errno;
}

std::optional<long> PosixProcessOps::oom_kills(std::string_view job) {
  if (cgroups_ != nullptr)
    if (const auto events = cgroups_->memory_events(job)) return events->oom_kill;
  return read_oom_kills();
}

bool PosixProcessOps::group_alive(std::string_view job, pid_t pgid) {
  if (pgid > 0 && (::kill(-pgid, 0) == 0 || errno == EPERM)) return true;
  return cgroups_ != nullptr && cgroups_->populated(job);
}

bool PosixProcessOps::group_listens(pid_t pgid) { return daemon::group_listens(pgid); }

std::vector<pid_t> PosixProcessOps::cgroup_pids(std::string_view job) {
  return cgroups_ != nullptr ? cgroups_->pids(job) : std::vector<pid_t>{};
}

}  // namespace supd::daemon
