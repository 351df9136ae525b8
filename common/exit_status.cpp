#include "common/exit_status.hpp"

#include <sys/wait.h>

#include <fmt/format.h>

#include "common/signals.hpp"

namespace supd::common {

ExitStatus ExitStatus::from_wait(int wstatus) {
  if (WIFSIGNALED(wstatus)) return killed(WTERMSIG(wstatus), WCOREDUMP(wstatus) != 0);
  if (WIFEXITED(wstatus)) return exited(WEXITSTATUS(wstatus));
  // Stopped/continued statuses only appear with WUNTRACED/WCONTINUED, which supd never
  // asks for; read them as the signal that caused them rather than inventing an exit code.
  if (WIFSTOPPED(wstatus)) return killed(WSTOPSIG(wstatus));
  return exited(0);
}

ExitStatus ExitStatus::from_siginfo(int code, int status) {
  switch (code) {
  case CLD_EXITED: return exited(status);
  case CLD_DUMPED: return killed(status, true);
  case CLD_KILLED:
  default:  // CLD_STOPPED/TRAPPED/CONTINUED: status is a signal number there too
    return killed(status);
  }
}

std::string describe(const ExitStatus& status) {
  if (status.unknown) return "exited, status unknown (adopted)";
  if (!status.signaled) return fmt::format("exited {}", status.code);
  const std::string name = signal_name(status.signal);
  const bool nameless = name.empty() || (name[0] >= '0' && name[0] <= '9');  // 32, 33: digits only
  std::string out = nameless ? fmt::format("killed by signal {}", status.signal)
                                 : fmt::format("killed by SIG{}", name);
  if (status.core_dumped) out += " (core dumped)";
  return out;
}

}  // namespace supd::common
