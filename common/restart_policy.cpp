#include "common/restart_policy.hpp"

namespace supd::common {

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
  if (text == "always") return RestartPolicy::Always;
  if (text == "on-failure") return RestartPolicy::OnFailure;
  if (text == "never") return RestartPolicy::Never;
  return std::nullopt;
}

std::string_view to_string(RestartPolicy policy) {
  switch (policy) {
  case RestartPolicy::Always: return "always";
  case RestartPolicy::OnFailure: return "on-failure";
  case RestartPolicy::Never: return "never";
  }
  return "on-failure";  // unreachable: every enumerator is handled above
}

}  // namespace supd::common
