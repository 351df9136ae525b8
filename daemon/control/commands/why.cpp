// `why`: the post-mortem of the job's last exit, its state now and its last lines.
#include "common/time_format.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/output/log_file.hpp"

namespace supd::daemon {
namespace {
constexpr std::size_t kWhyLines = 20;
}  // namespace

protocol::Response serve(const protocol::Why& command, Call& call) {
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve({command.job}, false, jobs)) return {call.id, *err};
  const Job& job = *jobs.front();
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
  const std::string tail =
      read_tail(call.sup.log_dir() / job.spec.stdout_file, job.spec.log_keep, kWhyLines, 64 << 10);
  std::string_view rest = tail;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    r.last_lines.push_back(std::string(rest.substr(0, nl)));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  return protocol::reply(call.id, r);
}

}  // namespace supd::daemon
