// The only file that knows both Asio and the Supervisor: it turns signals, the one timer and
// finished requests into supervisor calls, and re-arms after every event. Shutting down
// closes everything so that io_context::run() returns by itself.
#pragma once
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <vector>

#include "daemon/control/control_server.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/output/output.hpp"
#include "daemon/core/supervisor.hpp"

namespace supd::daemon {

class Notifier;
class Reloader;

class EventLoop {
public:
  EventLoop(asio::io_context& io, Supervisor& sup, Handlers& handlers, OutputCapture& output);

  // Signals are caught from construction on, so no SIGCHLD of a first job can be missed.
  void attach(ControlServer& server) { server_ = &server; }
  void attach(Notifier& notifier) { notifier_ = &notifier; }  // STATUS/STOPPING/RELOADING to systemd
  void attach(Reloader& reloader) { reloader_ = &reloader; }  // SIGHUP reloads the config
  void watch_forward_signals();  // catch every job's forward_signals (again after a reload)
  void after_event();  // re-arm the timer, answer waiters, end the loop after shutdown
  // Runs first in every after_event() (job records follow the jobs: daemon/continuity/adoption.hpp).
  void on_after_event(std::function<void(TimePoint)> hook) { hooks_.push_back(std::move(hook)); }

private:
  void wait_for_signal();
  void on_signal(int signo);

  asio::io_context& io_;
  Supervisor& sup_;
  Handlers& handlers_;
  OutputCapture& output_;
  ControlServer* server_ = nullptr;
  Notifier* notifier_ = nullptr;
  Reloader* reloader_ = nullptr;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  std::optional<TimePoint> armed_;
  bool finished_ = false;
  std::vector<std::function<void(TimePoint)>> hooks_;
};

}  // namespace supd::daemon
