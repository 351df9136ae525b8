// The event recorder: every transition, signal, exit, spawn and config change goes through
// record(), which stamps it (the wall clock is injected, so tests use a fake), keeps it in a
// bounded history (per job, plus a ring for supd's own events), writes it to supd's log, and
// tells the followers (`supctl events -f`). No Asio, no syscalls.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
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

  // Drops a job's history (a finished ad-hoc job supd forgets).
  void forget(std::string_view job) {
    if (const auto it = jobs_.find(job); it != jobs_.end()) jobs_.erase(it);
  }

  // New events from now on (only `job`'s when set). A token for unsubscribe().
  std::uint64_t subscribe(std::optional<std::string> job, Listener listener);
  void unsubscribe(std::uint64_t token);
  std::size_t followers() const { return listeners_.size(); }

private:
  struct Subscription {
    std::optional<std::string> job;
    Listener listener;
  };
  // What a history keeps of one event: about a third of common::Event's size, because with
  // many jobs the histories are most of supd's memory (1000 jobs: ~7 events each at start).
  // The job is the ring's key; kind, states, signal and the client's exe are interned words
  // (an index + 1 into words_, 0 = none): a few dozen distinct ones over supd's life.
  struct Kept {
    std::uint64_t seq = 0;
    common::WallTime time{};
    std::string reason;
    std::optional<common::ExitStatus> exit;
    std::optional<int> pid;
    std::uint32_t kind = 0, from = 0, to = 0, signal = 0, exe = 0;
    std::uint8_t who = 0;  // 0: none, else EventOrigin::Kind + 1
    uid_t uid = 0;
    pid_t who_pid = 0;
  };
  // Last events, oldest first, in one block that grows as they come (up to the cap), then
  // wraps. A deque's first map and node cost ~1 KiB a job, for the few events most jobs have.
  class Ring {
  public:
    void push(Kept kept, std::size_t cap);
    template <class F>
    void each(F&& f) const {
      for (std::size_t i = 0; i < items_.size(); ++i) f(items_[(head_ + i) % items_.size()]);
    }

  private:
    std::vector<Kept> items_;
    std::size_t head_ = 0;  // the oldest, once full
  };
  Kept keep(const common::Event& event);
  common::Event restore(const Kept& kept, const std::string* job) const;
  std::uint32_t intern(const std::optional<std::string>& word);
  std::optional<std::string> word(std::uint32_t index) const;

  WallClock clock_;
  std::size_t per_job_, daemon_ring_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, Ring, std::less<>> jobs_;
  Ring daemon_;
  std::vector<std::string> words_;
  std::map<std::string, std::uint32_t, std::less<>> word_index_;
  common::Event last_;  // the event record() returned, whole (valid until the next record())
  std::map<std::uint64_t, Subscription> listeners_;
  std::uint64_t next_token_ = 1;
  LogSink sink_;
};

}  // namespace supd::daemon
