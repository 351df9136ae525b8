// Files a job's command names that are not there: the README's `["python3", "amsa.py"]` runs
// in the job's directory (the config's, by default), and a script kept elsewhere made the job
// fatal after `--check` said ok (issue 17). Warnings, never errors: the file may appear before
// the job starts, and a config that names it is still a valid config.
#pragma once
#include <string>
#include <vector>

#include "common/paths.hpp"
#include "config/job_spec.hpp"

namespace supd::config {

// One message per missing file, without position: "amsa.py is not in /home/me/.config/supd
// (the job's directory; ...)". A shell command is not looked into.
std::vector<std::string> missing_command_files(const JobSpec& spec, const common::Getenv& env);

}  // namespace supd::config
