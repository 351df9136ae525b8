// `supctl run`: the ad-hoc job's JobSpec, built by the same rules the config file's jobs go
// through (common/restart_policy.hpp, common::normal_dir, config/output_name.hpp), so a job
// started by hand and one from the file cannot drift apart.
#pragma once
#include <optional>
#include <string>

#include "common/protocol.hpp"
#include "config/job_spec.hpp"

namespace supd::config {

// The job `run` asks for, or nullopt with `error` a one-line message that says what to fix.
// Whether its name or output file is taken is the daemon's question, not this one's.
std::optional<JobSpec> run_job_spec(const protocol::Run& run, std::string& error);

}  // namespace supd::config
