#include "ctl/render.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/exit_status.hpp"
#include "common/signals.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string uptime_text(const proto::JobStatus& job) {
  if (!job.uptime_s || !std::isfinite(*job.uptime_s) || *job.uptime_s < 0) return "-";
  const double ms = std::min(*job.uptime_s * 1000.0, 1e15);
  return common::format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
}

std::string job_line(const proto::JobStatus& job) {
  std::string out = fmt::format("{}: {}", job.name, upper(job.state));
  if (job.pid) out += fmt::format(" (pid {})", *job.pid);
  if (job.error)
    out += fmt::format(" ({})", one_line(*job.error));
  else if (!job.pid && job.last_exit && (job.state == "exited" || job.state == "fatal" ||
                                         job.state == "backoff"))
    out += fmt::format(" ({})", common::describe(*job.last_exit));
  return out + "\n";
}

std::optional<std::int64_t> int_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
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
  case ErrorCode::UpgradeFailed: return "fix or reinstall the supd binary, then run: supctl upgrade";
  }
  return "see supd's log";
}

}  // namespace

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

std::string last_exit_text(const proto::JobStatus& job) {
  if (job.error && !job.error->empty()) return one_line(*job.error);
  if (job.last_exit) return common::describe(*job.last_exit);
  return "-";
}

std::string render_status_table(const std::vector<proto::JobStatus>& jobs) {
  using Row = std::array<std::string, 6>;
  std::vector<Row> rows;
  rows.push_back({"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT"});
  for (const auto& j : jobs)
    rows.push_back({j.name, upper(j.state), j.pid ? std::to_string(*j.pid) : "-", uptime_text(j),
                    std::to_string(j.restarts), last_exit_text(j)});
  std::array<std::size_t, 6> width{};
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (c + 1 == r.size())
        line += r[c];  // the last column is not padded: no trailing blanks
      else
        line += fmt::format("{:<{}}  ", r[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string render_job_lines(const std::vector<proto::JobStatus>& jobs) {
  std::string out;
  for (const auto& j : jobs) out += job_line(j);
  return out;
}

std::optional<std::string> render_result(const proto::Command& command, const nlohmann::json& result) {
  if (std::holds_alternative<proto::Status>(command)) {
    const auto jobs = proto::parse_jobs_result(result);
    if (!jobs) return std::nullopt;
    return render_status_table(*jobs);
  }
  if (std::holds_alternative<proto::Start>(command) || std::holds_alternative<proto::Stop>(command) ||
      std::holds_alternative<proto::Restart>(command)) {
    const auto jobs = proto::parse_jobs_result(result);
    if (!jobs) return std::nullopt;
    return render_job_lines(*jobs);
  }
  if (const auto* s = std::get_if<proto::SignalJob>(&command)) {
    const auto pid = int_field(result, "pid");
    if (!pid) return std::nullopt;
    std::string job = s->job, signal = s->signal;
    bool group = s->group;
    if (const auto it = result.find("job"); it != result.end() && it->is_string()) job = it->get<std::string>();
    if (const auto it = result.find("signal"); it != result.end() && it->is_string())
      signal = it->get<std::string>();
    if (const auto it = result.find("group"); it != result.end() && it->is_boolean()) group = it->get<bool>();
    if (group) return fmt::format("{}: sent {} to process group {}\n", job, signal, *pid);
    return fmt::format("{}: sent {} to pid {}\n", job, signal, *pid);
  }
  if (std::holds_alternative<proto::Pid>(command)) {
    const auto pid = int_field(result, "pid");
    if (!pid || *pid <= 0) return std::nullopt;
    return fmt::format("{}\n", *pid);
  }
  if (std::holds_alternative<proto::Shutdown>(command)) {
    const auto stopped = int_field(result, "stopped");
    if (!stopped) return std::nullopt;
    if (const auto left = int_field(result, "left_running"))
      return fmt::format("supd exited and left {} job{} running for the next supd\n", *left, *left == 1 ? "" : "s");
    return fmt::format("supd stopped {} job{} and exited\n", *stopped, *stopped == 1 ? "" : "s");
  }
  if (std::holds_alternative<proto::Upgrade>(command)) {
    const auto pid = int_field(result, "pid");
    const auto kept = int_field(result, "adopted");
    if (!pid || !kept) return std::nullopt;
    const auto v = result.find("version");
    return fmt::format("supd {} runs on as pid {}; {} job{} kept running\n",
                       v != result.end() && v->is_string() ? v->get<std::string>() : "?", *pid, *kept,
                       *kept == 1 ? "" : "s");
  }
  if (std::holds_alternative<proto::Logs>(command)) {
    // One piece of a log: printed raw, as the job wrote it (no newline added).
    if (const auto it = result.find("text"); it != result.end() && it->is_string()) return it->get<std::string>();
    if (const auto n = int_field(result, "reopened")) return fmt::format("reopened {} log file{}\n", *n, *n == 1 ? "" : "s");
    if (result.contains("eof")) return std::string();
    return std::nullopt;
  }
  if (result.is_object() || result.is_array()) return result.dump() + "\n";
  return std::nullopt;
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
