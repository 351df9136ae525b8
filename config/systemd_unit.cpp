#include "config/systemd_unit.hpp"

#include <cctype>

#include <fmt/format.h>

#include "common/path_search.hpp"
#include "common/signals.hpp"

namespace supd::config {
namespace {

// A systemd time span: "10s" when whole seconds, else milliseconds.
std::string span(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return fmt::format("{}s", ms.count() / 1000);
  return fmt::format("{}ms", ms.count());
}

// A value in double quotes for Environment=: '\' and '"' escaped, '%' doubled.
std::string env_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '%') out += '%';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// A path in a key that takes one (WorkingDirectory=, StandardOutput=append:): '%' doubled.
std::string path_value(const std::filesystem::path& p) {
  std::string out;
  for (const char c : p.string()) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// The program as ExecStart= should name it: absolute, found the way supd's execvp would.
std::string program(const JobSpec& job, const std::string& path) {
  const std::string& name = job.argv.front();
  if (name.find('/') == std::string::npos) return common::find_in_path(name, path).value_or(name);
  if (name.front() == '/') return name;
  return (job.directory / name).lexically_normal().string();
}

std::string limit_key(std::string_view name) {
  std::string key = "Limit";
  for (const char c : name) key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace

std::string unit_file_name(const JobSpec& job) { return job.name + ".service"; }

std::string exec_word(std::string_view word) {
  std::string body;
  bool plain = !word.empty();
  for (const char c : word) {
    switch (c) {
    case '%': body += "%%"; break;
    case '$': body += "$$"; break;
    case '\\':
      body += "\\\\";
      plain = false;
      break;
    case '"':
      body += "\\\"";
      plain = false;
      break;
    case '\n': body += "\\n"; plain = false; break;
    default:
      if (c == ' ' || c == '\t' || c == '\'' || c == ';') plain = false;
      body += c;
    }
  }
  return plain ? body : "\"" + body + "\"";
}

std::string systemd_unit(const JobSpec& job, const std::filesystem::path& log_dir, const std::string& path) {
  std::string unit;
  const auto line = [&](std::string_view key, const std::string& value) {
    unit += fmt::format("{}={}\n", key, value);
  };
  const auto note = [&](const std::string& text) { unit += "# " + text + "\n"; };

  unit += fmt::format("# The supd job '{}', as a systemd user unit (supctl export systemd).\n", job.name);
  unit += "[Unit]\n";
  line("Description", fmt::format("{} (was a supd job)", job.name));
  for (const auto& dep : job.depends_on) {
    line("Requires", dep.job + ".service");
    line("After", dep.job + ".service");
  }

  unit += "\n[Service]\n";
  const bool oneshot = job.type == JobType::Oneshot;
  line("Type", oneshot ? "oneshot" : job.ready == Readiness::Notify ? "notify" : "exec");
  if (oneshot) line("RemainAfterExit", "yes");  // supd's `completed`
  std::string exec = exec_word(program(job, path));
  for (std::size_t i = 1; i < job.argv.size(); ++i) exec += " " + exec_word(job.argv[i]);
  line("ExecStart", exec);
  line("WorkingDirectory", path_value(job.directory));
  for (const auto& file : job.env_file) line("EnvironmentFile", path_value(file));
  // supd's default for Python (docs/design-decisions.md), unless the job sets it itself.
  if (job.environment.count("PYTHONUNBUFFERED") == 0) line("Environment", env_quoted("PYTHONUNBUFFERED=1"));
  for (const auto& [key, value] : job.environment) line("Environment", env_quoted(key + "=" + value));

  if (oneshot) {
    if (job.restart != RestartPolicy::Never)
      note(fmt::format("restart = \"{}\": systemd restarts no oneshot unit", to_string(job.restart)));
    line("Restart", "no");
  } else {
    line("Restart", job.restart == RestartPolicy::Always      ? "always"
                    : job.restart == RestartPolicy::OnFailure ? "on-failure"
                                                              : "no");
    line("RestartSec", span(job.backoff_initial));
  }
  line("KillSignal", "SIG" + common::signal_name(job.stop_signal));
  line("TimeoutStopSec", span(job.stop_timeout));
  line("IgnoreSIGPIPE", "no");  // supd leaves SIGPIPE at its default; systemd would ignore it

  const auto output = log_dir / job.stdout_file;
  line("StandardOutput", "append:" + path_value(output));
  line("StandardError", job.stderr_file ? "append:" + path_value(log_dir / *job.stderr_file) : "inherit");
  if (job.log_max_size > 0)
    note(fmt::format("supd rotated this output at {} bytes, keeping {}; logrotate (copytruncate) can now",
                     job.log_max_size, job.log_keep));

  if (job.umask) line("UMask", fmt::format("{:04o}", *job.umask));
  for (const auto& limit : job.limits)
    line(limit_key(limit.name), limit.value ? std::to_string(*limit.value) : "infinity");
  if (job.cgroup.memory_max) line("MemoryMax", std::to_string(*job.cgroup.memory_max));
  if (job.cgroup.memory_high) line("MemoryHigh", std::to_string(*job.cgroup.memory_high));
  if (job.cgroup.cpu_max_percent) line("CPUQuota", fmt::format("{}%", *job.cgroup.cpu_max_percent));
  if (job.cgroup.pids_max) line("TasksMax", std::to_string(*job.cgroup.pids_max));
  if (!job.user.empty() || !job.group.empty())
    note(fmt::format("user = \"{}\", group = \"{}\": a user unit runs as its user; a system unit would say "
                     "User= and Group=",
                     job.user, job.group));
  if (!job.ignore_signals.empty())
    note("ignore_signals: a service has no terminal to hang up, so systemd sends it no SIGHUP");
  if (job.health) note("health: systemd has no health check; a timer running the check can restart the unit");
  if (!job.schedule.empty() || job.every)
    note(fmt::format("schedule: make {}.timer with OnCalendar= (or OnUnitActiveSec=) to start this unit", job.name));

  unit += "\n[Install]\n";
  if (job.autostart)
    line("WantedBy", "default.target");
  else
    note("autostart = false: not enabled; start it with systemctl --user start " + unit_file_name(job));
  return unit;
}

}  // namespace supd::config
