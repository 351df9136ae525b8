#include "daemon/handlers.hpp"

#include <fmt/format.h>

#include "common/signals.hpp"
#include "common/sys_error.hpp"
#include "daemon/log_file.hpp"

namespace supd::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::Response;
using json = nlohmann::json;

constexpr std::size_t kMaxTailBytes = 1 << 20;     // what `logs -n N` returns at most
constexpr std::size_t kTailPieceBytes = 128 << 10;  // per response line

Response fail(std::uint64_t id, ErrorCode code, std::string message) { return {id, Error{code, std::move(message)}}; }

Error not_running(const Job& job) {
  return {ErrorCode::NotRunning, fmt::format("job '{}' is not running (state: {}); start it with: supctl start {}",
                                             job.spec.name, to_string(job.rt.state), job.spec.name)};
}

// A start succeeded when the job runs, or ran to a clean exit (a one-shot with restart = never).
bool started_ok(const Job& job) {
  return job.rt.state == JobState::Running ||
         (job.rt.state == JobState::Exited && job.last_exit && job.last_exit->success());
}

}  // namespace

void Handlers::handle(std::string_view line, const Peer& peer, Reply reply) {
  auto decoded = protocol::decode_request(line);
  if (auto* bad = std::get_if<protocol::RequestError>(&decoded)) {
    reply(protocol::encode_error(bad->id, bad->error));
    return;
  }
  const auto& request = std::get<protocol::Request>(decoded);
  bool deferred = false;
  Response response = dispatch(request.id, request.command, peer, reply, deferred);
  if (!deferred) reply(protocol::encode_response(response));
}

Response Handlers::dispatch(std::uint64_t id, const protocol::Command& command, const Peer& peer, Reply& reply,
                            bool& deferred) {
  const auto now = Clock::now();
  const Origin who = Origin::peer(peer.uid, peer.pid);

  if (const auto* c = std::get_if<protocol::Hello>(&command)) {
    if (c->protocol != protocol::kProtocolVersion)
      return fail(id, ErrorCode::VersionMismatch,
                  fmt::format("supd speaks protocol {}, the client {}; use the supctl that came with this supd",
                              protocol::kProtocolVersion, c->protocol));
    return {id, json{{"protocol", protocol::kProtocolVersion}, {"version", SUPD_VERSION}}};
  }
  if (const auto* c = std::get_if<protocol::Status>(&command)) {
    std::vector<Job*> jobs;
    if (auto err = resolve(c->jobs, true, jobs)) return {id, *err};
    std::vector<protocol::JobStatus> rows;
    rows.reserve(jobs.size());
    for (const Job* job : jobs) rows.push_back(sup_.status_of(*job, now));
    return {id, protocol::jobs_result(rows)};
  }
  if (const auto* c = std::get_if<protocol::Start>(&command))
    return control(id, WaitKind::Start, c->jobs, c->wait, peer, reply, deferred);
  if (const auto* c = std::get_if<protocol::Stop>(&command))
    return control(id, WaitKind::Stop, c->jobs, c->wait, peer, reply, deferred);
  if (const auto* c = std::get_if<protocol::Restart>(&command))
    return control(id, WaitKind::Restart, c->jobs, c->wait, peer, reply, deferred);
  if (const auto* c = std::get_if<protocol::SignalJob>(&command)) {
    std::vector<Job*> jobs;
    if (auto err = resolve({c->job}, false, jobs)) return {id, *err};
    const auto signo = common::parse_signal(c->signal);
    if (!signo)
      return fail(id, ErrorCode::InvalidSignal,
                  fmt::format("unknown signal '{}'; use {}", c->signal, common::accepted_signal_forms()));
    Job& job = *jobs.front();
    if (!job.rt.main_alive) return {id, not_running(job)};
    const pid_t target = c->group ? job.pgid : job.pid;
    if (const int err = sup_.signal(job, *signo, c->group, who); err != 0) {
      if (err == ESRCH) return {id, not_running(job)};
      return fail(id, ErrorCode::Internal, fmt::format("sending SIG{} to job '{}' failed: {}",
                                                       common::signal_name(*signo), job.spec.name,
                                                       common::errno_message(err)));
    }
    return {id, json{{"job", job.spec.name}, {"pid", target}, {"signal", common::signal_name(*signo)},
                     {"group", c->group}}};
  }
  if (const auto* c = std::get_if<protocol::Pid>(&command)) {
    std::vector<Job*> jobs;
    if (auto err = resolve({c->job}, false, jobs)) return {id, *err};
    if (!jobs.front()->rt.main_alive) return {id, not_running(*jobs.front())};
    return {id, json{{"pid", jobs.front()->pid}}};
  }
  if (const auto* c = std::get_if<protocol::Logs>(&command)) return logs(id, *c, reply, deferred);
  if (std::holds_alternative<protocol::Upgrade>(command)) {  // carried out after this event
    if (sup_.shutting_down() || upgrade_)
      return fail(id, ErrorCode::ShuttingDown, "supd is shutting down or upgrading already");
    upgrade_ = PendingUpgrade{id, peer.fd, std::move(reply)};
    deferred = true;
    return {id, json::object()};
  }
  // Shutdown: answered once every job has stopped, just before supd exits.
  if (!shutdown_requested_)
    for (const auto& job : sup_.jobs()) stopped_at_shutdown_ += job.rt.main_alive ? 1 : 0;
  shutdown_requested_ = true;
  if (const auto* c = std::get_if<protocol::Shutdown>(&command); c && c->leave_running && !sup_.shutting_down())
    sup_.leave_running();  // nothing stops: the jobs and their records stay for the next supd
  else
    sup_.begin_shutdown(now);
  shutdown_waiters_.emplace_back(id, std::move(reply));
  deferred = true;
  return {id, json::object()};
}

