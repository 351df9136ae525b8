#include "ctl/render.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/event.hpp"
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
  case ErrorCode::JobExists: return "pick another name, or use supctl stop/start";
  case ErrorCode::ConfigError: return "fix the config file, then try again";
  case ErrorCode::UpgradeFailed: return "fix or reinstall the supd binary, then run: supctl upgrade";
  case ErrorCode::TooManyConnections: return "end some `logs -f`/`events -f` clients of this user, then retry";
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

// "next try in 4m" for a backoff/fatal job with a retry deadline.
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
  if (job.error && !job.error->empty()) out = one_line(*job.error);
  else if (job.last_exit) out = common::describe(*job.last_exit);
  if (job.next_try_s) out += "; " + next_try_text(*job.next_try_s);
  return out;
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

std::vector<std::string> reload_errors(const nlohmann::json& result) {
  std::vector<std::string> out;
  if (!result.is_object()) return out;
  const auto it = result.find("errors");
  if (it == result.end() || !it->is_array()) return out;
  for (const auto& e : *it)
    if (e.is_string()) out.push_back(one_line(e.get<std::string>()));
  return out;
}

std::optional<std::string> render_reload(const nlohmann::json& result) {
  if (!result.is_object() || !result.contains("jobs") || !result["jobs"].is_array()) return std::nullopt;
  if (!reload_errors(result).empty()) return std::string();  // refused: the errors go to stderr
  const auto text = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? one_line(it->get<std::string>()) : std::string();
  };
  std::string out;
  for (const auto& job : result["jobs"]) {
    if (!job.is_object()) return std::nullopt;
    const auto name = text(job, "name");
    const auto change = text(job, "change");
    if (change == "added") {
      out += fmt::format("+ {}: added\n", name);
    } else if (change == "removed") {
      out += fmt::format("- {}: removed\n", name);
    } else if (change == "changed") {
      std::string fields;
      bool restart = false;
      if (const auto it = job.find("fields"); it != job.end() && it->is_array())
        for (const auto& f : *it) {
          if (!f.is_object()) continue;
          fields += (fields.empty() ? "" : ", ") + text(f, "field");
          restart = restart || f.value("restart", false);
        }
      out += fmt::format("{}: changed {} ({})\n", name, fields, restart ? "restart" : "in place");
    }
  }
  if (const auto it = result.find("supd"); it != result.end() && it->is_array())
    for (const auto& f : *it)
      if (f.is_object())
        out += fmt::format("[supd] {}: {} -> {}\n", text(f, "field"), text(f, "old"), text(f, "new"));
  if (out.empty()) out = "no changes\n";
  if (const auto it = result.find("warnings"); it != result.end() && it->is_array())
    for (const auto& w : *it)
      if (w.is_string()) out += fmt::format("note: {}\n", one_line(w.get<std::string>()));
  if (result.value("dry_run", false)) out += "(dry run: nothing was changed)\n";
  return out;
}

namespace {

// One render() per command type, picked by std::visit in render_result: a command without
// one does not compile.
using Text = std::optional<std::string>;
using nlohmann::json;

Text render_jobs(const json& result, Text (*table)(const std::vector<proto::JobStatus>&)) {
  const auto jobs = proto::parse_jobs_result(result);
  if (!jobs) return std::nullopt;
  return table(*jobs);
}
Text as_lines(const std::vector<proto::JobStatus>& jobs) { return render_job_lines(jobs); }
Text as_table(const std::vector<proto::JobStatus>& jobs) { return render_status_table(jobs); }

Text render(const proto::Hello&, const json& result) {  // no command prints it; raw, as before
  if (result.is_object() || result.is_array()) return result.dump() + "\n";
  return std::nullopt;
}
Text render(const proto::Reload&, const json& result) { return render_reload(result); }
Text render(const proto::Run&, const json& result) { return render_jobs(result, as_lines); }
Text render(const proto::Status&, const json& result) { return render_jobs(result, as_table); }
Text render(const proto::Start&, const json& result) { return render_jobs(result, as_lines); }
Text render(const proto::Stop&, const json& result) { return render_jobs(result, as_lines); }
Text render(const proto::Restart&, const json& result) { return render_jobs(result, as_lines); }
Text render(const proto::Persist&, const json& result) {
  if (!result.is_object() || !result.contains("job") || !result["job"].is_string()) return std::nullopt;
  const auto where = result.value("config", std::string("the config file"));
  return fmt::format("{}: added to {}{}\n", one_line(result["job"].get<std::string>()), one_line(where),
                     result.value("created", false) ? " (created)" : "");
}
Text render(const proto::SignalJob& s, const json& result) {
  const auto pid = int_field(result, "pid");
  if (!pid) return std::nullopt;
  std::string job = s.job, signal = s.signal;
  bool group = s.group;
  if (const auto it = result.find("job"); it != result.end() && it->is_string()) job = it->get<std::string>();
  if (const auto it = result.find("signal"); it != result.end() && it->is_string()) signal = it->get<std::string>();
  if (const auto it = result.find("group"); it != result.end() && it->is_boolean()) group = it->get<bool>();
  if (group) return fmt::format("{}: sent {} to process group {}\n", job, signal, *pid);
  return fmt::format("{}: sent {} to pid {}\n", job, signal, *pid);
}
Text render(const proto::Pid&, const json& result) {
  const auto pid = int_field(result, "pid");
  if (!pid || *pid <= 0) return std::nullopt;
  return fmt::format("{}\n", *pid);
}
Text render(const proto::Shutdown&, const json& result) {
  const auto stopped = int_field(result, "stopped");
  if (!stopped) return std::nullopt;
  if (const auto left = int_field(result, "left_running"))
    return fmt::format("supd exited and left {} job{} running for the next supd\n", *left, *left == 1 ? "" : "s");
  return fmt::format("supd stopped {} job{} and exited\n", *stopped, *stopped == 1 ? "" : "s");
}
Text render(const proto::Upgrade&, const json& result) {
  const auto pid = int_field(result, "pid");
  const auto kept = int_field(result, "adopted");
  if (!pid || !kept) return std::nullopt;
  const auto v = result.find("version");
  return fmt::format("supd {} runs on as pid {}; {} job{} kept running\n",
                     v != result.end() && v->is_string() ? v->get<std::string>() : "?", *pid, *kept,
                     *kept == 1 ? "" : "s");
}
Text render(const proto::Logs&, const json& result) {
  // One piece of a log: printed raw, as the job wrote it (no newline added).
  if (const auto it = result.find("text"); it != result.end() && it->is_string()) return it->get<std::string>();
  if (const auto n = int_field(result, "reopened")) return fmt::format("reopened {} log file{}\n", *n, *n == 1 ? "" : "s");
  if (result.contains("eof")) return std::string();
  return std::nullopt;
}
Text render(const proto::Events&, const json& result) { return render_events(result); }
Text render(const proto::Why&, const json& result) { return render_why(result); }

}  // namespace

