// `supctl reload`, SIGHUP and `supctl persist`: the daemon side that touches the config file.
// Reads and parses the whole file (any error: nothing changes), asks the supervisor for the
// diff and applies it, with RELOADING=1 ... READY=1 to systemd around it.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/protocol.hpp"
#include "config/diff.hpp"
#include "config/load.hpp"
#include "daemon/supervisor.hpp"

namespace supd::daemon {

class Notifier;

struct ReloadOutcome {
  bool dry_run = false;
  bool applied = false;               // false on errors and for a dry run
  config::ConfigDiff diff;
  std::vector<std::string> errors;    // "supd.toml:4:15: message", all of them
  std::vector<std::string> warnings;  // what was not applied ([supd] log_dir)
};

// {"dry_run", "applied", "jobs": [{"name", "change", "restart", "fields": [{"field", "old",
//  "new", "restart"}]}], "supd": [fields], "warnings": [...], "errors": [...]}
nlohmann::json to_json(const ReloadOutcome& outcome);

class Reloader {
public:
  // `config_explicit`: supd was given the path (then a missing file is an error); else a
  // missing default file means "no jobs", as at start-up.
  Reloader(Supervisor& sup, std::filesystem::path config_path, bool config_explicit,
           config::ModeCheck mode_check = config::ModeCheck::Refuse)
      : sup_(sup), path_(std::move(config_path)), explicit_(config_explicit), mode_check_(mode_check) {}
  void set_notifier(Notifier* notifier) { notifier_ = notifier; }
  void on_applied(std::function<void()> fn) { on_applied_ = std::move(fn); }  // e.g. new forward_signals

  ReloadOutcome reload(bool dry_run, TimePoint now);

  // Appends the ad-hoc job to the config file (created if missing) and makes it a config
  // job. The result: {"job", "config", "created"}.
  std::variant<nlohmann::json, protocol::Error> persist(const std::string& name);

  const std::filesystem::path& config_path() const { return path_; }

private:
  Supervisor& sup_;
  std::filesystem::path path_;
  bool explicit_;
  config::ModeCheck mode_check_;  // supd --allow-insecure-config applies to reloads too
  Notifier* notifier_ = nullptr;
  std::function<void()> on_applied_;
};

}  // namespace supd::daemon