Response Handlers::control(std::uint64_t id, WaitKind kind, const std::vector<std::string>& names, bool wait,
                           const Peer& peer, Reply& reply, bool& deferred) {
  std::vector<Job*> jobs;
  if (auto err = resolve(names, false, jobs)) return {id, *err};
  if (sup_.shutting_down() && kind != WaitKind::Stop)
    return fail(id, ErrorCode::ShuttingDown, "supd is shutting down and starts nothing; start supd again first");
  const auto now = Clock::now();
  const Origin who = Origin::peer(peer.uid, peer.pid);
  std::vector<std::string> job_names;
  for (Job* job : jobs) {
    job_names.push_back(job->spec.name);
    switch (kind) {
    case WaitKind::Start: sup_.start(*job, who, now); break;
    case WaitKind::Stop: sup_.stop(*job, who, now); break;
    case WaitKind::Restart: sup_.restart(*job, who, now); break;
    }
  }
  if (!wait || settled(job_names)) return settled_response(id, kind, job_names, now);
  waiters_.push_back({id, kind, std::move(job_names), std::move(reply)});
  deferred = true;
  return {id, json::object()};
}

std::optional<Error> Handlers::resolve(const std::vector<std::string>& names, bool empty_means_all,
                                       std::vector<Job*>& out) {
  const bool all = (names.empty() && empty_means_all) ||
                   std::find(names.begin(), names.end(), "all") != names.end();
  if (all) {
    for (auto& job : sup_.jobs()) out.push_back(&job);
    return std::nullopt;
  }
  if (names.empty()) return Error{ErrorCode::BadRequest, "no job named; give job names or 'all'"};
  for (const auto& name : names) {
    if (!protocol::is_valid_job_name(name))
      return Error{ErrorCode::InvalidName,
                   fmt::format("'{}' is not a valid job name (letters, digits, '_', '.', '-')", name)};
    Job* job = sup_.find(name);
    if (job == nullptr) return Error{ErrorCode::UnknownJob, fmt::format("no job named '{}'; see: supctl status", name)};
    if (std::find(out.begin(), out.end(), job) == out.end()) out.push_back(job);
  }
  return std::nullopt;
}

bool Handlers::settled(const std::vector<std::string>& jobs) {
  for (const auto& name : jobs) {
    const Job* job = sup_.find(name);
    if (job != nullptr && !is_settled(job->rt.state)) return false;
  }
  return true;
}

