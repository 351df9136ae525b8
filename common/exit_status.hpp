// How a process ended, decoded from a wait status, and the words users read for it.
#pragma once
#include <string>

namespace supd::common {

struct ExitStatus {
  bool signaled = false;     // killed by a signal rather than exiting
  int code = 0;              // exit code when !signaled
  int signal = 0;            // signal number when signaled
  bool core_dumped = false;
  // A process supd adopted from a previous supd is not its child: the kernel tells it that the
  // process is gone, not how it ended. Counts as a failure (on-failure restarts it).
  bool unknown = false;

  static ExitStatus exited(int code) { return {false, code, 0, false}; }
  static ExitStatus killed(int signo, bool core = false) { return {true, 0, signo, core}; }
  static ExitStatus unknown_adopted() { return {false, 0, 0, false, true}; }
  static ExitStatus from_wait(int wstatus);                   // waitpid's status
  // waitid's siginfo_t si_code and si_status (not used as parameter names: glibc makes
  // si_status a macro, which would break any file that includes <signal.h> first).
  static ExitStatus from_siginfo(int code, int status);

  bool success() const { return !unknown && !signaled && code == 0; }
  bool operator==(const ExitStatus&) const = default;
};

// "exited 0", "exited 3", "killed by SIGKILL", "killed by SIGSEGV (core dumped)",
// "exited, status unknown (adopted)".
std::string describe(const ExitStatus& status);

}  // namespace supd::common
