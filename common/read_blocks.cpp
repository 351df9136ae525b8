#include "common/read_blocks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/fd.hpp"

namespace supd::common {

bool read_blocks(const char* path, const std::function<void(std::string_view)>& each, int extra_flags) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | extra_flags));
  if (!fd) return false;
  std::array<char, 16 << 10> block;  // on the stack: a large file never becomes a large heap block
  for (ssize_t n; (n = ::read(fd.get(), block.data(), block.size())) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    each({block.data(), static_cast<std::size_t>(n)});
  }
  return true;
}

std::optional<std::string> read_text(const char* path, int extra_flags) {
  std::string out;
  if (!read_blocks(path, [&](std::string_view block) { out.append(block); }, extra_flags)) return std::nullopt;
  return out;
}

}  // namespace supd::common
