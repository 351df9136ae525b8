#include "daemon/event_loop.hpp"

#include <csignal>

#include <asio/post.hpp>

#include <spdlog/spdlog.h>

#include "common/signals.hpp"
#include "daemon/control/notify.hpp"
#include "daemon/control/reloader.hpp"

namespace supd::daemon {

EventLoop::EventLoop(asio::io_context& io, Supervisor& sup, OutputCapture& output, Notifier& notifier)
    : io_(io), sup_(sup), output_(output), notifier_(notifier), signals_(io, SIGCHLD, SIGTERM, SIGINT), timer_(io),
      sweep_timer_(io) {
  signals_.add(SIGHUP);
  signals_.add(SIGUSR2);  // reopen every log file (logrotate)
  watch_forward_signals();
  wait_for_signal();
}

void EventLoop::start(Parts parts) {
  parts_.emplace(std::move(parts));
  after_event();
}

std::size_t EventLoop::spawn_a_turn(Supervisor& sup) {
  const auto turn_end = Clock::now() + kSpawnTurn;
  std::size_t left = 0;
  for (std::size_t n = 0; n < kSpawnBatch; ++n) {
    const auto now = Clock::now();
    if (n > 0 && now >= turn_end) break;
    left = sup.run_queued_spawns(1, now);
    if (left == 0) break;
  }
  return left;
}

void EventLoop::spawn_queued(std::function<void()> done) {
  if (finished_) return;  // shut down before the last batch: never ready
  const std::size_t left = spawn_a_turn(sup_);
  after_event();
  if (left == 0) return done();
  // Posted: the reactor (the socket, SIGCHLD) has its turn before the next batch.
  asio::post(io_, [this, done = std::move(done)]() mutable { spawn_queued(std::move(done)); });
}

void EventLoop::watch_forward_signals() {
  // Never removed again: a signal no job forwards any more is logged and otherwise ignored.
  for (const auto& job : sup_.jobs())
    for (int sig : job.spec.forward_signals) {
      std::error_code ec;
      signals_.add(sig, ec);  // a signal already in the set is fine
    }
}

void EventLoop::wait_for_signal() {
  signals_.async_wait([this](std::error_code ec, int signo) {
    if (ec) return;  // cancelled at shutdown
    on_signal(signo);
    after_event();
    if (!finished_) wait_for_signal();
  });
}

void EventLoop::on_signal(int signo) {
  const auto now = Clock::now();
  switch (signo) {
  case SIGCHLD:
    reap_children();
    break;
  case SIGTERM:
  case SIGINT:
    sup_.record(nullptr, "signal", fmt::format("received SIG{}: stopping every job, then exiting", common::signal_name(signo)), Origin::kernel());
    sup_.begin_shutdown(now);
    break;
  case SIGUSR2:
    sup_.record(nullptr, "signal", "received SIGUSR2: reopening every log file", Origin::kernel());
    output_.reopen_all();
    sup_.forward(signo);  // and to the jobs that list it in forward_signals
    break;
  case SIGHUP:
    sup_.record(nullptr, "signal", "received SIGHUP: reloading the config", Origin::kernel());
    if (!sup_.shutting_down()) {
      // RELOADING=1 ... READY=1 come from the reloader; on errors nothing changed and supd
      // tells systemd nothing, so `systemctl reload` does not wait for a READY=1.
      parts_->reloader.reload_async(false, {});  // signals are handled from io.run() on: after start()
    }
    sup_.forward(signo);
    break;
  default:
    sup_.record(nullptr, "signal", fmt::format("received SIG{}", common::signal_name(signo)), Origin::kernel());
    sup_.forward(signo);  // to the jobs that list it in forward_signals
    break;
  }
}

void EventLoop::reap_children() {
  hand_over(reaper_.reap_watched());
  if (!side_children_.empty() || reaper_.has_unwatched() || sup_.groups_lingering()) hand_over(reaper_.sweep());
  else sweep_soon();
}

void EventLoop::sweep_children() { hand_over(reaper_.sweep()); }

void EventLoop::hand_over(const std::vector<Reaped>& reaped) {
  const auto now = Clock::now();
  for (const auto& r : reaped)
    if (!side_children_.take(r.pid, r.status)) sup_.on_reaped(r.pid, r.status, now);
}

void EventLoop::sweep_soon() {
  if (sweep_armed_ || finished_) return;
  sweep_armed_ = true;
  sweep_timer_.expires_after(kStraySweep);
  sweep_timer_.async_wait([this](std::error_code ec) {
    sweep_armed_ = false;
    if (ec) return;  // cancelled at shutdown
    sweep_children();
    after_event();
  });
}

void EventLoop::process_exited(pid_t pid, const common::ExitStatus& status) {
  sup_.on_reaped(pid, status, Clock::now());
  after_event();
}

void EventLoop::groups_may_have_emptied() {
  sup_.on_group_check(Clock::now());
  after_event();
}

void EventLoop::job_ready(std::string_view job, const Origin& who) {
  if (const Job* j = sup_.find(job)) sup_.on_ready(*j, who, Clock::now());
  after_event();
}

void EventLoop::job_status_text(std::string_view job, std::string text) {
  if (const Job* j = sup_.find(job)) sup_.on_status_text(*j, std::move(text));
}

void EventLoop::health_checked(std::string_view job, int run, bool passed, std::string output) {
  sup_.on_health_result(job, run, passed, std::move(output), Clock::now());
  after_event();
}

void EventLoop::after_event() {
  if (finished_ || !parts_) return;  // before start(): start() makes the first pass
  Parts& parts = *parts_;
  const auto now = Clock::now();
  parts.records(now);
  parts.upgrade(now);
  parts.handlers.after_event(now);
  if (notifier_.enabled()) notifier_.update(sup_.summary(), sup_.shutting_down());
  if (sup_.shutdown_complete()) {
    finished_ = true;
    parts.at_shutdown();
    spdlog::info(sup_.leaving_running() ? "leaving the jobs running for the next supd; supd exits"
                                        : "every job stopped; supd exits");
    parts.handlers.on_shutdown_complete();
    std::error_code ec;
    signals_.cancel(ec);
    timer_.cancel();
    sweep_timer_.cancel();
    output_.close_all();
    parts.server.finish();
    return;
  }
  const auto next = sup_.next_deadline();
  if (next == armed_) return;  // no re-arm, no syscall, when nothing changed
  armed_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*next);  // cancels the previous wait
  timer_.async_wait([this](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    armed_.reset();
    sup_.on_deadline(Clock::now());
    after_event();
  });
}

}  // namespace supd::daemon
