#include "daemon/proc_title.hpp"

#include <cstring>

namespace supd::daemon {
namespace {

char* g_area = nullptr;     // argv[0]'s first byte
std::size_t g_room = 0;     // bytes up to and including the last contiguous string's NUL

}  // namespace

void remember_argv(int argc, char** argv) {
  if (argc < 1 || argv == nullptr || argv[0] == nullptr) return;
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc && argv[i] == end; ++i) end = argv[i] + std::strlen(argv[i]) + 1;  // the kernel's layout
  g_area = argv[0];
  g_room = static_cast<std::size_t>(end - argv[0]);
}

void set_proc_title(std::string_view title) noexcept {
  if (g_area == nullptr || g_room < 2) return;
  const std::size_t n = title.size() < g_room - 1 ? title.size() : g_room - 1;
  std::memcpy(g_area, title.data(), n);
  std::memset(g_area + n, 0, g_room - n);  // the rest NUL: the old arguments are gone from ps
}

}  // namespace supd::daemon
