#include "common/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace supd::common {

ino_t inode_of(int fd) noexcept {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Pipe make_pipe(std::error_code& ec, int extra_flags) noexcept {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | extra_flags) != 0) {
    ec.assign(errno, std::system_category());
    return {};
  }
  ec.clear();
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Pipe make_pipe(int extra_flags) {
  std::error_code ec;
  auto p = make_pipe(ec, extra_flags);
  if (ec) throw std::system_error(ec, "pipe2");
  return p;
}

}  // namespace supd::common
