#include "daemon/core/dependencies.hpp"

#include <fmt/format.h>

namespace supd::daemon {

using config::Condition;

std::string_view to_string(Health health) {
  switch (health) {
  case Health::None: return "";
  case Health::Starting: return "starting";
  case Health::Healthy: return "healthy";
  case Health::Unhealthy: return "unhealthy";
  }
  return "";
}

Progress progress(Condition condition, const OrderView& d) {
  const bool done = d.state == JobState::Exited && d.completed;  // a oneshot that did its work
  switch (condition) {
  case Condition::Started:
    if (d.state == JobState::Starting || d.state == JobState::Running || done) return Progress::Holds;
    break;
  case Condition::Running:
    if (d.state == JobState::Running || done) return Progress::Holds;
    break;
  case Condition::Healthy:
    if (d.state == JobState::Running && d.health == Health::Healthy) return Progress::Holds;
    if (d.state == JobState::Running) return Progress::Coming;  // starting, or unhealthy and being restarted
    break;
  case Condition::Completed:
    if (done) return Progress::Holds;
    if (d.state == JobState::Running) return Progress::Coming;  // still at work
    break;
  }
  switch (d.state) {
  case JobState::Stopped: return Progress::Down;
  case JobState::Fatal:
  case JobState::Exited: return Progress::Failed;
  case JobState::Stopping: return d.has_process ? Progress::Coming : Progress::Down;
  default: return Progress::Coming;
  }
}

std::string wait_reason(const config::Dependency& dependency, const OrderView& view, Progress p) {
  const auto& [name, condition] = dependency;
  switch (p) {
  case Progress::Down: return fmt::format("{} is stopped; start it (or this job again)", name);
  case Progress::Failed:
    if (condition == Condition::Completed && view.state == JobState::Exited)
      return fmt::format("{} did not complete: {}", name, view.reason);
    return fmt::format("{} is {}: {}", name, to_string(view.state), view.reason);
  default: break;
  }
  return fmt::format("waiting for {} to {}", name,
                     condition == Condition::Started   ? "start"
                     : condition == Condition::Running ? "be running"
                     : condition == Condition::Healthy ? "be healthy"
                                                       : "complete");
}

bool up(const OrderView& job) {
  return job.has_process || (job.state != JobState::Stopped && job.state != JobState::Exited &&
                             job.state != JobState::Fatal);
}

}  // namespace supd::daemon
