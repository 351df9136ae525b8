// `supctl why JOB`: the post-mortem of the job's last exit, a few labelled lines.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/event.hpp"
#include "common/exit_status.hpp"
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_why(std::span<const std::string> args, const SubcommandFlags&) {
  check_job_name(args[0]);
  return proto::Why{args[0]};
}

constexpr Subcommand kWhyRows[] = {{
    .name = "why",
    .synopsis = "JOB",
    .help = "post-mortem of the job's last exit: code or signal, core, who caused it, last lines",
    .min_args = 1,
    .max_args = 1,
    .build = build_why,
    .rank = 100,
    .document = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Why>) { return kWhyRows; }

bool waits(const proto::Why&) { return false; }

std::optional<std::string> render(const proto::Why&, const proto::Why::Reply& r) {
  std::string out;
  const auto label = [&](std::string_view name, const std::string& text) {
    out += fmt::format("{:<12}{}\n", std::string(name) + ":", text);
  };
  const std::string error = r.error ? one_line(*r.error) : std::string();
  const bool waiting = r.state == "waiting";  // for a dependency (depends_on)
  if (r.exit) {
    out += fmt::format("{}: {}\n", r.job, common::describe(*r.exit));
    if (r.cause) label("cause", one_line(r.cause->text));
    if (r.exit->signaled) label("core dump", r.exit->core_dumped ? "yes" : "no");
    std::string ran = "-";
    if (r.uptime_s)
      ran = common::format_duration(std::chrono::milliseconds(
          static_cast<std::int64_t>(std::min(std::max(*r.uptime_s, 0.0) * 1000.0, 1e15))));
    std::string detail;
    if (r.exit_pid) detail = fmt::format("pid {}", *r.exit_pid);
    if (const auto at = common::parse_utc(one_line(r.exited_at.value_or(""))))
      detail += (detail.empty() ? "" : ", ") + std::string("ended ") + common::format_local(*at);
    label("ran for", detail.empty() ? ran : fmt::format("{} ({})", ran, detail));
    if (r.directory) label("ran in", one_line(*r.directory));
  } else if (!error.empty()) {
    out += fmt::format("{} has not run since supd started: {}\n", r.job, error);
  } else if (waiting) {  // what it waits for is the answer
    out += fmt::format("{} is waiting: {}\n", r.job, one_line(r.reason));
  } else {
    out += fmt::format("{} has not exited since supd started it\n", r.job);
  }
  label("restarts", std::to_string(r.restarts));
  std::string state = upper(one_line(r.state));
  if (r.pid) state += fmt::format(" (pid {})", *r.pid);
  if (r.next_try_s) state += ", " + next_try_text(*r.next_try_s);
  if (waiting && !r.reason.empty()) state += fmt::format(" ({})", one_line(r.reason));
  label("state", state);
  if (!r.last_lines.empty()) {
    out += "last lines:\n";
    for (const auto& l : r.last_lines) out += "  " + one_line(l) + "\n";
  } else if (waiting && !r.exit) {
    label("last lines", "(none: it has not run yet)");
  } else {
    label("last lines", fmt::format("(no output: {})", kBufferedHint));
  }
  return out;
}

}  // namespace supd::ctl
