// A job as a systemd user unit (`supctl export systemd`): the same command, directory,
// environment, restart policy, stop signal and timeout, output appended to the same file,
// limits and readiness; what systemd has no key for is said in a comment. Pure: values in,
// text out (tests/unit/config/systemd_unit_test.cpp; checked by systemd-analyze verify).
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "config/job_spec.hpp"

namespace supd::config {

// "api.service".
std::string unit_file_name(const JobSpec& job);

// The unit's text. `log_dir` is where supd writes the job's output; `path` is the PATH the
// program name is looked up in (the job's own, else supd's), so ExecStart names it absolutely.
std::string systemd_unit(const JobSpec& job, const std::filesystem::path& log_dir, const std::string& path);

// One word of ExecStart= as systemd reads it: quoted when needed; '%' and '$' doubled so they
// stay literal (no specifiers, no variable expansion).
std::string exec_word(std::string_view word);

}  // namespace supd::config
