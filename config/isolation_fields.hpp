// Internal to config/: the keys that shape a job's process and its box (issue 19): `env_file`,
// `user`/`group`, `umask`, `limits`, `instances` and the cgroup limits `memory_max`,
// `memory_high`, `cpu_max`, `pids_max`. Each reader returns the JobSpec's plain form or records
// one error at the offending value.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "config/job_spec.hpp"
#include "config/toml_reader.hpp"

namespace supd::config::detail {

inline constexpr long kMaxInstances = 10000;

// The entries as written ("~/app.env", "-/etc/app.env"); made absolute by the caller.
std::optional<std::vector<std::string>> read_env_file(const toml::node& node, Errors& errors);
// A user (`key` "user") or group name that exists here and that supd may switch to: another
// user's only when supd runs as root.
std::optional<std::string> read_account(const toml::node& node, std::string_view key, Errors& errors);
// "0027" (octal digits), or a TOML octal integer 0o027.
std::optional<unsigned> read_umask(const toml::node& node, Errors& errors);
// { nofile = 4096, core = "unlimited", as = "2GiB", cpu = "1h" }, sorted by name.
std::optional<std::vector<ResourceLimit>> read_limits(const toml::node& node, Errors& errors);
std::optional<long> read_instances(const toml::node& node, Errors& errors);
// memory_max, memory_high (a size), cpu_max ("50%"), pids_max (a count), or "max": into
// `limits`; false (and an error) when the value cannot be read.
bool read_cgroup_limit(const toml::node& node, std::string_view key, CgroupLimits& limits, Errors& errors);

}  // namespace supd::config::detail
