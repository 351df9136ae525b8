// The event recorder: every transition, signal, exit, spawn and config change goes through
// record(), which stamps it (the wall clock is injected, so tests use a fake), keeps it in a
// bounded history (per job, plus a ring for supd's own events), writes it to supd's log, and
// tells the followers (`supctl events -f`). No Asio, no syscalls.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event.hpp"

namespace supd::daemon {

class EventLog {
public:
  using WallClock = std::function<common::WallTime()>;
  // Returns false when it wants no more events (its client is gone).
  using Listener = std::function<bool(const common::Event&)>;
  enum class Level { Info, Warn, Error };  // only for supd's log
  using LogSink = std::function<void(Level, const std::string&)>;

  static constexpr std::size_t kPerJob = 1000;
  static constexpr std::size_t kDaemonRing = 1000;

  explicit EventLog(WallClock clock = [] { return std::chrono::system_clock::now(); },
                    std::size_t per_job = kPerJob, std::size_t daemon_ring = kDaemonRing);

  // Stamps seq and time, keeps, logs (default sink: spdlog) and publishes the event.
  const common::Event& record(common::Event event, Level level = Level::Info);
  void set_log_sink(LogSink sink) { sink_ = std::move(sink); }

  // The last `limit` events (all kept when nullopt) of one job, or of every job and supd
  // merged in the order they happened. Oldest first.
  std::vector<common::Event> history(const std::optional<std::string>& job,
                                     std::optional<std::size_t> limit = std::nullopt) const;

  // New events from now on (only `job`'s when set). A token for unsubscribe().
  std::uint64_t subscribe(std::optional<std::string> job, Listener listener);
  void unsubscribe(std::uint64_t token);
  std::size_t followers() const { return listeners_.size(); }

private:
  struct Subscription {
    std::optional<std::string> job;
    Listener listener;
  };

  WallClock clock_;
  std::size_t per_job_, daemon_ring_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, std::deque<common::Event>, std::less<>> jobs_;
  std::deque<common::Event> daemon_;
  std::map<std::uint64_t, Subscription> listeners_;
  std::uint64_t next_token_ = 1;
  LogSink sink_;
};

}  // namespace supd::daemon
