// The event hub (daemon/core/event_hub.hpp): the one place that turns what happens -- signals,
// the one timer, and what the adapters report (exits of adopted processes, READY=1, requests
// served) -- into the supervisor's on_* calls, and then runs the after-event sequence: the
// hooks in the order main.cpp registers them (the upgrade, which may exec supd, last), the
// waiting requests, systemd's status, the shutdown check, the timer. Shutting down closes
// everything so that io_context::run() returns by itself.
#pragma once
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <vector>

#include "daemon/control/control_server.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/core/event_hub.hpp"
#include "daemon/core/supervisor.hpp"
#include "daemon/output/output.hpp"
#include "daemon/process/side_children.hpp"

namespace supd::daemon {

class Notifier;
class Reloader;

class EventLoop final : public EventHub {
public:
  EventLoop(asio::io_context& io, Supervisor& sup, Handlers& handlers, OutputCapture& output);

  // Signals are caught from construction on, so no SIGCHLD of a first job can be missed.
  void attach(ControlServer& server) { server_ = &server; }
  void attach(Notifier& notifier) { notifier_ = &notifier; }  // STATUS/STOPPING/RELOADING to systemd
  void attach(Reloader& reloader) { reloader_ = &reloader; }  // SIGHUP reloads the config
  void watch_forward_signals();  // catch every job's forward_signals (again after a reload)
  void reap_children();  // what SIGCHLD does (also at start-up after an upgrade's exec)
  // Children supd starts for itself: their exits are handed back, not fed to the supervisor.
  SideChildren& side_children() { return side_children_; }

  // EventHub: each is the supervisor's event, then after_event().
  void process_exited(pid_t pid, const common::ExitStatus& status) override;
  void groups_may_have_emptied() override;
  void job_ready(std::string_view job, const Origin& who) override;
  void changed() override { after_event(); }
  // After every event, in this order: `records` (a record per live job, for the next supd),
  // `upgrade` (a pending `supctl upgrade`: it may exec), then the waiters' answers, systemd's
  // status, and either the next deadline's timer or, once every job has stopped,
  // `at_shutdown` (end the waits that would keep io.run() going) and the end of the loop.
  // main.cpp sets them once, when the parts they call exist; any may be empty.
  struct AfterEvent {
    std::function<void(TimePoint)> records;
    std::function<void(TimePoint)> upgrade;
    std::function<void()> at_shutdown;
  };
  void set_after_event(AfterEvent steps) { steps_ = std::move(steps); }

private:
  void after_event();  // the sequence above; re-arms the timer, ends the loop after shutdown
  void wait_for_signal();
  void on_signal(int signo);

  asio::io_context& io_;
  Supervisor& sup_;
  Handlers& handlers_;
  OutputCapture& output_;
  ControlServer* server_ = nullptr;
  Notifier* notifier_ = nullptr;
  Reloader* reloader_ = nullptr;
  SideChildren side_children_;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  std::optional<TimePoint> armed_;
  bool finished_ = false;
  AfterEvent steps_;
};

}  // namespace supd::daemon
