// What runs in the child between fork() and execve(): async-signal-safe calls only, on data
// prepared before the fork (no malloc, no std::string, no logging, no throw).
#pragma once
#include <csignal>

#include <sys/resource.h>

namespace supd::daemon {

// Where in the child a failure happened, sent to the parent with the errno.
enum class ChildStage : int { Exec = 1, Chdir = 2, Stdio = 3, Setsid = 4 };

struct ChildFailure {
  int stage;
  int error;
};

struct ExecPlan {
  const char* path = nullptr;        // resolved program (argv[0] after the PATH search)
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* directory = nullptr;
  int stdin_fd = -1;                 // /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;                // == stdout_fd when merged
  sigset_t ignored{};                // dispositions set to SIG_IGN (the nohup set)
  int error_fd = -1;                 // close-on-exec pipe to the parent
  bool set_nofile = false;           // give the job `nofile`, not supd's raised fd limit
  rlimit nofile{};
};

[[noreturn]] void run_child(const ExecPlan& plan) noexcept;

}  // namespace supd::daemon
