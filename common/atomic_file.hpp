// Replacing a file's contents so that a reader sees the old text or the new one, never a
// mix or a truncated file, even across a crash: temp file in the same dir, fsync, rename,
// fsync the dir.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace supd::common {

// "" on success, else one line naming the path and the failing step. The file keeps its
// mode (new files get `new_mode`). A symlink is followed: its target is what is replaced.
std::string write_file_atomically(const std::filesystem::path& file, std::string_view text, mode_t new_mode = 0600);

}  // namespace supd::common
