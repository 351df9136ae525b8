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
  }
  return "start_secs";  // unreachable
}

}  // namespace supd::config