std::optional<std::string> render_result(const proto::Command& command, const nlohmann::json& result) {
  return std::visit([&](const auto& c) { return render(c, result); }, command);
}

std::optional<std::string> render_events(const nlohmann::json& result) {
  if (!result.is_object()) return std::nullopt;
  if (result.contains("eof")) return std::string();
  const auto it = result.find("events");
  if (it == result.end() || !it->is_array()) return std::nullopt;
  std::string out;
  for (const auto& item : *it) {
    const auto e = common::event_from_json(item);
    if (!e) return std::nullopt;
    out += common::format_local(e->time) + " " + one_line(common::describe(*e)) + "\n";
  }
  return out;
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

std::optional<std::string> render_why(const nlohmann::json& r) {
  if (!r.is_object() || !r.contains("job") || !r["job"].is_string() || !r.contains("exited")) return std::nullopt;
  const auto job = r["job"].get<std::string>();
  const auto str = [&](const char* key) {
    const auto it = r.find(key);
    return it != r.end() && it->is_string() ? one_line(it->get<std::string>()) : std::string();
  };
  std::string out;
  const auto label = [&](std::string_view name, const std::string& text) {
    out += fmt::format("{:<12}{}\n", std::string(name) + ":", text);
  };
  const auto exit = r.contains("exit") ? proto::exit_from_json(r["exit"]) : std::nullopt;
  if (r["exited"] == true && exit) {
    out += fmt::format("{}: {}\n", job, common::describe(*exit));
    const auto cause = r.find("cause");
    if (cause != r.end() && cause->is_object() && (*cause)["text"].is_string())
      label("cause", one_line((*cause)["text"].get<std::string>()));
    if (exit->signaled) label("core dump", exit->core_dumped ? "yes" : "no");
    std::string ran = "-";
    if (const auto up = r.find("uptime_s"); up != r.end() && up->is_number())
      ran = common::format_duration(std::chrono::milliseconds(static_cast<std::int64_t>(
          std::min(std::max(up->get<double>(), 0.0) * 1000.0, 1e15))));
    std::string detail;
    if (const auto pid = int_field(r, "exit_pid")) detail = fmt::format("pid {}", *pid);
    if (const auto at = common::parse_utc(str("exited_at")))
      detail += (detail.empty() ? "" : ", ") + std::string("ended ") + common::format_local(*at);
    label("ran for", detail.empty() ? ran : fmt::format("{} ({})", ran, detail));
  } else if (!str("error").empty()) {
    out += fmt::format("{} has not run since supd started: {}\n", job, str("error"));
  } else {
    out += fmt::format("{} has not exited since supd started it\n", job);
  }
  label("restarts", std::to_string(int_field(r, "restarts").value_or(0)));
  std::string state = upper(str("state"));
  if (const auto pid = int_field(r, "pid")) state += fmt::format(" (pid {})", *pid);
  if (const auto it = r.find("next_try_s"); it != r.end() && it->is_number())
    state += ", " + next_try_text(it->get<double>());
  label("state", state);
  const auto lines = r.find("last_lines");
  if (lines != r.end() && lines->is_array() && !lines->empty()) {
    out += "last lines:\n";
    for (const auto& l : *lines)
      if (l.is_string()) out += "  " + one_line(l.get<std::string>()) + "\n";
  } else {
    label("last lines", "(no output)");
  }
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
