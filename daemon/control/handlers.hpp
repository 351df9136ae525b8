// Requests -> supervisor -> responses. A request is decoded into the typed Command and served
// by its command's own serve() (daemon/control/commands/<name>.cpp, listed by the build in
// command_handlers.hpp). Commands that wait (start/stop/restart until their jobs settle,
// shutdown until supd is done) keep their reply here and are answered from after_event().
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/protocol.hpp"
#include "daemon/control/call.hpp"
#include "daemon/control/reloader.hpp"
#include "daemon/control/reply.hpp"
#include "daemon/control/stats_sampler.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log_service.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

class Handlers : public RequestHandler {
public:
  // `logs`: where `logs -f` and `logs --reopen` go (the output capture); `reloader`: where
  // `reload` and `persist` go (the config file). Without one, those commands fail (unit tests).
  explicit Handlers(Supervisor& sup, LogService* logs = nullptr, Reloader* reloader = nullptr)
      : sup_(sup), logs_(logs), reloader_(reloader) {}

  // Answers at once or later (waiting commands); the session sends nothing else meanwhile.
  void handle(std::string_view line, const Peer& peer, Reply reply) override;

  void after_event(TimePoint now);  // answers waiters whose jobs have settled
  void on_shutdown_complete();      // answers `shutdown` callers, refuses other waiters
  bool shutdown_requested() const { return shutdown_requested_; }
  // `upgrade` waits here until the loop carries it out (daemon/continuity/upgrade.cpp).
  struct PendingUpgrade {
    std::uint64_t id;
    int client_fd;
    Reply reply;
  };
  std::optional<PendingUpgrade> take_upgrade() { return std::exchange(upgrade_, std::nullopt); }

  // ---- what the command handlers (daemon/control/commands/) share ----
  Supervisor& supervisor() { return sup_; }
  LogService* logs() const { return logs_; }
  Reloader* reloader() const { return reloader_; }
  StatsSampler& stats_sampler() { return stats_; }
  TimePoint started_at() const { return started_at_; }

    // Run: as Start, and a failure quotes the job's last output line. Remove: settled once the job is gone.
  enum class WaitKind { Start, Stop, Restart, Run, Remove };
  // Names -> jobs, "all" meaning every job; an error for the first invalid or unknown name.
  // One job for a command that takes one: a copy of a job with instances must be named (web@2).
  std::optional<protocol::Error> resolve_one(const std::string& name, const Job*& out);
  std::optional<protocol::Error> resolve(const std::vector<std::string>& names, bool empty_means_all,
                                         std::vector<const Job*>& out);
  // start/stop/restart: each named job (or all), then the answer as answer_when_settled gives it.
  protocol::Response control(Call& call, WaitKind kind, const std::vector<std::string>& names, bool wait);
  // The answer to start/stop/restart/run of `names`: at once when !wait or all have settled,
  // else once they have (after_event).
  protocol::Response answer_when_settled(Call& call, WaitKind kind, std::vector<std::string> names, bool wait);
  // A `reload` that started or restarted `jobs`: `answer` goes out once they have settled, with
  // those that did not start named in its `failed` (at once when none is left to wait for).
  void answer_reload_when_settled(std::uint64_t id, protocol::Reload::Reply answer, std::vector<std::string> jobs,
                                  Reply reply);
  // One reply; cut into frames (pulled as the client drains them) when it is over one.
  void send_response(const protocol::Response& response, const Reply& reply);
  // `status`: the rows of these jobs (where each is in jobs(), and its name), made as the
  // client drains the frames.
  FrameSource status_frames(std::uint64_t id, std::vector<std::pair<std::size_t, std::string>> names);
  // `shutdown`: counts the jobs it stops (once), and answers `call` when supd is done.
  void await_shutdown(Call& call);
  // `upgrade`: false when one is pending already.
  bool queue_upgrade(Call& call);
  // `events -f`: ended with the end mark at shutdown, or forgotten when the client goes.
  void add_event_follow(std::uint64_t token, std::uint64_t id, Reply reply);
  void drop_event_follow(std::uint64_t token) { event_follows_.erase(token); }

private:
  struct Waiter {
    std::uint64_t id;
    WaitKind kind;
    std::vector<std::string> jobs;
    Reply reply;
  };

  struct ReloadWaiter {
    std::uint64_t id;
    protocol::Reload::Reply answer;
    std::vector<std::string> jobs;
    Reply reply;
  };

  // Why a job that was to start has settled without running: "web: exec failed ... (fatal)".
  std::optional<std::string> start_failure(const Job& job) const;
  void answer_settled_reloads();
  protocol::Response settled_response(std::uint64_t id, WaitKind kind, const std::vector<std::string>& jobs,
                                      TimePoint now);
  bool settled(const std::vector<std::string>& jobs);
  bool settled(WaitKind kind, const std::vector<std::string>& jobs);

  Supervisor& sup_;
  LogService* logs_ = nullptr;
  Reloader* reloader_ = nullptr;
  StatsSampler stats_;  // `stats`: what each job's CPU was when last asked
  TimePoint started_at_ = Clock::now();  // this supd's start, for the uptime `stats` reports
  std::vector<Waiter> waiters_;
  std::vector<ReloadWaiter> reload_waiters_;
  std::vector<std::pair<std::uint64_t, Reply>> shutdown_waiters_;
  bool shutdown_requested_ = false;
  std::optional<PendingUpgrade> upgrade_;
  int stopped_at_shutdown_ = 0;  // jobs with a process when `shutdown` came
  std::map<std::uint64_t, std::pair<std::uint64_t, Reply>> event_follows_;  // token -> request id, reply
};

}  // namespace supd::daemon
