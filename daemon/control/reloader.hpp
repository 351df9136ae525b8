// `supctl reload`, SIGHUP and `supctl persist`: the daemon side that touches the config file.
// Reads and parses the whole file (any error: nothing changes), asks the supervisor for the
// diff and applies it, with RELOADING=1 ... READY=1 to systemd around it. The reading and
// checking (most of a reload's time with thousands of jobs) happen on a worker thread, and
// the diff and its applying back on the loop.
#pragma once
#include <filesystem>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "common/protocol.hpp"
#include "config/diff.hpp"
#include "config/load.hpp"
#include "daemon/core/event_hub.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

class Notifier;

struct ReloadOutcome {
  bool dry_run = false;
  bool applied = false;               // false on errors and for a dry run
  config::ConfigDiff diff;
  std::vector<std::string> errors;    // "supd.toml:4:15: message", all of them
  std::vector<std::string> warnings;  // what was not applied ([supd] log_dir)
  std::vector<Supervisor::ReloadStep> steps;  // what it does to each job of `diff`, in its order
};

// The wire name of a step (the reply's "action").
std::string_view to_string(Supervisor::ReloadStep step);

// The `reload` reply (common/commands/reload.hpp).
protocol::Reload::Reply to_reply(const ReloadOutcome& outcome);

class Reloader {
public:
  // `config_explicit`: supd was given the path (then a missing file is an error); else a
  // missing default file means "no jobs", as at start-up. The file is read on a worker thread;
  // the outcome is applied on `io`'s loop, and `hub` hears of it.
  Reloader(asio::io_context& io, EventHub& hub, Supervisor& sup, Notifier& notifier,
           std::filesystem::path config_path, bool config_explicit,
           config::ModeCheck mode_check = config::ModeCheck::Refuse)
      : io_(io), hub_(hub), sup_(sup), notifier_(notifier), path_(std::move(config_path)),
        explicit_(config_explicit), mode_check_(mode_check) {}

  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  // The config is read and checked on a worker thread; `done` is called on the loop with the
  // outcome (applied unless dry_run). A reload asked while one is in flight waits for it, then
  // reads the file afresh: reloads are applied one at a time, in the order asked.
  using Done = std::function<void(ReloadOutcome)>;
  void reload_async(bool dry_run, Done done);

  // Appends the ad-hoc job to the config file (created if missing) and makes it a config
  // job.
  std::variant<protocol::Persist::Reply, protocol::Error> persist(const std::string& name);

  const std::filesystem::path& config_path() const { return path_; }

private:
  struct Pending {
    bool dry_run;
    Done done;
  };
  config::LoadResult read_config() const;  // any thread: touches nothing of the supervisor
  ReloadOutcome settle(bool dry_run, config::LoadResult loaded, TimePoint now);  // the loop
  void start_next();
  void finish(config::LoadResult loaded);

  asio::io_context& io_;
  EventHub& hub_;
  Supervisor& sup_;
  Notifier& notifier_;
  std::filesystem::path path_;
  bool explicit_;
  config::ModeCheck mode_check_;  // supd --allow-insecure-config applies to reloads too
  std::deque<Pending> queue_;  // the front one is being read while in_flight_
  bool in_flight_ = false;
  std::thread worker_;
};

}  // namespace supd::daemon
