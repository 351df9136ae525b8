#include "common/path_search.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

namespace supd::common {

std::optional<std::string> find_in_path(const std::string& name, const std::string& path_value) {
  if (name.find('/') != std::string::npos) return std::nullopt;
  const std::string_view all(path_value);
  std::size_t begin = 0;
  while (begin <= all.size()) {
    const auto end = std::min(all.find(':', begin), all.size());
    const std::string_view dir = end == begin ? std::string_view(".") : all.substr(begin, end - begin);
    const std::string candidate = (std::filesystem::path(dir) / name).string();
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

}  // namespace supd::common
