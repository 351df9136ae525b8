#include "config/diff.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/signals.hpp"

namespace supd::config {
namespace {

constexpr std::size_t kMaxValueChars = 120;  // a diff line stays readable; the file has the rest

std::string shorten(std::string text) {
  if (text.size() <= kMaxValueChars) return text;
  text.resize(kMaxValueChars - 3);
  return text + "...";
}

std::string quote_text(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string render(const std::vector<std::string>& words) {
  std::string out = "[";
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + quote_text(words[i]);
  return out + "]";
}

std::string render(const std::map<std::string, std::string>& env) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : env) {
    out += fmt::format("{}{}={}", first ? "" : ", ", k, quote_text(v));
    first = false;
  }
  return out + "}";
}

std::string render_signals(const std::vector<int>& sigs) {
  std::string out = "[";
  for (std::size_t i = 0; i < sigs.size(); ++i) out += (i ? ", " : "") + common::signal_name(sigs[i]);
  return out + "]";
}

std::string render(std::chrono::milliseconds d) { return common::format_duration(d); }

std::string render(const std::vector<Dependency>& deps) {
  std::string out = "{";
  for (std::size_t i = 0; i < deps.size(); ++i)
    out += fmt::format("{}{} = \"{}\"", i ? ", " : "", deps[i].job, to_string(deps[i].condition));
  return out + "}";
}

std::string render(const std::optional<HealthCheck>& check) {
  if (!check) return "(none)";
  const std::string what = check->kind == HealthCheck::Kind::Exec   ? "exec " + render(check->exec)
                           : check->kind == HealthCheck::Kind::Http ? "http " + quote_text(check->target)
                                                                    : "tcp " + quote_text(check->target);
  return fmt::format("{} every {}, timeout {}, {} retries", what, common::format_duration(check->interval),
                     common::format_duration(check->timeout), check->retries);
}
std::string render(bool b) { return b ? "true" : "false"; }

std::string render(const std::vector<ResourceLimit>& limits) {
  std::string out = "{";
  for (const auto& l : limits)
    out += fmt::format("{}{} = {}", out.size() > 1 ? ", " : "", l.name, l.value ? std::to_string(*l.value) : "unlimited");
  return out + "}";
}

std::string render(const CgroupLimits& c) {
  const auto size = [](const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "max"; };
  return fmt::format("memory_max {}, memory_high {}, cpu_max {}, pids_max {}", size(c.memory_max),
                     size(c.memory_high), c.cpu_max_percent ? fmt::format("{}%", *c.cpu_max_percent) : "max",
                     c.pids_max ? std::to_string(*c.pids_max) : "max");
}

std::string render_umask(const std::optional<unsigned>& m) { return m ? fmt::format("{:04o}", *m) : "(supd's)"; }

struct Differ {
  std::vector<FieldChange> out;
  void add(std::string_view field, std::string before, std::string after, bool restart) {
    out.push_back({std::string(field), shorten(std::move(before)), shorten(std::move(after)), restart});
  }
};

}  // namespace

std::string_view to_string(ChangeKind kind) {
  switch (kind) {
  case ChangeKind::Added: return "added";
  case ChangeKind::Removed: return "removed";
  case ChangeKind::Changed: return "changed";
  case ChangeKind::Unchanged: return "unchanged";
  }
  return "unchanged";
}

bool JobDiff::needs_restart() const {
  return std::any_of(fields.begin(), fields.end(), [](const FieldChange& f) { return f.restart; });
}

bool ConfigDiff::has_changes() const {
  return !supd.empty() ||
         std::any_of(jobs.begin(), jobs.end(), [](const JobDiff& j) { return j.change != ChangeKind::Unchanged; });
}

