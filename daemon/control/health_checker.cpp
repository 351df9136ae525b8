#include "daemon/control/health_checker.hpp"

#include <memory>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "daemon/core/health.hpp"
#include "daemon/process/side_run.hpp"
#include "daemon/process/tcp_probe.hpp"

namespace supd::daemon {
namespace {

// The last line of what a check printed (the most telling), or how it ended when it was silent.
std::string verdict_text(const SideRunResult& r, std::chrono::milliseconds timeout) {
  if (r.timed_out) return fmt::format("timed out after {}", common::format_duration(timeout));
  std::string text = r.output;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (!r.started) return text;
  if (const auto nl = text.rfind('\n'); nl != std::string::npos) text.erase(0, nl + 1);
  const std::string how = common::describe(r.status);
  return text.empty() ? how : fmt::format("{} ({})", text, how);
}

// supd's own probe prints one line: "HTTP 503", "connection refused".
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

HealthChecker::~HealthChecker() {
  sup_.set_health_checks(nullptr);
  for (const pid_t pid : running_) end_side_run(pid);
}

void HealthChecker::run(const config::JobSpec& job, int run) {
  if (!job.health) return;
  const config::HealthCheck& check = *job.health;
  const std::string name = job.name;
  auto report = [this, name, run](bool passed, std::string text) {
    hub_.health_checked(name, run, passed, std::move(text));
  };
  if (check.kind == config::HealthCheck::Kind::Tcp) {
    probe_tcp(io_, check.target, check.timeout, [report](bool ok, std::string detail) { report(ok, std::move(detail)); });
    return;
  }
  SideRunSpec spec;
  spec.timeout = check.timeout;
  spec.max_output = kHealthOutputBytes;
  if (check.kind == config::HealthCheck::Kind::Exec) {
    spec.argv = check.exec;
    spec.directory = job.directory;
    spec.environment = job.environment;
  } else {
    // The probe's own timeout is the check's; ours, a little later, only catches a stuck one.
    spec.argv = {self_, "--probe-http", check.target, std::to_string(check.timeout.count())};
    spec.timeout = check.timeout + std::chrono::milliseconds(500);
  }
  const bool http = check.kind == config::HealthCheck::Kind::Http;
  auto pid = std::make_shared<pid_t>(0);
  *pid = side_run(io_, children_, spec, [this, pid, report, http, timeout = check.timeout](SideRunResult r) {
    running_.erase(*pid);
    const bool passed = r.started && !r.timed_out && !r.status.signaled && !r.status.unknown && r.status.code == 0;
    report(passed, http && !r.timed_out ? first_line(r.output) : verdict_text(r, timeout));
  });
  if (*pid > 0) running_.insert(*pid);
}

}  // namespace supd::daemon
