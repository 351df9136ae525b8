#include "daemon/control/handlers.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/log_text.hpp"
#include "common/names.hpp"
#include "common/signals.hpp"
#include "common/sys_error.hpp"
#include "common/time_format.hpp"
#include "config/run_job.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_times.hpp"
#include "daemon/output/tail_reader.hpp"

namespace supd::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::Response;
using json = nlohmann::json;

constexpr std::size_t kMaxTailBytes = 1 << 20;     // what `logs -n N` returns at most
// Per response line of a tail: even if every byte needs a 6-byte JSON escape, a frame stays
// well under the 1 MiB cap, and a client that reads nothing holds little.
constexpr std::size_t kTailPieceBytes = 64 << 10;
constexpr std::size_t kMaxSinceBytes = 16 << 20;    // how far back `logs --since` reads
constexpr std::size_t kEventsPerLine = 200;          // `events`: history in pieces this long
constexpr std::size_t kMaxHistoryBytes = 4 << 20;    // ... and at most this much of it (outbox: 8 MiB)
constexpr std::size_t kWhyLines = 20;

// Who is asking: SO_PEERCRED's uid and pid, and the program, read now (it may have exited,
// or be another user's under hidepid: then it is left out).
Origin peer_origin(const Peer& peer) {
  std::string exe(4096, '\0');
  const auto n = ::readlink(fmt::format("/proc/{}/exe", peer.pid).c_str(), exe.data(), exe.size());
  exe.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return Origin::peer(peer.uid, peer.pid, std::move(exe));
}

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

// The frames of a tail held as text (`--timestamps`, `--since`), cut on whole characters.
FrameSource text_frames(std::uint64_t id, std::string text) {
  return [id, text = std::move(text), at = std::size_t{0}](bool& last) mutable {
    std::string_view rest = std::string_view(text).substr(at);
    std::size_t n = rest.size();
    if (n > kTailPieceBytes) n = utf8_cut(rest.substr(0, kTailPieceBytes));
    at += n;
    last = at >= text.size();
    json result{{"text", std::string(rest.substr(0, n))}};
    if (!last) result["more"] = true;
    if (last) std::string().swap(text);
    return protocol::encode_response({id, std::move(result)});
  };
}

// Frames already encoded (a large result cut by encode_frames), handed out one by one.
FrameSource queued_frames(std::vector<std::string> frames) {
  return [frames = std::move(frames), at = std::size_t{0}](bool& last) mutable {
    last = at + 1 >= frames.size();
    return std::move(frames[at++]);
  };
}

}  // namespace

void Handlers::send_response(const Response& response, const Reply& reply) {
  std::string line = protocol::encode_response(response);
  const auto* result = std::get_if<json>(&response.body);
  if (line.size() <= protocol::kFrameBudget || result == nullptr) {
    reply(std::move(line));
    return;
  }
  // Over one frame: start/stop/restart/run of many jobs, a reload's diff.
  line.clear();
  line.shrink_to_fit();
  reply.stream(queued_frames(protocol::encode_frames(response.id, *result, "jobs")));
}

void Handlers::handle(std::string_view line, const Peer& peer, Reply reply) {
  auto decoded = protocol::decode_request(line);
  if (auto* bad = std::get_if<protocol::RequestError>(&decoded)) {
    reply(protocol::encode_error(bad->id, bad->error));
    return;
  }
  const auto& request = std::get<protocol::Request>(decoded);
  bool deferred = false;
  Response response = dispatch(request.id, request.command, peer, reply, deferred);
  if (!deferred) send_response(response, reply);
}

// One serve() per command type, picked by std::visit: a command without one does not compile,
// and nothing falls through to another command's handler.
Response Handlers::dispatch(std::uint64_t id, const protocol::Command& command, const Peer& peer, Reply& reply,
                            bool& deferred) {
  Call call{id, peer, reply, deferred, Clock::now()};
  return std::visit([&](const auto& c) { return serve(c, call); }, command);
}

Response Handlers::defer(Call& call) {
  call.deferred = true;
  return {call.id, json::object()};
}

Response Handlers::serve(const protocol::Hello& c, Call& call) {
  if (c.protocol != protocol::kProtocolVersion)
    return fail(call.id, ErrorCode::VersionMismatch,
                fmt::format("supd speaks protocol {}, the client {}; use the supctl that came with this supd",
                            protocol::kProtocolVersion, c.protocol));
  return {call.id, json{{"protocol", protocol::kProtocolVersion}, {"version", SUPD_VERSION}}};
}

