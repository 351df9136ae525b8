// The difference between two configs, per job and per field: what `supctl reload` shows and
// what the supervisor applies. Pure: two Config values in, a plain description out.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/job_spec.hpp"

namespace supd::config {

enum class ChangeKind { Added, Removed, Changed, Unchanged };
std::string_view to_string(ChangeKind kind);  // "added", "removed", "changed", "unchanged"

struct FieldChange {
  std::string field;      // the config key: "command", "stop_timeout", "log_dir"
  std::string old_value;  // short human renderings: ["python3","-u","amsa.py"], 10s, TERM
  std::string new_value;
  bool restart = false;   // the running process must be replaced for it to take effect
  bool operator==(const FieldChange&) const = default;
};

struct JobDiff {
  std::string name;
  ChangeKind change = ChangeKind::Unchanged;
  std::vector<FieldChange> fields;  // only for Changed
  bool needs_restart() const;       // some field needs the process replaced
  bool operator==(const JobDiff&) const = default;
};

struct ConfigDiff {
  std::vector<JobDiff> jobs;        // the new config's order, then removed jobs in the old order
  std::vector<FieldChange> supd;    // [supd] settings (log_dir)
  bool has_changes() const;         // anything but Unchanged jobs
  bool operator==(const ConfigDiff&) const = default;
};

// Field by field; restart = true for command/shell, directory, environment, ignore_signals,
// stdout and stderr (what the process was started with), false for the rest (read by the
// supervisor on the next event: restart policy, timings, signals, log rotation, autostart).
std::vector<FieldChange> diff_job(const JobSpec& before, const JobSpec& after);

ConfigDiff diff(const Config& before, const Config& after);

}  // namespace supd::config
