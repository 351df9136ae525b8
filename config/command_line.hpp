// `command = "python3 -u 'my app.py'"` -> argv, split the way a shell splits words, with no
// shell involved: quotes and backslashes group, nothing expands ($, *, ~ stay literal).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supd::config {

// On failure (unterminated quote, trailing backslash, no words) returns nullopt and sets error.
std::optional<std::vector<std::string>> split_command(std::string_view text, std::string& error);

}  // namespace supd::config