std::vector<FieldChange> diff_job(const JobSpec& a, const JobSpec& b) {
  Differ d;
  // What the process was started with: only a new process picks it up.
  if (a.argv != b.argv) d.add("command", render(a.argv), render(b.argv), true);
  if (a.shell != b.shell) d.add("shell", render(a.shell), render(b.shell), true);
  if (a.directory != b.directory) d.add("directory", a.directory.string(), b.directory.string(), true);
  if (a.environment != b.environment) d.add("environment", render(a.environment), render(b.environment), true);
  if (a.ignore_signals != b.ignore_signals)
    d.add("ignore_signals", render_signals(a.ignore_signals), render_signals(b.ignore_signals), true);
  // The pipe to the log file is opened at spawn; a new file means a new pipe, so a restart.
  if (a.stdout_file != b.stdout_file) d.add("stdout", a.stdout_file, b.stdout_file, true);
  if (a.stderr_file != b.stderr_file)
    d.add("stderr", a.stderr_file.value_or("(merged)"), b.stderr_file.value_or("(merged)"), true);
  if (a.timestamps != b.timestamps)  // the capture is set up at spawn
    d.add("timestamps", std::string(to_string(a.timestamps)), std::string(to_string(b.timestamps)), true);
  // NOTIFY_SOCKET is in the environment the process was started with.
  // The process's box is made at its spawn.
  if (a.env_file != b.env_file) d.add("env_file", render(a.env_file), render(b.env_file), true);
  if (a.user != b.user) d.add("user", quote_text(a.user), quote_text(b.user), true);
  if (a.group != b.group) d.add("group", quote_text(a.group), quote_text(b.group), true);
  if (a.umask != b.umask) d.add("umask", render_umask(a.umask), render_umask(b.umask), true);
  if (a.limits != b.limits) d.add("limits", render(a.limits), render(b.limits), true);
  if (a.cgroup != b.cgroup) d.add("cgroup limits", render(a.cgroup), render(b.cgroup), true);
  if (a.ready != b.ready) d.add("ready", std::string(to_string(a.ready)), std::string(to_string(b.ready)), true);
  // Read by the supervisor at the next event: applied in place.
  if (a.autostart != b.autostart) d.add("autostart", render(a.autostart), render(b.autostart), false);
  if (a.restart != b.restart)
    d.add("restart", std::string(to_string(a.restart)), std::string(to_string(b.restart)), false);
  if (a.start_secs != b.start_secs) d.add("start_secs", render(a.start_secs), render(b.start_secs), false);
  if (a.start_retries != b.start_retries)
    d.add("start_retries", std::to_string(a.start_retries), std::to_string(b.start_retries), false);
  if (a.backoff_initial != b.backoff_initial)
    d.add("backoff_initial", render(a.backoff_initial), render(b.backoff_initial), false);
  if (a.backoff_max != b.backoff_max) d.add("backoff_max", render(a.backoff_max), render(b.backoff_max), false);
  if (a.stop_signal != b.stop_signal)
    d.add("stop_signal", common::signal_name(a.stop_signal), common::signal_name(b.stop_signal), false);
  if (a.stop_timeout != b.stop_timeout)
    d.add("stop_timeout", render(a.stop_timeout), render(b.stop_timeout), false);
  if (a.forward_signals != b.forward_signals)
    d.add("forward_signals", render_signals(a.forward_signals), render_signals(b.forward_signals), false);
  if (a.log_max_size != b.log_max_size)
    d.add("log_max_size", std::to_string(a.log_max_size), std::to_string(b.log_max_size), false);
  if (a.log_keep != b.log_keep) d.add("log_keep", std::to_string(a.log_keep), std::to_string(b.log_keep), false);
  // Order, checks and schedules are the supervisor's, read at the next event (issue 18).
  if (a.type != b.type) d.add("type", std::string(to_string(a.type)), std::string(to_string(b.type)), false);
  if (a.depends_on != b.depends_on) d.add("depends_on", render(a.depends_on), render(b.depends_on), false);
  if (a.health != b.health) d.add("health", render(a.health), render(b.health), false);
  if (a.schedule != b.schedule) d.add("schedule", quote_text(a.schedule), quote_text(b.schedule), false);
  if (a.every != b.every)
    d.add("every", a.every ? render(*a.every) : "(none)", b.every ? render(*b.every) : "(none)", false);
  return std::move(d.out);
}

ConfigDiff diff(const Config& before, const Config& after) {
  ConfigDiff out;
  if (before.supd.log_dir != after.supd.log_dir) {
    const auto show = [](const std::optional<std::filesystem::path>& p) {
      return p ? p->string() : std::string("(default)");
    };
    out.supd.push_back({"log_dir", show(before.supd.log_dir), show(after.supd.log_dir), true});
  }
  // By name through an index: Config::find is linear, and 16k jobs made this quadratic.
  std::unordered_map<std::string_view, const JobSpec*> old_jobs, new_jobs;
  for (const auto& spec : before.jobs) old_jobs.emplace(spec.name, &spec);
  for (const auto& spec : after.jobs) new_jobs.emplace(spec.name, &spec);
  for (const auto& spec : after.jobs) {
    JobDiff j{spec.name, ChangeKind::Added, {}};
    if (const auto old = old_jobs.find(spec.name); old != old_jobs.end()) {
      j.fields = diff_job(*old->second, spec);
      j.change = j.fields.empty() ? ChangeKind::Unchanged : ChangeKind::Changed;
    }
    out.jobs.push_back(std::move(j));
  }
  for (const auto& spec : before.jobs)
    if (!new_jobs.contains(spec.name)) out.jobs.push_back({spec.name, ChangeKind::Removed, {}});
  return out;
}

}  // namespace supd::config
