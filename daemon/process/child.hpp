// What runs in the child between fork() and execve(): async-signal-safe calls only, on data
// prepared before the fork (no malloc, no std::string, no logging, no throw).
#pragma once
#include <csignal>

#include <sys/resource.h>
#include <sys/types.h>

namespace supd::daemon {

// Where in the child a failure happened, sent to the parent with the errno.
enum class ChildStage : int { Exec = 1, Chdir = 2, Stdio = 3, Setsid = 4, Cgroup = 5, Limit = 6, Ids = 7, Unshare = 8 };

struct ChildFailure {
  int stage;
  int error;
  int detail = 0;  // Limit: the index into ExecPlan::limits
};

// One setrlimit of the job's `limits`.
struct LimitSetting {
  int resource;
  rlimit value;
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
  const LimitSetting* limits = nullptr;  // the job's own, after the nofile above
  int limit_count = 0;
  int cgroup_procs_fd = -1;          // the job's cgroup.procs: the child moves itself in first
  bool switch_ids = false;           // user/group: supplementary groups, gid, then uid
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  int group_count = 0;
  int umask = -1;                    // -1: supd's own
  unsigned keep_below = 0;           // > 0: the child shares supd's fd table (CLONE_FILES) and
                                     // keeps only the fds below this (its spawn slots)
};

[[noreturn]] void run_child(const ExecPlan& plan) noexcept;

}  // namespace supd::daemon