Response Handlers::serve(const protocol::Status& c, Call& call) {
  std::vector<Job*> jobs;
  if (auto err = resolve(c.jobs, true, jobs)) return {call.id, *err};
  std::vector<std::pair<std::size_t, std::string>> names;  // where each job is now, and its name
  names.reserve(jobs.size());
  for (const Job* job : jobs) names.emplace_back(static_cast<std::size_t>(job - sup_.jobs().data()), job->spec.name);
  call.reply.stream(status_frames(call.id, std::move(names)));
  return defer(call);
}

Response Handlers::serve(const protocol::Start& c, Call& call) {
  return control(call.id, WaitKind::Start, c.jobs, c.wait, call.peer, call.reply, call.deferred);
}

Response Handlers::serve(const protocol::Stop& c, Call& call) {
  return control(call.id, WaitKind::Stop, c.jobs, c.wait, call.peer, call.reply, call.deferred);
}

Response Handlers::serve(const protocol::Restart& c, Call& call) {
  return control(call.id, WaitKind::Restart, c.jobs, c.wait, call.peer, call.reply, call.deferred);
}

Response Handlers::serve(const protocol::SignalJob& c, Call& call) {
  const auto id = call.id;
  std::vector<Job*> jobs;
  if (auto err = resolve({c.job}, false, jobs)) return {id, *err};
  const auto signo = common::parse_signal(c.signal);
  if (!signo)
    return fail(id, ErrorCode::InvalidSignal,
                fmt::format("unknown signal '{}'; use {}", c.signal, common::accepted_signal_forms()));
  Job& job = *jobs.front();
  if (!job.rt.main_alive) return {id, not_running(job)};
  const pid_t target = c.group ? job.pgid : job.pid;
  if (const int err = sup_.signal(job, *signo, c.group, peer_origin(call.peer)); err != 0) {
    if (err == ESRCH) return {id, not_running(job)};
    return fail(id, ErrorCode::Internal, fmt::format("sending SIG{} to job '{}' failed: {}",
                                                     common::signal_name(*signo), job.spec.name,
                                                     common::errno_message(err)));
  }
  return {id, json{{"job", job.spec.name}, {"pid", target}, {"signal", common::signal_name(*signo)},
                   {"group", c.group}}};
}

Response Handlers::serve(const protocol::Pid& c, Call& call) {
  std::vector<Job*> jobs;
  if (auto err = resolve({c.job}, false, jobs)) return {call.id, *err};
  if (!jobs.front()->rt.main_alive) return {call.id, not_running(*jobs.front())};
  return {call.id, json{{"pid", jobs.front()->pid}}};
}

Response Handlers::serve(const protocol::Logs& c, Call& call) { return logs(call.id, c, call.reply, call.deferred); }

Response Handlers::serve(const protocol::Reload& c, Call& call) {
  if (reloader_ == nullptr) return fail(call.id, ErrorCode::Internal, "this supd cannot reload its config");
  if (sup_.shutting_down() && !c.dry_run)
    return fail(call.id, ErrorCode::ShuttingDown, "supd is shutting down and changes nothing; start supd again first");
  spdlog::info("reload{} requested by {}", c.dry_run ? " --dry-run" : "", peer_origin(call.peer).describe());
  // Read and checked off the loop; the answer comes once it is applied.
  reloader_->reload_async(c.dry_run, [this, id = call.id, reply = call.reply](ReloadOutcome outcome) {
    send_response({id, to_json(outcome)}, reply);
  });
  return defer(call);
}

Response Handlers::serve(const protocol::Run& c, Call& call) {
  return run(call.id, c, call.peer, call.reply, call.deferred);
}

Response Handlers::serve(const protocol::Persist& c, Call& call) {
  if (reloader_ == nullptr) return fail(call.id, ErrorCode::Internal, "this supd has no config file to write to");
  if (!protocol::is_valid_job_name(c.job))
    return fail(call.id, ErrorCode::InvalidName, fmt::format("'{}' is not a valid job name", c.job));
  auto r = reloader_->persist(c.job);
  if (auto* e = std::get_if<Error>(&r)) return {call.id, std::move(*e)};
  return {call.id, std::get<json>(std::move(r))};
}

Response Handlers::serve(const protocol::Events& c, Call& call) {
  return events(call.id, c, call.reply, call.deferred);
}

Response Handlers::serve(const protocol::Why& c, Call& call) { return why(call.id, c, call.now); }

Response Handlers::serve(const protocol::Upgrade&, Call& call) {  // carried out after this event
  if (sup_.shutting_down() || upgrade_)
    return fail(call.id, ErrorCode::ShuttingDown, "supd is shutting down or upgrading already");
  upgrade_ = PendingUpgrade{call.id, call.peer.fd, std::move(call.reply)};
  return defer(call);
}

