#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/exit_status.hpp"

using supd::common::describe;
using supd::common::ExitStatus;

namespace {
// A real wait status from a real child, so the W* macros are exercised, not imitated.
int wait_status_of_child(void (*body)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
  }
  return st;
}
}  // namespace

TEST_CASE("describe() uses the words users read", "[exit_status][R7]") {
  CHECK(describe(ExitStatus::exited(0)) == "exited 0");
  CHECK(describe(ExitStatus::exited(3)) == "exited 3");
  CHECK(describe(ExitStatus::exited(255)) == "exited 255");
  CHECK(describe(ExitStatus::killed(SIGKILL)) == "killed by SIGKILL");
  CHECK(describe(ExitStatus::killed(SIGSEGV, true)) == "killed by SIGSEGV (core dumped)");
  CHECK(describe(ExitStatus::killed(SIGRTMIN + 2)) == "killed by SIGRTMIN+2");
  CHECK(describe(ExitStatus::killed(99)) == "killed by signal 99");
  CHECK(describe(ExitStatus::killed(32)) == "killed by signal 32");  // glibc's gap: named "32"
}

TEST_CASE("success() is exit 0 only", "[exit_status]") {
  CHECK(ExitStatus::exited(0).success());
  CHECK_FALSE(ExitStatus::exited(1).success());
  CHECK_FALSE(ExitStatus::killed(SIGTERM).success());
}

TEST_CASE("from_wait decodes real exits and kills", "[exit_status]") {
  CHECK(ExitStatus::from_wait(wait_status_of_child([] { ::_exit(3); })) == ExitStatus::exited(3));
  CHECK(ExitStatus::from_wait(wait_status_of_child([] { ::_exit(255); })) == ExitStatus::exited(255));
  CHECK(ExitStatus::from_wait(wait_status_of_child([] { ::kill(::getpid(), SIGKILL); })) ==
        ExitStatus::killed(SIGKILL));
  CHECK(ExitStatus::from_wait(wait_status_of_child([] {
          ::signal(SIGTERM, SIG_DFL);
          ::kill(::getpid(), SIGTERM);
        })).signal == SIGTERM);
}

TEST_CASE("from_wait reads the core-dump bit", "[exit_status][R7]") {
  // Built by hand: whether a real child dumps core depends on ulimit and core_pattern.
  const int dumped = SIGSEGV | 0x80;
  REQUIRE(WIFSIGNALED(dumped));
  REQUIRE(WCOREDUMP(dumped));
  CHECK(ExitStatus::from_wait(dumped) == ExitStatus::killed(SIGSEGV, true));
  CHECK(ExitStatus::from_wait(SIGSEGV) == ExitStatus::killed(SIGSEGV, false));
  CHECK(ExitStatus::from_wait(7 << 8) == ExitStatus::exited(7));
}

TEST_CASE("from_siginfo maps CLD_* codes", "[exit_status]") {
  CHECK(ExitStatus::from_siginfo(CLD_EXITED, 0) == ExitStatus::exited(0));
  CHECK(ExitStatus::from_siginfo(CLD_EXITED, 42) == ExitStatus::exited(42));
  CHECK(ExitStatus::from_siginfo(CLD_KILLED, SIGTERM) == ExitStatus::killed(SIGTERM));
  CHECK(ExitStatus::from_siginfo(CLD_DUMPED, SIGABRT) == ExitStatus::killed(SIGABRT, true));
}
