// Internal to config/: what only the whole file can tell about dependencies, health checks and
// schedules (issue 18): a dependency on a job that does not exist, a cycle (named, job by job),
// waiting for "healthy" on a job without a check, a check on a oneshot, a schedule on a job that
// never finishes. One error each, at the key that causes it.
#pragma once
#include <vector>

#include "config/job_fields.hpp"

namespace supd::config::detail {

void check_order(const std::vector<BuiltJob>& jobs, Errors& errors);

}  // namespace supd::config::detail
