// An RAII file descriptor that is boring on purpose, and pipes made of them.
#pragma once
#include <sys/types.h>

#include <system_error>
#include <utility>

namespace supd::common {

class UniqueFd {  // move-only, -1 when empty
public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;  // closes the old one; no EINTR retry (Linux closes anyway)

private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// pipe2(O_CLOEXEC | extra_flags). The first throws std::system_error (start-up code);
// the second is for the event loop.
Pipe make_pipe(int extra_flags = 0);
Pipe make_pipe(std::error_code& ec, int extra_flags = 0) noexcept;

// The inode of what fd is open on; 0 when fstat fails.
ino_t inode_of(int fd) noexcept;

}  // namespace supd::common
