// One job's row as the protocol carries it (status, and the reply of start/stop/restart/run),
// and the exit object it shares with events and `why`.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/exit_status.hpp"

namespace supd::protocol {

// One row of `status` (also the result of start/stop/restart, one per job they touched).
//   {"name": "amsa", "state": "running", "pid": 4242, "uptime_s": 12.5, "restarts": 0,
//    "last_exit": {"code": 3, "signal": null, "core_dumped": false, "description": "exited 3"} | null,
//    "error": "exec amsa.py: No such file or directory" | null, "next_try_s": 240.0 | null,
//    "health": "healthy" | null, "reason": "waiting for db to be healthy" (waiting only),
//    "next_run": "2026-12-06T03:00:00.000Z" (scheduled jobs only)}
struct JobStatus {
  std::string name;
  std::string state;  // lower case: stopped starting running backoff stopping exited fatal waiting
  std::optional<int> pid;
  std::optional<double> uptime_s;  // while a process exists
  int restarts = 0;
  std::optional<common::ExitStatus> last_exit;
  std::optional<std::string> error;  // why it is fatal/backoff (spawn error), else null
  // "config" or "run" (`supctl run`); absent from older supds. Default-initialised, so
  // brace-initialised JobStatus values elsewhere need not name it.
  std::optional<std::string> origin = std::nullopt;
  std::optional<double> next_try_s = {};  // backoff/fatal with a retry deadline: seconds until it (the
                                          // initializer keeps positional {...} of the fields above valid)
  // The last STATUS=... a ready = "notify" job sent in its current run; the key is absent
  // from the JSON when there is none.
  std::optional<std::string> status_text = {};
  // A waiting job: what it waits for ("waiting for db to be healthy", "db is fatal: ...");
  // absent otherwise.
  std::optional<std::string> reason = {};
  // Its health check's verdict: "starting", "healthy", "unhealthy"; null without a check or
  // while it is not running.
  std::optional<std::string> health = {};
  // A job with `schedule` or `every`: when it runs next (ISO 8601, UTC); absent otherwise.
  std::optional<std::string> next_run = {};
  bool operator==(const JobStatus&) const = default;
};

// The exit object of JobStatus.last_exit (also in events and `why`):
//   {"code": 3 | null, "signal": "KILL" | null, "core_dumped": false, "description": "exited 3"}
nlohmann::json exit_to_json(const common::ExitStatus& e);
std::optional<common::ExitStatus> exit_from_json(const nlohmann::json& j) noexcept;

nlohmann::json to_json(const JobStatus& job);
std::optional<JobStatus> job_status_from_json(const nlohmann::json& j) noexcept;

// {"jobs": [JobStatus...]}
nlohmann::json jobs_result(const std::vector<JobStatus>& jobs);
std::optional<std::vector<JobStatus>> parse_jobs_result(const nlohmann::json& result) noexcept;

// The reply of every command that answers with job rows: status, start, stop, restart, run.
struct JobsReply {
  std::vector<JobStatus> jobs;
  bool operator==(const JobsReply&) const = default;
  nlohmann::json to_json() const { return jobs_result(jobs); }
  static std::optional<JobsReply> from_json(const nlohmann::json& result) noexcept {
    auto jobs = parse_jobs_result(result);
    if (!jobs) return std::nullopt;
    return JobsReply{std::move(*jobs)};
  }
};

}  // namespace supd::protocol
