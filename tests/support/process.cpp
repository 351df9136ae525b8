#include "tests/support/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace supd::test {
namespace {

struct ChildIo {
  int in = -1, out = -1, err = -1;  // fds of the test to become 0, 1, 2 in the child
};

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Everything is prepared before fork; the child only makes async-signal-safe calls.
pid_t fork_exec(const std::vector<std::string>& argv, const std::vector<std::string>& env, ChildIo io,
                std::optional<mode_t> mask, std::vector<std::pair<int, int>> keep, const std::string& cwd) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  std::sort(keep.begin(), keep.end());
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;

  // child
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &dfl, nullptr);
  if (mask) ::umask(*mask);
  if (::dup2(io.in, 0) < 0 || ::dup2(io.out, 1) < 0 || ::dup2(io.err, 2) < 0) ::_exit(126);
  for (const auto& [target, source] : keep) {
    if (target == source) {
      ::fcntl(target, F_SETFD, 0);
    } else if (::dup2(source, target) < 0) {
      ::_exit(126);
    }
  }
  unsigned next = 3;
  for (const auto& [target, source] : keep) {
    (void)source;
    if (static_cast<unsigned>(target) > next) ::close_range(next, static_cast<unsigned>(target) - 1, 0);
    next = std::max(next, static_cast<unsigned>(target) + 1);  // a kept 0-2 leaves the other two open
  }
  ::close_range(next, ~0U, 0);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
  ::execve(c_argv[0], c_argv.data(), c_env.data());
  ::_exit(127);
}

int open_or_throw(const char* path, int flags) {
  const int fd = ::open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(std::string("open ") + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  const int null_fd = open_or_throw("/dev/null", O_RDWR);
  int out_fd = null_fd;
  if (!options.stdout_file.empty()) out_fd = open_or_throw(options.stdout_file.c_str(), O_WRONLY | O_CREAT | O_APPEND);
  ChildIo io{null_fd, out_fd, options.stderr_to_stdout ? out_fd : null_fd};
  pid_t pid = -1;
  try {
    pid = fork_exec(argv, options.env, io, options.umask, options.keep_fds, options.cwd);
  } catch (...) {
    if (out_fd != null_fd) ::close(out_fd);
    ::close(null_fd);
    throw;
  }
  if (out_fd != null_fd) ::close(out_fd);
  ::close(null_fd);
  return pid;
}

RunResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env, Millis timeout) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  const int null_fd = open_or_throw("/dev/null", O_RDONLY);
  pid_t pid = -1;
  try {
    pid = fork_exec(argv, env, {null_fd, out_pipe[1], err_pipe[1]}, std::nullopt, {}, "");
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], null_fd}) ::close(fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(null_fd);

  RunResult result;
  const Deadline deadline(timeout);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    const auto left = deadline.left().count();
    if (left <= 0) break;
    const int r = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) ::close(p.fd);

  auto status = wait_exit(pid, open_count > 0 ? Millis(0) : deadline.left() + 1ms);
  if (!status) {
    ::kill(pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    result.timed_out = true;
    result.exit_code = -1;
    return result;
  }
  result.signaled = WIFSIGNALED(*status);
  result.exit_code = exit_code_of(*status);
  return result;
}

std::optional<int> wait_exit(pid_t pid, Millis deadline) {
  const Deadline d(deadline);
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return st;
    if (r < 0 && errno != EINTR) return std::nullopt;  // not our child (anymore)
    if (d.passed()) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string getenv_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

Pty open_pty() {
  Pty pty;
  pty.master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.master < 0) return pty;
  if (::grantpt(pty.master) != 0 || ::unlockpt(pty.master) != 0) {
    ::close(pty.master);
    pty.master = -1;
    return pty;
  }
  pty.slave = ::open(::ptsname(pty.master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty.slave < 0) {
    ::close(pty.master);
    pty.master = -1;
  }
  return pty;
}

}  // namespace supd::test
