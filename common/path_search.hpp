// execvp's search of PATH, done by supd before a spawn and by `--check` to warn about a
// program that is on no PATH: one rule for both.
#pragma once
#include <optional>
#include <string>

namespace supd::common {

// The first executable regular file `name` names in the ':'-separated `path_value` (an empty
// entry is "."); nullopt when none. A name with a '/' is not searched for: nullopt.
std::optional<std::string> find_in_path(const std::string& name, const std::string& path_value);

}  // namespace supd::common
