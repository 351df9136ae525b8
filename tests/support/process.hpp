// Child processes of the test: spawn with a clean environment, run-and-capture with a
// kill-on-timeout deadline, wait with a deadline.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "tests/support/wait.hpp"

namespace supd::test {

struct SpawnOptions {
  std::vector<std::string> env;                 // "K=V" each: the whole environment
  std::string stdout_file;                      // appended to; "" = /dev/null
  bool stderr_to_stdout = true;                 // else /dev/null
  std::optional<mode_t> umask;                  // set in the child before exec
  std::vector<std::pair<int, int>> keep_fds;    // {fd in the child, fd in the test}
  std::string cwd;                              // "" = the test's cwd
};

// fork + exec with every signal disposition reset, an empty signal mask, stdin from /dev/null
// and no fd beyond 0-2 except keep_fds. Returns the pid; throws when fork fails.
pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options);

struct RunResult {
  int exit_code = -1;      // the exit code; 128+N when killed by signal N; -1 on timeout
  std::string out;
  std::string err;
  bool timed_out = false;  // killed with SIGKILL at the deadline
  bool signaled = false;
};

// Runs to completion, capturing stdout and stderr; SIGKILL at the (scaled) deadline.
RunResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      Millis timeout = 30s);

// waitpid with a deadline: the raw wait status once `pid` (our child) exits, else nullopt.
std::optional<int> wait_exit(pid_t pid, Millis deadline);
// The exit code a wait status stands for: the code, or 128+signal.
int exit_code_of(int wait_status);

// A pseudo-terminal pair, both ends close-on-exec: the slave to hand a child as its terminal,
// the master to read what it wrote or to close (the window closes). -1s when none could be had.
struct Pty {
  int master = -1;
  int slave = -1;
};
Pty open_pty();

// The environment of the test process, as "K=V" strings.
std::string getenv_or(const char* name, const std::string& fallback);

}  // namespace supd::test
