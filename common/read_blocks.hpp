// Reading a file a block at a time, for readers that fold what they read (a journal) as well
// as those that keep it whole: one open-and-read loop for both.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

// Opens `path` (O_RDONLY | O_CLOEXEC | `extra_flags`) and hands `each` every block read, in
// order. false when it cannot be opened or a read fails (what came before was handed over).
bool read_blocks(const char* path, const std::function<void(std::string_view)>& each, int extra_flags = 0);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_text(const char* path, int extra_flags = 0);

}  // namespace supd::common
