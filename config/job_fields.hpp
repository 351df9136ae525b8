// Internal to config/: one job table (or [defaults]) read into optional fields, and the
// merge defaults -> job -> JobSpec. Keys that are absent stay nullopt so [defaults] and the
// JobSpec defaults show through.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "config/job_spec.hpp"
#include "config/load.hpp"
#include "config/order_fields.hpp"
#include "config/toml_reader.hpp"

namespace supd::config::detail {

inline constexpr std::string_view kJobKeys[] = {
    "command",       "shell",          "directory",       "environment", "autostart",   "restart",
    "start_secs",    "start_retries",  "backoff_initial", "backoff_max", "stop_signal", "stop_timeout",
    "ignore_signals", "forward_signals", "stdout",        "stderr",      "log_max_size", "log_keep",
    "timestamps",    "ready",
    "fatal_retry_after", "type",       "depends_on",      "schedule",    "every",       "health",
    "env_file",      "user",           "group",           "umask",       "limits",      "instances",
    "memory_max",    "memory_high",    "cpu_max",         "pids_max",
};
// Keys that name other jobs, a job's own times or its copies: per job only, never in [defaults].
inline constexpr std::string_view kPerJobKeys[] = {"depends_on", "schedule", "every", "health", "instances"};
// The cgroup limits, one bit each in JobFields::cgroup_set.
inline constexpr std::string_view kCgroupKeys[] = {"memory_max", "memory_high", "cpu_max", "pids_max"};

struct ReadContext {
  std::filesystem::path base_dir;  // absolute; relative paths resolve here
  const common::Getenv& env;       // for "~"
  Errors& errors;
  Errors* warnings = nullptr;  // what is valid but will likely fail (config/command_check.hpp)
};

struct CommandValue {
  std::variant<std::string, std::vector<std::string>> value;  // as written
  Pos pos;
};

struct OutputName {
  std::string file;  // normalized, relative to log_dir
  Pos pos;
};

struct JobFields {
  bool command_present = false;  // even when its value was invalid: no "command is required"
  std::optional<CommandValue> command;
  std::optional<bool> shell;
  std::optional<std::filesystem::path> directory;
  std::optional<std::map<std::string, std::string>> environment;
  std::optional<bool> autostart;
  std::optional<RestartPolicy> restart;
  std::optional<std::chrono::milliseconds> start_secs, backoff_initial, backoff_max, stop_timeout;
  std::optional<std::chrono::milliseconds> fatal_retry_after;
  std::optional<int> start_retries, stop_signal, log_keep;
  std::optional<std::vector<int>> ignore_signals, forward_signals;
  std::optional<OutputName> stdout_file, stderr_file;
  std::optional<std::uint64_t> log_max_size;
  std::optional<Timestamps> timestamps;
  std::optional<Readiness> ready;
  std::optional<JobType> type;
  std::optional<std::vector<PlacedDependency>> depends_on;
  std::optional<HealthCheck> health;
  std::optional<std::string> schedule;
  std::optional<std::chrono::milliseconds> every;
  std::optional<std::vector<std::string>> env_file;  // as written
  std::optional<std::string> user, group;
  std::optional<unsigned> umask;
  std::optional<std::vector<ResourceLimit>> limits;
  std::optional<long> instances;
  CgroupLimits cgroup;
  unsigned cgroup_set = 0;  // which of kCgroupKeys this table sets ("max" included)
  Pos restart_pos, health_pos, schedule_pos, every_pos;  // where each was written (checks across keys)
  Pos env_file_pos, instances_pos;
};

// Reads every key of a job table or of [defaults]; unknown keys and bad values become errors.
JobFields read_job_fields(const toml::table& table, ReadContext& ctx);

// "~", "~/x", absolute, or relative to ctx.base_dir; returned absolute and normalized.
std::optional<std::filesystem::path> read_directory(const toml::node& node, std::string_view key,
                                                    ReadContext& ctx);

struct BuiltJob {
  JobSpec spec;
  Pos stdout_pos;  // where stdout_file came from (the job table when defaulted)
  Pos stderr_pos;
  Pos command_pos;  // where the command came from (the job table when it has none)
  std::vector<Pos> depends_pos;  // one per spec.depends_on entry
  Pos restart_pos, health_pos, schedule_pos, every_pos;
  std::optional<long> instances;  // the job's copies, expanded by config/instances.hpp
  bool stdout_defaulted = false;  // "<name>.out": each copy gets its own name's
  Pos instances_pos;
};

// JobSpec defaults, then [defaults], then the job's own keys. Reports what only the merged
// view can tell (a command string that does not split, a missing command) at job_pos or at
// the command's own position.
BuiltJob build_job(std::string name, Pos job_pos, const JobFields& defaults, const JobFields& job,
                   ReadContext& ctx);

}  // namespace supd::config::detail