// Answered once every job has stopped, just before supd exits. Who asked goes in the log and
// the history, as a signal's sender does.
Response Handlers::serve(const protocol::Shutdown& c, Call& call) {
  sup_.record(nullptr, "supd", c.leave_running ? "shutdown --leave-running requested" : "shutdown requested",
              peer_origin(call.peer));
  if (!shutdown_requested_)
    for (const auto& job : sup_.jobs()) stopped_at_shutdown_ += job.rt.main_alive ? 1 : 0;
  shutdown_requested_ = true;
  if (c.leave_running && !sup_.shutting_down())
    sup_.leave_running();  // nothing stops: the jobs and their records stay for the next supd
  else
    sup_.begin_shutdown(call.now);
  shutdown_waiters_.emplace_back(call.id, std::move(call.reply));
  return defer(call);
}

// Rows made as the client drains the frames (a job removed meanwhile is left out): a status
// of thousands of jobs waiting for a slow reader holds their names, not their rows.
FrameSource Handlers::status_frames(std::uint64_t id, std::vector<std::pair<std::size_t, std::string>> names) {
  auto frames = std::make_shared<protocol::FrameBuilder>(id, "jobs");
  return [this, frames, names = std::move(names), at = std::size_t{0}](bool& last) mutable {
    const auto now = Clock::now();
    auto& jobs = sup_.jobs();
    for (; at < names.size(); ++at) {
      const auto& [index, name] = names[at];
      // Where it was, unless jobs were added or removed since: then by name.
      const Job* job = index < jobs.size() && jobs[index].spec.name == name ? &jobs[index] : sup_.find(name);
      if (job == nullptr) continue;
      if (auto frame = frames->add(protocol::to_json(sup_.status_of(*job, now)))) {
        ++at;  // its row is in the next frame already
        last = false;
        return std::move(*frame);
      }
    }
    last = true;
    return frames->finish();
  };
}

Response Handlers::control(std::uint64_t id, WaitKind kind, const std::vector<std::string>& names, bool wait,
                           const Peer& peer, Reply& reply, bool& deferred) {
  std::vector<Job*> jobs;
  if (auto err = resolve(names, false, jobs)) return {id, *err};
  if (sup_.shutting_down() && kind != WaitKind::Stop)
    return fail(id, ErrorCode::ShuttingDown, "supd is shutting down and starts nothing; start supd again first");
  const auto now = Clock::now();
  const Origin who = peer_origin(peer);
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
  // each byte needs a 6-byte JSON escape. All but the last say "more": true. A plain tail is
  // read from the files as the client drains it.
  const bool prefixed = job.spec.timestamps == config::Timestamps::Prefix;
  if (!c.follow && !c.timestamps && !c.since_ms) {
    auto tail = std::make_shared<TailReader>(path, job.spec.log_keep, static_cast<std::size_t>(c.lines), kMaxTailBytes);
    reply.stream([id, tail](bool& last) {
      json result{{"text", tail->next(kTailPieceBytes)}};
      last = tail->done();
      if (!last) result["more"] = true;
      return protocol::encode_response({id, std::move(result)});
    });
    deferred = true;
    return {id, json::object()};
  }
  if (!c.follow) {
    reply.stream(text_frames(id, timed_tail(path, job.spec.log_keep,
                                            {static_cast<std::size_t>(c.lines), c.since_ms ? kMaxSinceBytes : kMaxTailBytes,
                                             c.timestamps, c.since_ms, prefixed})));
    deferred = true;
    return {id, json::object()};
  }
  // Follow: the tail is pushed at once, in the same turn as the follow begins, so no line
  // falls between them (it is at most 1 MiB).
  const std::string tail =
      c.timestamps || c.since_ms
          ? timed_tail(path, job.spec.log_keep,
                       {static_cast<std::size_t>(c.lines), c.since_ms ? kMaxSinceBytes : kMaxTailBytes,
                        c.timestamps, c.since_ms, prefixed})
          : read_tail(path, job.spec.log_keep, static_cast<std::size_t>(c.lines), kMaxTailBytes);
  std::string_view rest = tail;
  while (rest.size() > kTailPieceBytes) {
    const std::size_t n = utf8_cut(rest.substr(0, kTailPieceBytes));
    if (!reply(protocol::encode_response({id, json{{"text", std::string(rest.substr(0, n))}, {"more", true}}}), false))
      return {id, json::object()};  // the client is gone; this answer goes nowhere
    rest.remove_prefix(n);
  }

  // Follow: every chunk supd copies from the job's pipe into this file, as it writes it, so
  // rotation makes no gap and no repeat. Ends with {"eof": true} when supd shuts down.
  deferred = true;
  if (!reply(protocol::encode_response({id, json{{"text", std::string(rest)}, {"more", true}}}), false))
    return {id, json::object()};
  // With --timestamps each followed line gets the time it reached supd (what the index
  // would say), unless the file's lines carry their own.
  auto stamper = c.timestamps && !prefixed ? std::make_shared<LineStamper>() : nullptr;
  const auto token = logs_->follow(
      path, LogFollower{[reply, id, stamper](std::string_view chunk) {
                          std::string text = stamper ? stamper->stamp(chunk, common::iso8601_utc_ms(
                                                                                 common::unix_ms_now()) + " ")
                                                     : std::string(chunk);
                          return reply(protocol::encode_response({id, json{{"text", std::move(text)}, {"more", true}}}),
                                       false);
                        },
                        [reply, id] { reply(protocol::encode_response({id, json{{"eof", true}}}), true); }});
  reply.on_cancel([this, token] {
    if (logs_ != nullptr) logs_->unfollow(token);
  });
  return {id, json::object()};
}

