// Reads the bytes at the head of a pipe without taking them out of it: tee(2) duplicates them
// into a scratch pipe of its own, and read(2) takes that copy. The job's bytes then stay in its
// pipe until splice(2) moves them into the log file (LogFile::write_from_pipe), so a kill of
// supd between the two loses none. One serves every pipe: the loop peeks one at a time, and
// the scratch pipe is empty between two peeks.
#pragma once
#include <sys/types.h>

#include <cstddef>

#include "common/fd.hpp"

namespace supd::daemon {

class PipePeek {
public:
  // `capacity`: the most one peek takes; the scratch pipe is made that large (best effort: a
  // smaller one only makes peeks smaller).
  explicit PipePeek(std::size_t capacity = 1 << 16);
  bool ready() const { return static_cast<bool>(scratch_.write); }
  int error() const { return error_; }  // why not ready: pipe2's errno

  // Copies up to `size` bytes at the head of `pipe` into `buf`, leaving them there: how many;
  // 0 at its end (empty, and no writer left); -1 with errno: EAGAIN (empty for now), EINVAL or
  // ENOSYS (no tee(2) for these: not a pipe, or a kernel without it), or another error.
  ssize_t peek(int pipe, char* buf, std::size_t size);

private:
  common::Pipe scratch_;
  int error_ = 0;
};

}  // namespace supd::daemon
