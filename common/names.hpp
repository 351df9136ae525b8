// The names users give that supd checks in one place for the config, `run` and supctl: job
// names a command keeps for itself, and environment variable names.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace supd::common {

// Words a command reads as something other than a job: `all` is every job in
// start/stop/restart/status, so a job named `all` could never be stopped alone.
bool is_reserved_job_name(std::string_view name);

// "job name 'all' is reserved (...); pick another name", for any reserved name.
std::string reserved_job_name_message(std::string_view name);

// "no job named 'ams'; did you mean 'amsa'? see: supctl status": the nearest of `known`
// within two edits is named, so every command that takes a job name suggests alike.
std::string unknown_job_message(std::string_view name, std::span<const std::string_view> known);

// Why an environment variable name cannot be used, or nullopt: it may not be empty or hold
// '=' or NUL (execve's "NAME=VALUE" could not carry it), nor a control character (no program
// looks one up, and a newline would break the line it is logged or persisted on).
std::optional<std::string> environment_name_problem(std::string_view name);

}  // namespace supd::common
