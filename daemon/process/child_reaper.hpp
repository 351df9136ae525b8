// Reaping supd's children without walking all of them. A SIGCHLD does not say which child
// exited, and waitid(P_ALL) walks supd's whole list of children on every call: with thousands
// of jobs that walk was the one per-event cost left that grows with the number of jobs
// (docs/design-decisions.md, "One event costs the same with 10 jobs or 10,000"). So each job
// process is watched by its pidfd in one epoll set: after a SIGCHLD, the pidfds that are
// readable name the children that exited, and waitid(P_PIDFD) reaps just those. The walk
// (sweep) is still made when something else may have exited: a child supd started for itself,
// a child spawned without a pidfd, or an orphan of a job's group (supd is their sub-reaper).
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <unordered_set>
#include <vector>

#include "common/fd.hpp"
#include "daemon/process/pidfd_exit.hpp"

namespace supd::daemon {

class ChildReaper {
public:
  ChildReaper();  // without epoll (it cannot fail in practice), every reap is a sweep

  // A job process was spawned. Its pidfd stays the job's; closing it (after the reap) takes it
  // out of the epoll set by itself. Without a pidfd (a kernel before 5.3) it is unwatched.
  void spawned(pid_t pid, int pidfd);

  // The watched children that have exited, each reaped by its pidfd. No walk over the others.
  std::vector<Reaped> reap_watched();

  // Every child that has exited, by waitid(P_ALL, WNOHANG) until none: one SIGCHLD may stand
  // for several exits, and as a sub-reaper supd also collects orphans of its jobs here.
  std::vector<Reaped> sweep();

  // Whether a spawned child without a watch is alive (then every SIGCHLD needs a sweep).
  bool has_unwatched() const { return !unwatched_.empty(); }

  std::size_t watched() const { return watched_.size(); }

private:
  void forget(pid_t pid);

  common::UniqueFd epoll_;
  std::unordered_set<pid_t> watched_;    // spawned with a pidfd in the epoll set, not reaped yet
  std::unordered_set<pid_t> unwatched_;  // spawned without one, not reaped yet
};

}  // namespace supd::daemon