Response Handlers::settled_response(std::uint64_t id, WaitKind kind, const std::vector<std::string>& jobs,
                                    TimePoint now) {
  std::vector<protocol::JobStatus> rows;
  std::string failures;
  for (const auto& name : jobs) {
    const Job* job = sup_.find(name);
    if (job == nullptr) continue;
    rows.push_back(sup_.status_of(*job, now));
    if (kind != WaitKind::Stop && is_settled(job->rt.state) && !started_ok(*job)) {
      const std::string why = job->rt.state == JobState::Stopped ? std::string("stopped before it started")
                              : job->last_exit && job->rt.state == JobState::Exited
                                  ? common::describe(*job->last_exit)
                                  : job->rt.reason;
      failures += fmt::format("{}{}: {} ({})", failures.empty() ? "" : "; ", name, why,
                              to_string(job->rt.state));
    }
  }
  if (!failures.empty()) return fail(id, ErrorCode::StartFailed, failures + "; see: supctl status");
  return {id, protocol::jobs_result(rows)};
}

Response Handlers::logs(std::uint64_t id, const protocol::Logs& c, Reply& reply, bool& deferred) {
  if (c.reopen) {
    if (logs_ == nullptr) return fail(id, ErrorCode::Internal, "this supd cannot reopen log files");
    return {id, json{{"reopened", logs_->reopen_all()}}};
  }
  std::vector<Job*> jobs;
  if (auto err = resolve({c.job}, false, jobs)) return {id, *err};
  const Job& job = *jobs.front();
  if (c.from_stderr && !job.spec.stderr_file)
    return fail(id, ErrorCode::BadRequest,
                fmt::format("job '{}' has no stderr file of its own; its stderr goes to {}; drop --stderr",
                            job.spec.name, job.spec.stdout_file));
  const auto path = sup_.log_dir() / (c.from_stderr ? *job.spec.stderr_file : job.spec.stdout_file);
  if (c.follow && logs_ == nullptr) return fail(id, ErrorCode::Internal, "this supd cannot follow log files");

  // The tail, in pieces that keep every response line well under the 1 MiB cap even when
  // each byte needs a 6-byte JSON escape. All but the last say "more": true.
  const std::string tail = read_tail(path, job.spec.log_keep, static_cast<std::size_t>(c.lines), kMaxTailBytes);
  std::string_view rest = tail;
  while (rest.size() > kTailPieceBytes) {
    if (!reply(protocol::encode_response({id, json{{"text", std::string(rest.substr(0, kTailPieceBytes))},
                                                   {"more", true}}}),
               false))
      return {id, json::object()};  // the client is gone; this answer goes nowhere
    rest.remove_prefix(kTailPieceBytes);
  }
  if (!c.follow) return {id, json{{"text", std::string(rest)}}};

  // Follow: every chunk supd copies from the job's pipe into this file, as it writes it, so
  // rotation makes no gap and no repeat. Ends with {"eof": true} when supd shuts down.
  deferred = true;
  if (!reply(protocol::encode_response({id, json{{"text", std::string(rest)}, {"more", true}}}), false))
    return {id, json::object()};
  const auto token = logs_->follow(
      path, LogFollower{[reply, id](std::string_view chunk) {
                          return reply(protocol::encode_response(
                                           {id, json{{"text", std::string(chunk)}, {"more", true}}}),
                                       false);
                        },
                        [reply, id] { reply(protocol::encode_response({id, json{{"eof", true}}}), true); }});
  reply.on_cancel([this, token] {
    if (logs_ != nullptr) logs_->unfollow(token);
  });
  return {id, json::object()};
}

void Handlers::after_event(TimePoint now) {
  // Answering may not re-enter handle() (sessions queue), so iterating is safe.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!settled(it->jobs)) {
      ++it;
      continue;
    }
    it->reply(protocol::encode_response(settled_response(it->id, it->kind, it->jobs, now)));
    it = waiters_.erase(it);
  }
}

void Handlers::on_shutdown_complete() {
  for (auto& w : waiters_)
    w.reply(protocol::encode_error(w.id, {ErrorCode::ShuttingDown, "supd shut down before the jobs settled"}));
  waiters_.clear();
  for (auto& [id, reply] : shutdown_waiters_)
    reply(protocol::encode_response({id, sup_.leaving_running() ? json{{"stopped", 0}, {"left_running", stopped_at_shutdown_}}
                                                                : json{{"stopped", stopped_at_shutdown_}}}));
  shutdown_waiters_.clear();
}

}  // namespace supd::daemon
