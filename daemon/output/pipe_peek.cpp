#include "daemon/output/pipe_peek.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <system_error>

namespace supd::daemon {

PipePeek::PipePeek(std::size_t capacity) {
  std::error_code ec;
  scratch_ = common::make_pipe(ec, O_NONBLOCK);
  if (ec) error_ = ec.value();
  if (ready()) (void)::fcntl(scratch_.write.get(), F_SETPIPE_SZ, static_cast<int>(capacity));
}

ssize_t PipePeek::peek(int pipe, char* buf, std::size_t size) {
  if (!ready()) {
    errno = ENOSYS;
    return -1;
  }
  ssize_t n = 0;
  do n = ::tee(pipe, scratch_.write.get(), size, SPLICE_F_NONBLOCK);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  std::size_t got = 0;
  while (got < static_cast<std::size_t>(n)) {
    const ssize_t r = ::read(scratch_.read.get(), buf + got, static_cast<std::size_t>(n) - got);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    // The scratch pipe gave less than tee put in: empty it, so the next peek starts clean.
    char sink[4096];
    while (::read(scratch_.read.get(), sink, sizeof sink) > 0) {
    }
    errno = EIO;
    return -1;
  }
  return n;
}

}  // namespace supd::daemon
