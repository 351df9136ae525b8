#include "config/run_job.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "common/paths.hpp"
#include "common/restart_policy.hpp"
#include "config/output_name.hpp"

namespace supd::config {

std::optional<JobSpec> run_job_spec(const protocol::Run& run, std::string& error) {
  if (run.argv.empty() || run.argv.front().empty()) {
    error = "run needs a command; usage: supctl run NAME -- CMD [ARGS...]";
    return std::nullopt;
  }
  const std::filesystem::path dir(run.directory);
  if (!dir.is_absolute()) {
    error = fmt::format("directory '{}' must be an absolute path", run.directory);
    return std::nullopt;
  }
  JobSpec spec;
  spec.name = run.name;
  spec.argv = run.argv;
  spec.directory = common::normal_dir(dir);
  spec.environment = run.environment;
  if (run.restart) {
    const auto policy = common::parse_restart_policy(*run.restart);
    if (!policy) {
      error = fmt::format("unknown restart policy '{}'; use always, on-failure or never", *run.restart);
      return std::nullopt;
    }
    spec.restart = *policy;
  }
  spec.stdout_file = run.name + ".out";
  if (run.stdout_file) {
    const auto checked = check_output_name(*run.stdout_file);
    if (checked.problem) {
      error = fmt::format("--stdout '{}' must be a file name inside the log dir (no '..', not absolute)",
                          *run.stdout_file);
      return std::nullopt;
    }
    spec.stdout_file = checked.file;
  }
  return spec;
}

}  // namespace supd::config
