// Names of the plain job-spec enums, as config files and `supctl` spell them.
#include "config/job_spec.hpp"

namespace supd::config {

std::string_view to_string(Timestamps mode) {
  switch (mode) {
  case Timestamps::Index: return "index";
  case Timestamps::Prefix: return "prefix";
  case Timestamps::None: return "none";
  }
  return "index";  // unreachable
}

std::string_view to_string(Readiness mode) {
  switch (mode) {
  case Readiness::StartSecs: return "start_secs";
  case Readiness::Notify: return "notify";
  case Readiness::Listen: return "listen";
  }
  return "start_secs";  // unreachable
}

std::string_view to_string(JobType type) { return type == JobType::Oneshot ? "oneshot" : "service"; }

std::string_view to_string(Condition condition) {
  switch (condition) {
  case Condition::Started: return "started";
  case Condition::Running: return "running";
  case Condition::Healthy: return "healthy";
  case Condition::Completed: return "completed";
  }
  return "running";  // unreachable
}

std::optional<Condition> parse_condition(std::string_view text) {
  for (auto c : {Condition::Started, Condition::Running, Condition::Healthy, Condition::Completed})
    if (to_string(c) == text) return c;
  return std::nullopt;
}

}  // namespace supd::config
