// A job's restart policy and its one spelling, shared by the config file, `supctl run
// --restart` (checked by supctl before it sends) and supd's `run` handler.
#pragma once
#include <optional>
#include <string_view>

namespace supd::common {

enum class RestartPolicy { Always, OnFailure, Never };

// For messages: what may be written.
inline constexpr std::string_view kRestartPolicies = R"("always", "on-failure" or "never")";

std::optional<RestartPolicy> parse_restart_policy(std::string_view text);  // exact spelling only
std::string_view to_string(RestartPolicy policy);                          // "always", ...

}  // namespace supd::common
