#include "ctl/render.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/exit_status.hpp"
#include "common/signals.hpp"
#include "ctl/command_list.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

std::string uptime_text(const proto::JobStatus& job) { return seconds_text(job.uptime_s); }

std::string job_line(const proto::JobStatus& job) {
  std::string out = fmt::format("{}: {}", job.name, upper(job.state));
  if (job.pid) out += fmt::format(" (pid {})", *job.pid);
  if (job.reason)
    out += fmt::format(" ({})", one_line(*job.reason));
  else if (job.error)
    out += fmt::format(" ({})", one_line(*job.error));
  else if (!job.pid && job.last_exit && (job.state == "exited" || job.state == "fatal" ||
                                         job.state == "backoff"))
    out += fmt::format(" ({})", common::describe(*job.last_exit));
  return out + "\n";
}

std::string hint_for(proto::ErrorCode code) {
  using proto::ErrorCode;
  switch (code) {
  case ErrorCode::UnknownJob:
  case ErrorCode::NotRunning:
  case ErrorCode::StartFailed:
  case ErrorCode::StopFailed: return "see: supctl status";
  case ErrorCode::InvalidName:
    return "job names use letters, digits, '_', '.' and '-', and do not start with '-'";
  case ErrorCode::InvalidSignal: return fmt::format("use {}", common::accepted_signal_forms());
  case ErrorCode::PermissionDenied: return "run supctl as the user that runs supd";
  case ErrorCode::VersionMismatch: return "use the supctl that came with this supd";
  case ErrorCode::ShuttingDown: return "wait for it to exit, then start it again with: supd --detach";
  case ErrorCode::TooLarge: return "use fewer or shorter arguments";
  case ErrorCode::BadRequest:
  case ErrorCode::UnknownMethod: return "use the supctl that came with this supd";
  case ErrorCode::Internal: return "see supd's log";
  case ErrorCode::JobExists: return "pick another name, or use supctl stop/start";
  case ErrorCode::ConfigError: return "fix the config file, then try again";
  case ErrorCode::UpgradeFailed: return "fix or reinstall the supd binary, then run: supctl upgrade";
  case ErrorCode::TooManyConnections: return "end some `logs -f`/`events -f` clients of this user, then retry";
  }
  return "see supd's log";
}

}  // namespace

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t')
      out += ' ';
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out;
}

// Coarse, as a person plans with it: seconds under a minute, whole minutes under an hour.
std::string next_try_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  seconds = std::min(std::ceil(seconds), 1e12);
  if (seconds < 60) return fmt::format("next try in {}s", static_cast<int>(seconds));
  if (seconds < 3600) return fmt::format("next try in {}m", static_cast<int>(std::lround(seconds / 60)));
  return "next try in " + common::format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)));
}

std::string last_exit_text(const proto::JobStatus& job) {
  std::string out = "-";
  if (job.reason) return one_line(*job.reason);  // waiting: for what
  if (job.error && !job.error->empty()) out = one_line(*job.error);
  else if (job.last_exit) out = common::describe(*job.last_exit);
  if (job.next_try_s) out += "; " + next_try_text(*job.next_try_s);
  return out;
}

std::string render_status_table(const std::vector<proto::JobStatus>& jobs, const std::vector<std::string>& hosts) {
  // HEALTH goes last, and only when a job has a check: a table without checks stays as it was.
  const bool health = std::any_of(jobs.begin(), jobs.end(), [](const proto::JobStatus& j) { return j.health.has_value(); });
  using Row = std::vector<std::string>;
  std::vector<Row> rows;
  rows.push_back({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT"});
  if (health) rows.back().push_back("HEALTH");
  if (!hosts.empty()) rows.back().insert(rows.back().begin(), "HOST");
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    rows.push_back({j.name, upper(j.state), j.pid ? std::to_string(*j.pid) : "-", uptime_text(j),
                    std::to_string(j.restarts), last_exit_text(j)});
    if (health) rows.back().push_back(j.health ? *j.health : "-");
    if (!hosts.empty()) rows.back().insert(rows.back().begin(), i < hosts.size() ? hosts[i] : "-");
  }
  return aligned_table(rows);
}

std::string render_stats_table(const std::vector<proto::JobStats>& jobs, const std::vector<std::string>& hosts) {
  std::vector<std::vector<std::string>> rows{{"NAME", "STATE", "PID", "CPU%", "CPU-TIME", "RSS", "PROCS"}};
  if (!hosts.empty()) rows.back().insert(rows.back().begin(), "HOST");
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& j = jobs[i];
    const bool live = j.processes > 0;
    rows.push_back({j.name, upper(j.state), j.pid ? std::to_string(*j.pid) : "-",
                    j.cpu_pct ? fmt::format("{:.1f}", *j.cpu_pct) : "-", live ? fmt::format("{:.2f}s", j.cpu_s) : "-",
                    live ? size_text(j.rss_bytes) : "-", std::to_string(j.processes)});
    if (!hosts.empty()) rows.back().insert(rows.back().begin(), i < hosts.size() ? hosts[i] : "-");
  }
  return aligned_table(rows);
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return {};
  std::vector<std::size_t> width(rows.front().size());
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (c + 1 == r.size() || c >= width.size())
        line += r[c];  // the last column is not padded: no trailing blanks
      else
        line += fmt::format("{:<{}}  ", r[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string seconds_text(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "-";
  const double ms = std::min(*seconds * 1000.0, 1e15);
  return common::format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30));
  if (bytes >= (std::uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{} KiB", bytes / 1024);
}

std::string render_job_lines(const std::vector<proto::JobStatus>& jobs) {
  std::string out;
  for (const auto& j : jobs) out += job_line(j);
  return out;
}

std::optional<std::string> render_result(const proto::Command& command, const nlohmann::json& result) {
  // Every command's file declares its render (ctl/command_list.hpp, generated): a command
  // without one does not compile here.
  return std::visit(
      [&](const auto& request) -> std::optional<std::string> {
        using Command = std::decay_t<decltype(request)>;
        const auto reply = Command::Reply::from_json(result);
        if (!reply) return std::nullopt;
        return render(request, *reply);
      },
      command);
}

std::optional<std::string> render_events_json(std::string_view response_line) {
  const auto doc = nlohmann::ordered_json::parse(response_line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto result = doc.find("result");
  if (result == doc.end() || !result->is_object()) return std::nullopt;
  if (result->contains("eof")) return std::string();
  const auto events = result->find("events");
  if (events == result->end() || !events->is_array()) return std::nullopt;
  std::string out;
  for (const auto& item : *events) out += item.dump() + "\n";
  return out;
}

std::optional<std::string> render_json_result(std::string_view response_line) {
  // ordered_json keeps supd's key order, so the document is the one supd sent.
  const auto doc = nlohmann::ordered_json::parse(response_line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto it = doc.find("result");
  if (it == doc.end()) return std::nullopt;
  return it->dump() + "\n";
}

std::string error_text(const proto::Error& error) {
  std::string message = one_line(error.message);
  if (message.empty()) message = std::string(proto::wire_name(error.code));
  const std::string hint = hint_for(error.code);
  // supd's messages may already end in their own next step ("...; start it with: ..."):
  // then one hint is enough.
  if (message.find(hint) != std::string::npos || message.find("; ") != std::string::npos) return message;
  return fmt::format("{}; {}", message, hint);
}

}  // namespace supd::ctl
