#include "daemon/control/handlers.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/exit_status.hpp"
#include "common/log_text.hpp"
#include "common/names.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/output/log_file.hpp"

namespace supd::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::Response;
using json = nlohmann::json;

// A start succeeded when the job runs, or ran to a clean exit (a one-shot with restart = never).
// A start or stop waiting on this job may answer: it settled, or it waits on a dependency that
// failed or was stopped (it would wait for a person, not for time).
bool done_moving(const Job& job) {
  if (job.order.stop_queued || job.order.start_after_stop) return false;  // its own turn is still to come
  return is_settled(job.rt.state) || (job.rt.state == JobState::Waiting && job.order.blocked);
}

bool started_ok(const Job& job) {
  return job.rt.state == JobState::Running ||
         (job.rt.state == JobState::Exited && job.postmortem.last_exit && job.postmortem.last_exit->success());
}

// Frames already encoded (a large result cut by encode_frames), handed out one by one.
FrameSource queued_frames(std::vector<std::string> frames) {
  return [frames = std::move(frames), at = std::size_t{0}](bool& last) mutable {
    last = at + 1 >= frames.size();
    return std::move(frames[at++]);
  };
}

constexpr std::size_t kQuotedOutput = 200;  // bytes of the last line a failed `run` quotes

// The last non-empty line of the job's log file, when its last run wrote it: a file last
// written before that run began holds an older job's words. (File times are the kernel's
// coarse clock, a tick behind: hence the slack.)
std::optional<std::string> last_output_line(const Job& job, const std::filesystem::path& log_dir) {
  const auto& death = job.postmortem.last_death;
  if (!death) return std::nullopt;  // no process ran (exec failed): it said nothing
  const auto path = log_dir / job.spec.stdout_file;
  std::error_code ec;
  const auto written = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  const auto spawned = death->at - std::chrono::duration_cast<common::WallTime::duration>(
                                       std::chrono::duration<double>(death->uptime_s) + std::chrono::milliseconds(50));
  if (std::chrono::file_clock::to_sys(written) < spawned) return std::nullopt;
  std::string tail = read_tail(path, job.spec.log_keep, 1, 4096);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  if (tail.empty()) return std::nullopt;
  if (tail.size() > kQuotedOutput) {  // cut at a character's start, not inside a UTF-8 sequence
    std::size_t cut = kQuotedOutput;
    while (cut > 0 && (static_cast<unsigned char>(tail[cut]) & 0xC0) == 0x80) --cut;
    tail = tail.substr(0, cut) + "...";
  }
  return common::escape_control(tail);
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

// One serve() per command type (command_handlers.hpp), picked by std::visit: a command
// without one does not compile, and nothing falls through to another command's handler.
void Handlers::handle(std::string_view line, const Peer& peer, Reply reply) {
  auto decoded = protocol::decode_request(line);
  if (auto* bad = std::get_if<protocol::RequestError>(&decoded)) {
    reply(protocol::encode_error(bad->id, bad->error));
    return;
  }
  const auto& request = std::get<protocol::Request>(decoded);
  bool deferred = false;
  Call call{request.id, peer, reply, deferred, Clock::now(), *this, sup_};
  Response response = std::visit([&](const auto& command) { return serve(command, call); }, request.command);
  if (!deferred) send_response(response, reply);
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

Response Handlers::control(Call& call, WaitKind kind, const std::vector<std::string>& names, bool wait) {
  std::vector<const Job*> jobs;
  if (auto err = resolve(names, false, jobs)) return {call.id, *err};
  if (sup_.shutting_down() && kind != WaitKind::Stop)
    return fail(call.id, ErrorCode::ShuttingDown, "supd is shutting down and starts nothing; start supd again first");
  const Origin who = peer_origin(call.peer);
  std::vector<std::string> job_names;
  for (const Job* job : jobs) {
    job_names.push_back(job->spec.name);
    switch (kind) {
    case WaitKind::Start: sup_.start(*job, who, call.now); break;
    case WaitKind::Stop: sup_.stop(*job, who, call.now); break;
    case WaitKind::Restart: sup_.restart(*job, who, call.now); break;
    case WaitKind::Run:
    case WaitKind::Remove: break;  // one job each, served by commands/run.cpp and remove.cpp
    }
  }
  return answer_when_settled(call, kind, std::move(job_names), wait);
}

Response Handlers::answer_when_settled(Call& call, WaitKind kind, std::vector<std::string> names, bool wait) {
  if (!wait || settled(kind, names)) return settled_response(call.id, kind, names, call.now);
  waiters_.push_back({call.id, kind, std::move(names), std::move(call.reply)});
  return defer(call);
}

std::optional<Error> Handlers::resolve(const std::vector<std::string>& names, bool empty_means_all,
                                       std::vector<const Job*>& out) {
  const bool all = (names.empty() && empty_means_all) ||
                   std::find(names.begin(), names.end(), "all") != names.end();
  if (all) {
    for (const auto& job : sup_.jobs()) out.push_back(&job);
    return std::nullopt;
  }
  if (names.empty()) return Error{ErrorCode::BadRequest, "no job named; give job names or 'all'"};
  for (const auto& name : names) {
    if (!protocol::is_valid_instance_name(name))
      return Error{ErrorCode::InvalidName,
                   fmt::format("'{}' is not a valid job name (letters, digits, '_', '.', '-')", name)};
    const auto add = [&out](const Job* job) {
      if (std::find(out.begin(), out.end(), job) == out.end()) out.push_back(job);
    };
    if (const Job* job = sup_.find(name)) {
      add(job);
      continue;
    }
    // NAME of a job with instances: every copy, NAME@0 … NAME@N-1.
    const auto before = out.size();
    for (const auto& job : sup_.jobs())
      if (job.spec.instance_of == name) add(&job);
    if (out.size() == before && std::none_of(sup_.jobs().begin(), sup_.jobs().end(), [&](const Job& j) {
          return j.spec.instance_of == name;
        }))
      return Error{ErrorCode::UnknownJob, common::unknown_job_message(name, sup_.job_names())};
  }
  return std::nullopt;
}

std::optional<Error> Handlers::resolve_one(const std::string& name, const Job*& out) {
  std::vector<const Job*> jobs;
  if (auto err = resolve({name}, false, jobs)) return err;
  if (jobs.size() > 1)
    return Error{ErrorCode::BadRequest,
                 fmt::format("'{}' names {} jobs; this command takes one, such as {}", name, jobs.size(),
                             jobs.front()->spec.name)};
  out = jobs.front();
  return std::nullopt;
}

bool Handlers::settled(const std::vector<std::string>& jobs) {
  for (const auto& name : jobs) {
    const Job* job = sup_.find(name);
    if (job != nullptr && !done_moving(*job)) return false;
  }
  return true;
}

bool Handlers::settled(WaitKind kind, const std::vector<std::string>& jobs) {
  if (kind != WaitKind::Remove) return settled(jobs);
  return std::none_of(jobs.begin(), jobs.end(), [this](const std::string& name) { return sup_.find(name) != nullptr; });
}

Response Handlers::settled_response(std::uint64_t id, WaitKind kind, const std::vector<std::string>& jobs,
                                    TimePoint now) {
  if (kind == WaitKind::Remove) return protocol::reply(id, protocol::Remove::Reply{jobs.front(), settled(kind, jobs)});
  protocol::JobsReply rows;
  std::string failures;
  for (const auto& name : jobs) {
    const Job* job = sup_.find(name);
    if (job == nullptr) continue;
    rows.jobs.push_back(sup_.status_of(*job, now));
    if (kind == WaitKind::Stop) continue;
    if (const auto failure = start_failure(*job)) failures += (failures.empty() ? "" : "; ") + *failure;
    if (kind == WaitKind::Run && !failures.empty()) {  // one job: what it said last, and where to look
      if (const auto said = last_output_line(*job, sup_.log_dir())) failures += fmt::format("; last output: \"{}\"", *said);
      return fail(id, ErrorCode::StartFailed, failures + "; see: supctl why " + name);
    }
  }
  if (!failures.empty()) return fail(id, ErrorCode::StartFailed, failures + "; see: supctl status");
  return protocol::reply(id, rows);
}

std::optional<std::string> Handlers::start_failure(const Job& job) const {
  if (!done_moving(job) || started_ok(job)) return std::nullopt;
  const std::string why = job.rt.state == JobState::Stopped ? std::string("stopped before it started")
                          : job.postmortem.last_exit && job.rt.state == JobState::Exited
                              ? common::describe(*job.postmortem.last_exit)
                              : job.rt.reason;
  return fmt::format("{}: {} ({})", job.spec.name, why, to_string(job.rt.state));
}

void Handlers::answer_reload_when_settled(std::uint64_t id, protocol::Reload::Reply answer,
                                          std::vector<std::string> jobs, Reply reply) {
  reload_waiters_.push_back({id, std::move(answer), std::move(jobs), std::move(reply)});
  answer_settled_reloads();
}

void Handlers::answer_settled_reloads() {
  for (auto it = reload_waiters_.begin(); it != reload_waiters_.end();) {
    if (!settled(it->jobs)) {
      ++it;
      continue;
    }
    for (const auto& name : it->jobs)
      if (const Job* job = sup_.find(name))
        if (auto failure = start_failure(*job)) it->answer.failed.push_back(std::move(*failure));
    send_response(protocol::reply(it->id, it->answer), it->reply);
    it = reload_waiters_.erase(it);
  }
}

void Handlers::await_shutdown(Call& call) {
  if (!shutdown_requested_)
    for (const auto& job : sup_.jobs()) stopped_at_shutdown_ += job.rt.main_alive ? 1 : 0;
  shutdown_requested_ = true;
  shutdown_waiters_.emplace_back(call.id, std::move(call.reply));
  call.deferred = true;
}

bool Handlers::queue_upgrade(Call& call) {
  if (upgrade_) return false;
  upgrade_ = PendingUpgrade{call.id, call.peer.fd, std::move(call.reply)};
  call.deferred = true;
  return true;
}

void Handlers::add_event_follow(std::uint64_t token, std::uint64_t id, Reply reply) {
  event_follows_.emplace(token, std::make_pair(id, std::move(reply)));
}

void Handlers::after_event(TimePoint now) {
  // Answering may not re-enter handle() (sessions queue), so iterating is safe.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!settled(it->kind, it->jobs)) {
      ++it;
      continue;
    }
    send_response(settled_response(it->id, it->kind, it->jobs, now), it->reply);
    it = waiters_.erase(it);
  }
  answer_settled_reloads();
}

void Handlers::on_shutdown_complete() {
  for (auto& w : waiters_)
    w.reply(protocol::encode_error(w.id, {ErrorCode::ShuttingDown, "supd shut down before the jobs settled"}));
  waiters_.clear();
  for (auto& w : reload_waiters_) {
    w.answer.failed.push_back("supd shut down before the jobs it started settled");
    send_response(protocol::reply(w.id, w.answer), w.reply);
  }
  reload_waiters_.clear();
  const auto answer = sup_.leaving_running() ? protocol::Shutdown::Reply{0, stopped_at_shutdown_}
                                             : protocol::Shutdown::Reply{stopped_at_shutdown_, std::nullopt};
  for (auto& [id, reply] : shutdown_waiters_) reply(protocol::encode_response(protocol::reply(id, answer)));
  shutdown_waiters_.clear();
  auto follows = std::move(event_follows_);  // the end mark; on_cancel may erase meanwhile
  event_follows_.clear();
  for (auto& [token, follow] : follows) {
    sup_.events().unsubscribe(token);
    follow.second(protocol::encode_response(protocol::reply(follow.first, protocol::Events::Reply{{}, true, false})),
                  true);
  }
}

}  // namespace supd::daemon
