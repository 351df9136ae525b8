// The names other supervisors give supd's job keys (supervisord's `autorestart`, systemd's
// `ExecStart`), for "did you mean": they are too far from ours for an edit distance to find.
#pragma once
#include <optional>
#include <string_view>

namespace supd::config {

// supd's key for another tool's key (case-insensitive: systemd writes `WorkingDirectory`),
// or nullopt when there is none or the tool's name is ours already.
std::optional<std::string_view> our_key_for(std::string_view other_tools_key);

}  // namespace supd::config
