#include "daemon/core/schedule.hpp"

#include <string>

#include "common/cron.hpp"

namespace supd::daemon {

bool is_scheduled(const config::JobSpec& spec) { return !spec.schedule.empty() || spec.every.has_value(); }

std::optional<NextRun> next_run(const config::JobSpec& spec, TimePoint now, std::chrono::system_clock::time_point wall) {
  if (spec.every) return NextRun{now + *spec.every, wall + *spec.every};
  if (spec.schedule.empty()) return std::nullopt;
  std::string error;
  const auto cron = common::parse_cron(spec.schedule, error);  // checked when the config was read
  if (!cron) return std::nullopt;
  const auto at = common::next_cron_time(*cron, wall);
  if (!at) return std::nullopt;
  return NextRun{now + std::chrono::duration_cast<milliseconds>(*at - wall), *at};
}

}  // namespace supd::daemon
