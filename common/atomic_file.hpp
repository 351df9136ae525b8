// Replacing a file's contents so that a reader sees the old text or the new one, never a
// mix or a truncated file, even across a crash: temp file in the same dir, fsync, rename,
// fsync the dir.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace supd::common {

// "" on success, else one line naming the path and the failing step. The file keeps its
// mode (new files get `new_mode`). A symlink is followed: its target is what is replaced.
std::string write_file_atomically(const std::filesystem::path& file, std::string_view text, mode_t new_mode = 0600);

// The same, with the text handed over a block at a time: `next` returns the next block, and an
// empty one at the end. For a large file, which need never be whole in memory.
std::string write_file_atomically(const std::filesystem::path& file, const std::function<std::string_view()>& next,
                                  mode_t new_mode = 0600);

}  // namespace supd::common
