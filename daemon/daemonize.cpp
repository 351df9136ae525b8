#include "daemon/daemonize.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/sys_error.hpp"
#include "daemon/control/control_socket.hpp"

namespace supd::daemon {
namespace {

[[noreturn]] void wait_for_daemon(common::UniqueFd read_end, const std::filesystem::path& log_file) {
  std::string message;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n > 0) {
      message.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  if (message == "ready\n") ::_exit(0);
  if (message.empty()) message = "supd exited during start-up; see " + log_file.string() + "\n";
  std::fputs(("supd: " + message).c_str(), stderr);
  ::_exit(1);
}

}  // namespace

common::UniqueFd detach(const std::filesystem::path& log_file) {
  make_private_dirs(log_file.parent_path());
  common::UniqueFd log(::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) throw StartupError("cannot open " + log_file.string() + ": " + common::errno_message(errno));
  auto ready = common::make_pipe();

  const pid_t first = ::fork();
  if (first < 0) throw StartupError("fork: " + common::errno_message(errno));
  if (first > 0) {
    ready.write.reset();
    int st = 0;
    ::waitpid(first, &st, 0);  // the middle process exits at once
    wait_for_daemon(std::move(ready.read), log_file);
  }
  ready.read.reset();
  ::setsid();  // no controlling terminal, and closing the terminal sends us no SIGHUP
  const pid_t second = ::fork();  // not a session leader: can never acquire a terminal again
  if (second < 0) ::_exit(1);
  if (second > 0) ::_exit(0);

  if (::chdir("/") != 0) {  // keep no directory busy; every path was made absolute before
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    if (devnull > 2) ::close(devnull);
  }
  ::dup2(log.get(), 1);
  ::dup2(log.get(), 2);
  return std::move(ready.write);
}

void report_ready(common::UniqueFd& fd) {
  if (!fd) return;
  [[maybe_unused]] auto n = ::write(fd.get(), "ready\n", 6);
  fd.reset();
}

void report_failure(common::UniqueFd& fd, std::string_view message) {
  if (!fd) return;
  std::string line(message);
  line += '\n';
  [[maybe_unused]] auto n = ::write(fd.get(), line.data(), line.size());
  fd.reset();
}

}  // namespace supd::daemon
