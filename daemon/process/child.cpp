#include "daemon/process/child.hpp"

#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace supd::daemon {
namespace {

[[noreturn]] void fail(const ExecPlan& plan, ChildStage stage, int err, int detail = 0) noexcept {
  const ChildFailure f{static_cast<int>(stage), err, detail};
  [[maybe_unused]] auto n = ::write(plan.error_fd, &f, sizeof f);  // atomic: < PIPE_BUF
  ::_exit(127);
}

// dup2 that also works when the fd is already in place (dup2 would keep CLOEXEC then).
int put_fd(int from, int to) noexcept {
  if (from == to) return ::fcntl(to, F_SETFD, 0);
  return ::dup2(from, to);
}

// glibc's sigaction() refuses the two real-time signals it keeps for itself (32 and 33), so
// an ignored disposition inherited by supd would pass on to the job. The kernel call resets
// them too. The layout is the generic kernel struct sigaction (x86-64, arm64, riscv).
void reset_reserved_signal(int sig, bool ignore) noexcept {
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv)
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
  } ksa{ignore ? SIG_IGN : SIG_DFL, 0, nullptr, 0};
  ::syscall(SYS_rt_sigaction, sig, &ksa, nullptr, sizeof ksa.mask);
#else
  (void)sig;
  (void)ignore;
#endif
}

}  // namespace

void run_child(const ExecPlan& plan) noexcept {
  // Sharing supd's fd table, the child makes its own of the fds below its slots only, before it
  // changes any fd: the thousands above are neither copied nor closed again by the exec.
  if (plan.keep_below > 0 && ::syscall(SYS_close_range, plan.keep_below, ~0U, CLOSE_RANGE_UNSHARE) < 0)
    fail(plan, ChildStage::Unshare, errno);
  if (::setsid() < 0) fail(plan, ChildStage::Setsid, errno);  // own session: no terminal, own group
  // Into the job's own cgroup before anything else runs, so whatever it starts is in there too.
  if (plan.cgroup_procs_fd >= 0 && ::write(plan.cgroup_procs_fd, "0", 1) != 1) fail(plan, ChildStage::Cgroup, errno);

  // exec keeps SIG_IGN, and supd's handlers must not survive either: every disposition to
  // default, then the nohup set ignored, then an empty mask (supd blocked all around fork).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    const bool ignore = sigismember(&plan.ignored, sig) == 1;
    if (::sigaction(sig, ignore ? &ign : &dfl, nullptr) != 0) reset_reserved_signal(sig, ignore);
  }
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (put_fd(plan.stdin_fd, 0) < 0 || put_fd(plan.stdout_fd, 1) < 0 || put_fd(plan.stderr_fd, 2) < 0)
    fail(plan, ChildStage::Stdio, errno);
  if (plan.set_nofile) ::setrlimit(RLIMIT_NOFILE, &plan.nofile);  // best effort, as a shell's ulimit
  // Limits before the ids: only root may raise a hard limit.
  for (int i = 0; i < plan.limit_count; ++i)
    if (::setrlimit(plan.limits[i].resource, &plan.limits[i].value) != 0) fail(plan, ChildStage::Limit, errno, i);
  if (plan.switch_ids) {
    if (::setgroups(static_cast<size_t>(plan.group_count), plan.groups) != 0 || ::setgid(plan.gid) != 0 ||
        ::setuid(plan.uid) != 0)
      fail(plan, ChildStage::Ids, errno);
  }
  if (plan.umask >= 0) ::umask(static_cast<mode_t>(plan.umask));
  // As the job's user: a directory only root may enter is an error now, as under systemd.
  if (plan.directory != nullptr && ::chdir(plan.directory) < 0) fail(plan, ChildStage::Chdir, errno);

  // Nothing of supd's beyond 0-2 may leak; the error pipe is already close-on-exec.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    for (int fd = 3; fd < 65536; ++fd)
      if (fd != plan.error_fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(plan.path, plan.argv, plan.envp);
  fail(plan, ChildStage::Exec, errno);
}

}  // namespace supd::daemon