Response Handlers::run(std::uint64_t id, const protocol::Run& c, const Peer& peer, Reply& reply, bool& deferred) {
  if (sup_.shutting_down())
    return fail(id, ErrorCode::ShuttingDown, "supd is shutting down and starts nothing; start supd again first");
  if (!protocol::is_valid_job_name(c.name))
    return fail(id, ErrorCode::InvalidName,
                fmt::format("'{}' is not a valid job name (letters, digits, '_', '.', '-')", c.name));
  if (common::is_reserved_job_name(c.name))
    return fail(id, ErrorCode::InvalidName, common::reserved_job_name_message(c.name));
  // The config's rule, checked here, so that `persist` can never meet a name `run` took.
  for (const auto& [name, value] : c.environment)
    if (const auto problem = common::environment_name_problem(name))
      return fail(id, ErrorCode::BadRequest,
                  fmt::format("invalid environment variable name '{}' ({}); write --env NAME=VALUE",
                              common::escape_control(name), *problem));
  if (const Job* old = sup_.find(c.name)) {
    // An ad-hoc job that has finished (exited, fatal, stopped) makes room; anything else stays.
    const bool idle = !old->rt.main_alive && old->pgid == 0 && is_settled(old->rt.state) &&
                      old->rt.state != JobState::Running;
    if (old->from_config() || old->removing || !idle)
      return fail(id, ErrorCode::JobExists,
                  fmt::format("job '{}' already exists; pick another name or supctl stop/start it", c.name));
    sup_.erase_job(c.name);
  }
  std::string problem;
  auto built = config::run_job_spec(c, problem);
  if (!built) return fail(id, ErrorCode::BadRequest, problem);
  config::JobSpec spec = std::move(*built);
  // Two jobs writing one file would interleave and rotate it twice: refused, as the config does.
  const auto same_file = [&](const std::string& a) {
    return std::filesystem::path(a).lexically_normal() == std::filesystem::path(spec.stdout_file).lexically_normal();
  };
  for (const auto& other : sup_.jobs())
    if (same_file(other.spec.stdout_file) || (other.spec.stderr_file && same_file(*other.spec.stderr_file)))
      return fail(id, ErrorCode::BadRequest,
                  fmt::format("{} is already written by job '{}'; choose another file with --stdout", spec.stdout_file,
                              other.spec.name));
  const auto now = Clock::now();
  const Origin who = peer_origin(peer);
  spdlog::info("run: ad-hoc job {} added by {}: {} (in {})", c.name, who.describe(), fmt::join(c.argv, " "),
               c.directory);  // control bytes escaped by supd's log sink
  Job& job = sup_.add_run_job(std::move(spec), c);
  sup_.start(job, who, now);  // job may move with the next add: only its name is kept
  const std::vector<std::string> names{c.name};
  if (!c.wait || settled(names)) return settled_response(id, WaitKind::Start, names, now);
  waiters_.push_back({id, WaitKind::Start, names, std::move(reply)});
  deferred = true;
  return {id, json::object()};
}

