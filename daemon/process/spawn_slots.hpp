// Low fd numbers kept for what a child takes with it (stdin, its pipes, the error pipe, its
// cgroup.procs), so the child can leave the rest of supd's fd table uncopied.
//
// A child made by clone() without CLONE_FILES gets a copy of every fd supd holds (four per job:
// thousands with thousands of jobs), and its exec closes them all again: spawn time grew with
// the number of jobs. With CLONE_FILES the child shares supd's table, and its first call,
// close_range(end(), ~0U, CLOSE_RANGE_UNSHARE), makes its own table from the fds below end()
// only (the kernel copies no more than that). The fds it needs are put into these slots first.
#pragma once
#include <array>

#include "common/fd.hpp"

namespace supd::daemon {

class SpawnSlots {
public:
  enum Slot { Stdin, Stdout, Stderr, Status, Cgroup, kSlotCount };

  // Opens /dev/null once per slot; made early, while supd's fd numbers are still low.
  SpawnSlots();

  bool usable() const { return usable_; }
  // After a child could not unshare (a kernel before 5.9, a seccomp filter): spawn as before.
  void disable() { usable_ = false; }

  // `fd` also under the slot's number (close-on-exec); returns that number, or -1 (errno set).
  // The stdin slot always holds /dev/null.
  int put(Slot slot, int fd);
  // Every slot back to /dev/null, so supd holds no extra reference to a child's pipe.
  void clear();
  int number(Slot slot) const { return slots_[slot].get(); }
  // One past the highest slot: the child keeps the fds below it.
  unsigned end() const { return end_; }

private:
  std::array<common::UniqueFd, kSlotCount> slots_;
  common::UniqueFd null_;
  unsigned end_ = 0;
  bool usable_ = false;
};

}  // namespace supd::daemon
