// Plain, validated job specs: what a config file means once every key has been checked.
#pragma once
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/restart_policy.hpp"

namespace supd::config {

using namespace std::chrono_literals;

using common::RestartPolicy;  // common/restart_policy.hpp: one spelling for the file, supctl and supd
using common::to_string;

// How a job's output lines get their times: in a side index beside the byte-exact log file
// (the default), as an ISO-8601 prefix written into the file, or not at all.
enum class Timestamps { Index, Prefix, None };

// When a started job counts as running: after start_secs up, when it says so itself with
// READY=1 on its NOTIFY_SOCKET (the sd_notify protocol), or once one of its processes listens
// on a TCP or Unix stream socket (seen in /proc: no probe to write).
enum class Readiness { StartSecs, Notify, Listen };

// A service runs until stopped; a oneshot runs to completion (exit 0: the `completed` condition).
enum class JobType { Service, Oneshot };

// What a dependent waits for in a job it depends on (DESIGN.md, "Dependencies").
enum class Condition { Started, Running, Healthy, Completed };
struct Dependency {
  std::string job;
  Condition condition = Condition::Running;
  bool operator==(const Dependency&) const = default;
};

// [jobs.NAME.health]: exactly one kind of check, run every `interval` once the job runs.
struct HealthCheck {
  enum class Kind { Exec, Http, Tcp };
  Kind kind = Kind::Exec;
  std::vector<std::string> exec;  // Exec: the command
  std::string target;             // Http: the URL; Tcp: "host:port"
  std::chrono::milliseconds interval = 10s;
  std::chrono::milliseconds timeout = 2s;
  int retries = 3;                // consecutive failures that make it unhealthy
  std::chrono::milliseconds start_period = 0s;  // failures this soon after the start do not count
  bool restart_on_unhealthy = true;             // on_unhealthy = "restart" (or "none")
  bool operator==(const HealthCheck&) const = default;
};

// limits = { nofile = 4096, core = "unlimited" }: one setrlimit before exec, soft and hard alike
// (as systemd's LimitNOFILE= with one value). `resource` is the RLIMIT_* number.
struct ResourceLimit {
  std::string name;                   // "nofile", "nproc", "core", "as", ...
  int resource = 0;
  std::optional<std::uint64_t> value;  // nullopt: unlimited
  bool operator==(const ResourceLimit&) const = default;
};

// The job's own cgroup's limits (cgroup v2), applied where the controller is delegated to supd.
// nullopt: not set ("max").
struct CgroupLimits {
  std::optional<std::uint64_t> memory_max, memory_high;  // bytes
  std::optional<double> cpu_max_percent;                 // "50%" of one CPU; 200 = two CPUs
  std::optional<long> pids_max;
  bool any() const { return memory_max || memory_high || cpu_max_percent || pids_max; }
  bool operator==(const CgroupLimits&) const = default;
};

struct JobSpec {
  std::string name;
  std::vector<std::string> argv;       // what execvp gets; with shell = true: {"/bin/sh", "-c", text}
  bool shell = false;
  std::filesystem::path directory;     // absolute; default: the config file's directory
  std::map<std::string, std::string> environment;  // added to supd's environment
  bool autostart = true;
  RestartPolicy restart = RestartPolicy::OnFailure;
  std::chrono::milliseconds start_secs = 1s;   // up this long = started
  int start_retries = 3;                       // first spawn + 3 retries, then fatal
  std::chrono::milliseconds backoff_initial = 1s;  // delay after the first failed start
  std::chrono::milliseconds backoff_max = 60s;     // the doubling stops here
  // FATAL after too many failed starts: retried once this long after (nullopt: stays fatal).
  std::optional<std::chrono::milliseconds> fatal_retry_after = {};
  int stop_signal = SIGTERM;
  std::chrono::milliseconds stop_timeout = 10s;  // then SIGKILL to the group
  std::vector<int> ignore_signals = {SIGHUP};    // the nohup guarantee
  std::vector<int> forward_signals;
  std::string stdout_file;                     // relative to log_dir; default "<name>.out"
  std::optional<std::string> stderr_file;      // nullopt: merged into stdout_file
  std::uint64_t log_max_size = 50ull << 20;    // rotation (output issue); 0 = never rotate
  int log_keep = 5;
  Timestamps timestamps = Timestamps::Index;
  Readiness ready = Readiness::StartSecs;
  JobType type = JobType::Service;
  std::vector<Dependency> depends_on;          // in the order written
  std::optional<HealthCheck> health;
  std::string schedule;                        // five-field cron (common/cron.hpp); "" = none
  std::optional<std::chrono::milliseconds> every;  // or a fixed interval
  // The process's environment and box (DESIGN.md, "Process environment and isolation").
  std::vector<std::string> env_file;           // absolute paths, in order; a leading '-': may be missing
  std::string user, group;                     // "" = supd's own (another only when supd runs as root)
  std::optional<unsigned> umask;               // nullopt = supd's own
  std::vector<ResourceLimit> limits;           // sorted by name
  CgroupLimits cgroup;
  std::string instance_of;                     // NAME for the instance NAME@3; "" when not an instance

  bool operator==(const JobSpec&) const = default;
};

struct DaemonSettings {
  std::optional<std::filesystem::path> log_dir;  // [supd] log_dir, absolute, ~ expanded
  bool operator==(const DaemonSettings&) const = default;
};

struct Config {
  DaemonSettings supd;
  std::vector<JobSpec> jobs;  // in the order the file defines them

  const JobSpec* find(std::string_view name) const {
    for (const auto& j : jobs)
      if (j.name == name) return &j;
    return nullptr;
  }
  bool operator==(const Config&) const = default;
};

std::string_view to_string(Timestamps mode);       // "index", "prefix", "none"
std::string_view to_string(Readiness mode);        // "start_secs", "notify", "listen"
std::string_view to_string(JobType type);          // "service", "oneshot"
std::string_view to_string(Condition condition);   // "started", "running", "healthy", "completed"
std::optional<Condition> parse_condition(std::string_view text);

}  // namespace supd::config