Response Handlers::events(std::uint64_t id, const protocol::Events& c, Reply& reply, bool& deferred) {
  if (c.job) {
    std::vector<Job*> jobs;
    if (auto err = resolve({*c.job}, false, jobs)) return {id, *err};
  }
  auto history =
      sup_.events().history(c.job, c.limit ? std::optional<std::size_t>(static_cast<std::size_t>(*c.limit))
                                           : std::nullopt);
  // The newest events that fit in kMaxHistoryBytes, sent oldest first in pieces; all but the
  // last piece (of a plain history) say "more": true, as `logs` does.
  std::size_t bytes = 0, kept = 0;
  for (auto it = history.rbegin(); it != history.rend() && bytes < kMaxHistoryBytes; ++it, ++kept)
    // replace, as the wire does: a strict dump throws on a peer exe path that is not UTF-8.
    bytes += common::to_json(*it).dump(-1, ' ', false, json::error_handler_t::replace).size();
  history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(kept));
  if (!c.follow) {  // pieces made as the client drains them
    reply.stream([id, history = std::move(history), at = std::size_t{0}](bool& last) mutable {
      json batch = json::array();
      for (; at < history.size() && batch.size() < kEventsPerLine; ++at) batch.push_back(common::to_json(history[at]));
      last = at >= history.size();
      json result{{"events", std::move(batch)}};
      if (!last) result["more"] = true;
      return protocol::encode_response({id, std::move(result)});
    });
    deferred = true;
    return {id, json::object()};
  }
  json batch = json::array();
  for (std::size_t i = 0; i < history.size(); ++i) {
    batch.push_back(common::to_json(history[i]));
    if (batch.size() == kEventsPerLine && i + 1 < history.size()) {
      if (!reply(protocol::encode_response({id, json{{"events", std::move(batch)}, {"more", true}}}), false))
        return {id, json::object()};  // the client is gone
      batch = json::array();
    }
  }
  // Follow: every new event as it is recorded, one per line, until supd exits ({"eof": true})
  // or the client goes away (or falls 8 MiB behind: the session drops it).
  deferred = true;
  if (!reply(protocol::encode_response({id, json{{"events", std::move(batch)}, {"more", true}}}), false))
    return {id, json::object()};
  const auto token = sup_.events().subscribe(c.job, [reply, id](const common::Event& e) {
    return reply(protocol::encode_response({id, json{{"events", json::array({common::to_json(e)})}, {"more", true}}}),
                 false);
  });
  event_follows_.emplace(token, std::make_pair(id, reply));
  reply.on_cancel([this, token] {
    sup_.events().unsubscribe(token);
    event_follows_.erase(token);
  });
  return {id, json::object()};
}

Response Handlers::why(std::uint64_t id, const protocol::Why& c, TimePoint now) {
  std::vector<Job*> jobs;
  if (auto err = resolve({c.job}, false, jobs)) return {id, *err};
  const Job& job = *jobs.front();
  json r = json::object();
  r["job"] = job.spec.name;
  r["exited"] = job.last_death != nullptr;
  const auto& d = job.last_death;
  r["exit"] = d ? protocol::exit_to_json(d->status) : json(nullptr);
  r["exit_pid"] = d ? json(d->pid) : json(nullptr);
  r["exited_at"] = d ? json(common::format_utc(d->at)) : json(nullptr);
  r["uptime_s"] = d ? json(d->uptime_s) : json(nullptr);
  if (d) {
    r["cause"] = {{"kind", d->cause.kind}, {"text", d->cause.text},
                  {"who", d->cause.who ? common::to_json(d->cause.who->event_origin()) : json(nullptr)}};
  } else {
    r["cause"] = nullptr;
  }
  r["restarts"] = job.restarts();
  r["state"] = std::string(to_string(job.rt.state));
  r["pid"] = job.rt.main_alive ? json(job.pid) : json(nullptr);
  r["reason"] = job.rt.reason;
  r["error"] = job.error.empty() ? json(nullptr) : json(job.error);
  const auto next = Supervisor::next_try_s(job, now);
  r["next_try_s"] = next ? json(*next) : json(nullptr);
  const std::string tail = read_tail(sup_.log_dir() / job.spec.stdout_file, job.spec.log_keep, kWhyLines, 64 << 10);
  json lines = json::array();
  std::string_view rest = tail;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    lines.push_back(std::string(rest.substr(0, nl)));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  r["last_lines"] = std::move(lines);
  return {id, std::move(r)};
}

void Handlers::after_event(TimePoint now) {
  // Answering may not re-enter handle() (sessions queue), so iterating is safe.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!settled(it->jobs)) {
      ++it;
      continue;
    }
    send_response(settled_response(it->id, it->kind, it->jobs, now), it->reply);
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
  auto follows = std::move(event_follows_);  // the end mark; on_cancel may erase meanwhile
  event_follows_.clear();
  for (auto& [token, follow] : follows) {
    sup_.events().unsubscribe(token);
    follow.second(protocol::encode_response({follow.first, json{{"eof", true}}}), true);
  }
}

}  // namespace supd::daemon
