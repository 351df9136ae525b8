// `why`: the post-mortem of the job's last exit, its state now and its last lines.
#include <limits>

#include "common/time_format.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/output/log_file.hpp"

namespace supd::daemon {
namespace {

constexpr std::size_t kWhyLines = 20;
constexpr std::size_t kWhyBytes = 64 << 10;
// How far back past later runs' output `why` reads for the exited run's lines: more than
// this and it shows the log's last lines instead (read on the loop; a bound keeps it short).
constexpr std::uint64_t kMaxSkip = 1 << 20;

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.push_back(std::string(text.substr(0, nl)));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return out;
}

// The last lines the run that exited wrote, cut out of the log by the marks taken at its spawn
// and reap; nullopt when they cannot be told apart (supd did not see its start, the log was
// changed from outside, or later runs wrote too much since).
std::optional<std::vector<std::string>> lines_of_run(const std::filesystem::path& log, int keep,
                                                     const Job::PostMortem::Death& d, std::uint64_t now) {
  if (d.output_from == Job::kNoMark || d.output_from > d.output_to || d.output_to > now) return std::nullopt;
  const std::uint64_t after = now - d.output_to;  // bytes later runs wrote
  if (after > kMaxSkip) return std::nullopt;
  const std::string tail = read_tail(log, keep, std::numeric_limits<std::size_t>::max(),
                                     static_cast<std::size_t>(after) + kWhyBytes);
  if (tail.size() < after) return std::nullopt;  // the files hold less than supd wrote: changed from outside
  std::string_view run(tail.data(), tail.size() - static_cast<std::size_t>(after));
  // Where the tail's first byte is in the count: below 0 when it was written before this supd.
  const auto tail_at = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(tail.size());
  const auto from = static_cast<std::int64_t>(d.output_from);
  if (from > tail_at) run.remove_prefix(std::min(run.size(), static_cast<std::size_t>(from - tail_at)));
  auto lines = split(run);
  if (lines.size() > kWhyLines) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(kWhyLines));
  return lines;
}

}  // namespace

protocol::Response serve(const protocol::Why& command, Call& call) {
  const Job* found = nullptr;
  if (auto err = call.handlers.resolve_one(command.job, found)) return {call.id, *err};
  const Job& job = *found;
  protocol::Why::Reply r;
  r.job = job.spec.name;
  if (const auto& d = job.postmortem.last_death) {
    r.exit = d->status;
    r.exit_pid = d->pid;
    r.exited_at = common::format_utc(d->at);
    r.uptime_s = d->uptime_s;
    r.cause = protocol::Why::Cause{d->cause.kind, d->cause.text,
                                   d->cause.who ? common::to_json(d->cause.who->event_origin())
                                                : nlohmann::json(nullptr)};
  }
  r.restarts = job.restarts();
  r.state = std::string(to_string(job.rt.state));
  if (job.rt.main_alive) r.pid = job.process.pid;
  r.reason = job.rt.reason;
  if (!job.postmortem.error.empty()) r.error = job.postmortem.error;
  r.next_try_s = Supervisor::next_try_s(job, call.now);
  const auto log = call.sup.log_dir() / job.spec.stdout_file;
  const auto& death = job.postmortem.last_death;
  if (death) r.directory = death->directory.string();
  auto run = death ? lines_of_run(log, job.spec.log_keep, *death, call.sup.output_mark(job)) : std::nullopt;
  r.last_lines = run ? std::move(*run) : split(read_tail(log, job.spec.log_keep, kWhyLines, kWhyBytes));
  return protocol::reply(call.id, r);
}

}  // namespace supd::daemon
