// The event hub (daemon/core/event_hub.hpp): the one place that turns what happens -- signals,
// the one timer, and what the adapters report (exits of adopted processes, READY=1, requests
// served, reloads applied) -- into the supervisor's on_* calls, and then runs the after-event
// sequence: records, the upgrade (which may exec supd), the waiting requests, systemd's
// status, the shutdown check, the timer. Shutting down closes everything so that
// io_context::run() returns by itself.
#pragma once
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <optional>

#include "daemon/control/control_server.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/core/event_hub.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon/output/output.hpp"
#include "daemon/process/child_reaper.hpp"
#include "daemon/process/side_children.hpp"

namespace supd::daemon {

class Notifier;
class Reloader;

class EventLoop final : public EventHub {
public:
  // Signals are caught from construction on, so no SIGCHLD of a first job can be missed.
  EventLoop(asio::io_context& io, Supervisor& sup, OutputCapture& output, Notifier& notifier);

  // What the after-event sequence needs that is built after the loop, because each of them
  // reports to it. Given once, by start(); no event is handled before (io.run() has not begun).
  struct Parts {
    Handlers& handlers;                      // the waiters' answers; told when shutdown completes
    Reloader& reloader;                      // SIGHUP reloads the config
    ControlServer& server;                   // closed once every job has stopped
    std::function<void(TimePoint)> records;  // a record per live job, for the next supd
    std::function<void(TimePoint)> upgrade;  // a pending `supctl upgrade`: it may exec
    std::function<void()> at_shutdown;       // end the waits that would keep io.run() going
  };
  // Takes the parts and makes the first after-event pass (records, systemd's status, the
  // timer); then io.run() runs the loop until shutdown completes.
  void start(Parts parts);
  // The spawns start-up queued (Supervisor::run_queued_spawns), a turn's worth per loop turn
  // so requests are answered in between; `done` once the last is done (READY=1 then).
  void spawn_queued(std::function<void()> done);
  // One turn's spawns: kSpawnBatch, or fewer once kSpawnTurn has passed, so where a fork is
  // slow (a large supd, a sanitizer build) a request still waits no more than about a turn.
  // Returns how many are left.
  static std::size_t spawn_a_turn(Supervisor& sup);
  static constexpr std::size_t kSpawnBatch = 64;
  static constexpr std::chrono::milliseconds kSpawnTurn{10};

  // What SIGCHLD does: reaps the job processes whose pidfds say they exited, and sweeps all
  // children (waitid(P_ALL)) only when something else may have exited: a side child, a job
  // process without a pidfd, a member of a group outliving its job's main process. Otherwise
  // the sweep comes kStraySweep later, for an orphan no group accounts for (a job's
  // setsid'd grandchild), once for any number of SIGCHLDs meanwhile.
  void reap_children();
  void sweep_children();  // every child that exited (at start-up after an upgrade's exec)
  static constexpr std::chrono::milliseconds kStraySweep{100};
  // Where job processes are watched by their pidfds: PosixProcessOps tells it of each spawn.
  ChildReaper& reaper() { return reaper_; }
  // Children supd starts for itself: their exits are handed back, not fed to the supervisor.
  SideChildren& side_children() { return side_children_; }

  // EventHub: each is the supervisor's event, then after_event().
  void process_exited(pid_t pid, const common::ExitStatus& status) override;
  void groups_may_have_emptied() override;
  void job_ready(std::string_view job, const Origin& who) override;
  void job_status_text(std::string_view job, std::string text) override;
  void changed() override { after_event(); }
  void config_applied() override { watch_forward_signals(); }
  void health_checked(std::string_view job, int run, bool passed, std::string output) override;

private:
  // After every event, in this order: `records`, `upgrade`, the waiters' answers, systemd's
  // status, and either the next deadline's timer or, once every job has stopped,
  // `at_shutdown`, the server closed and the end of the loop.
  void after_event();
  void watch_forward_signals();  // catch every job's forward_signals (again after a reload)
  void wait_for_signal();
  void on_signal(int signo);
  void hand_over(const std::vector<Reaped>& reaped);  // to their side child's owner, or to the supervisor
  void sweep_soon();

  asio::io_context& io_;
  Supervisor& sup_;
  OutputCapture& output_;
  Notifier& notifier_;
  std::optional<Parts> parts_;  // from start() on
  SideChildren side_children_;
  ChildReaper reaper_;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
  std::optional<TimePoint> armed_;
  bool finished_ = false;
};

}  // namespace supd::daemon
