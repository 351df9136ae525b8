#include "daemon/core/health.hpp"

#include <utility>

namespace supd::daemon {

HealthRuntime health_begin(TimePoint now) {
  HealthRuntime h;
  h.status = Health::Starting;
  h.next_check = now;
  h.since = now;
  return h;
}

bool health_due(const HealthRuntime& health, TimePoint now) {
  return health.status != Health::None && !health.checking && health.next_check && *health.next_check <= now;
}

HealthVerdict health_result(const HealthRuntime& health, const config::HealthCheck& check, bool passed,
                            std::string output, TimePoint now) {
  HealthVerdict v{health, false, false};
  HealthRuntime& h = v.next;
  if (h.status == Health::None) return v;  // it stopped running while the check was out
  h.checking = false;
  h.next_check = now + check.interval;
  if (output.size() > kHealthOutputBytes) output.resize(kHealthOutputBytes);
  h.last_output = std::move(output);
  const Health before = h.status;
  if (passed) {
    h.failures = 0;
    h.status = Health::Healthy;
  } else if (now >= h.since + check.start_period) {
    ++h.failures;
    if (h.failures >= check.retries) h.status = Health::Unhealthy;
  }
  v.changed = h.status != before;
  v.restart = v.changed && h.status == Health::Unhealthy && check.restart_on_unhealthy;
  return v;
}

}  // namespace supd::daemon
