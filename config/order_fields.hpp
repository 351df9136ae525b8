// Internal to config/: the keys that relate a job to others and to time (issue 18): `type`,
// `depends_on`, `schedule`/`every` and the `[jobs.NAME.health]` table, each read into the
// JobSpec's plain form with its position kept for the checks across jobs (order_check.hpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "config/job_spec.hpp"
#include "config/toml_reader.hpp"

namespace supd::config::detail {

struct PlacedDependency {
  Dependency dependency;
  Pos pos;  // of its entry: the name, or the `name = "condition"` pair
};

std::optional<JobType> read_type(const toml::node& node, Errors& errors);
// ["db", "cache"] (each `running`) or { db = "healthy", migrate = "completed" }.
std::optional<std::vector<PlacedDependency>> read_depends_on(const toml::node& node, Errors& errors);
// A five-field cron expression (common/cron.hpp), checked now; an error points into the text.
std::optional<std::string> read_schedule(const toml::node& node, Errors& errors);
std::optional<HealthCheck> read_health(const toml::node& node, Errors& errors);

}  // namespace supd::config::detail
