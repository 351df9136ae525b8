#include "daemon/process/child_reaper.hpp"

#include <sys/epoll.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>

namespace supd::daemon {

ChildReaper::ChildReaper() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}

void ChildReaper::spawned(pid_t pid, int pidfd) {
  // One-shot: a pidfd stays readable until it is closed, and it is closed only after the reap.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.fd = pidfd;
  if (pidfd >= 0 && epoll_ && ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd, &ev) == 0) watched_.insert(pid);
  else unwatched_.insert(pid);
}

std::vector<Reaped> ChildReaper::reap_watched() {
  std::vector<Reaped> out;
  if (!epoll_ || watched_.empty()) return out;
  std::array<epoll_event, 64> ready{};
  for (;;) {
    const int n = ::epoll_wait(epoll_.get(), ready.data(), static_cast<int>(ready.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      if (auto reaped = reap_pidfd(ready[i].data.fd)) {
        forget(reaped->pid);
        out.push_back(*reaped);
      }
    }
    if (n < static_cast<int>(ready.size())) return out;
  }
}

std::vector<Reaped> ChildReaper::sweep() {
  std::vector<Reaped> out;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0) {
      if (errno == EINTR) continue;
      return out;  // ECHILD: no children at all
    }
    if (info.si_pid == 0) return out;  // children, but none has exited
    forget(info.si_pid);
    out.push_back({info.si_pid, common::ExitStatus::from_siginfo(info.si_code, info.si_status)});
  }
}

void ChildReaper::forget(pid_t pid) {
  watched_.erase(pid);
  unwatched_.erase(pid);
}

}  // namespace supd::daemon
