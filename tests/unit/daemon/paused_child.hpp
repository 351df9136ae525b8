// A forked child that waits in pause() until a signal ends it, for tests of reaping and exit
// statuses. The child inherits Catch's handler for SIGTERM: a SIGTERM arriving before the
// child left fork() ran that handler while fork still held malloc's lock, and the child hung.
// So SIGTERM stays blocked across the fork, and the child restores the default before it lets
// it in (a signal sent meanwhile waits, pending).
#pragma once
#include <sys/types.h>
#include <unistd.h>

#include <csignal>

namespace supd::test {

inline pid_t fork_paused_child() {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGTERM, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    for (;;) ::pause();
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return pid;
}

}  // namespace supd::test
