// Reads a job table (or [defaults]) key by key and merges defaults -> job -> JobSpec.
#include "config/job_fields.hpp"

#include <algorithm>
#include <csignal>
#include <system_error>

#include <fmt/format.h>

#include "common/names.hpp"
#include "common/paths.hpp"
#include "common/signals.hpp"
#include "config/command_line.hpp"
#include "config/env_file.hpp"
#include "config/isolation_fields.hpp"
#include "config/output_name.hpp"

namespace supd::config::detail {
namespace {

namespace fs = std::filesystem;

std::optional<RestartPolicy> read_restart(const toml::node& node, Errors& errors) {
  const auto* s = node.as_string();
  if (!s) {
    errors.add(node, fmt::format("restart: expected {}, got {}", common::kRestartPolicies, type_name(node)));
    return std::nullopt;
  }
  const std::string& v = s->get();
  if (const auto policy = common::parse_restart_policy(v)) return policy;
  errors.add(node, fmt::format("restart: unknown policy {} (use {})", quote(v), common::kRestartPolicies));
  return std::nullopt;
}

std::optional<Timestamps> read_timestamps(const toml::node& node, Errors& errors) {
  constexpr std::string_view kHint = "\"index\", \"prefix\" or \"none\"";
  const auto* s = node.as_string();
  if (!s) {
    errors.add(node, fmt::format("timestamps: expected {}, got {}", kHint, type_name(node)));
    return std::nullopt;
  }
  const std::string& v = s->get();
  if (v == "index") return Timestamps::Index;
  if (v == "prefix") return Timestamps::Prefix;
  if (v == "none") return Timestamps::None;
  errors.add(node, fmt::format("timestamps: unknown mode {} (use {})", quote(v), kHint));
  return std::nullopt;
}

std::optional<Readiness> read_ready(const toml::node& node, Errors& errors) {
  constexpr std::string_view kHint = "\"start_secs\", \"notify\" or \"listen\"";
  const auto* s = node.as_string();
  if (!s) {
    errors.add(node, fmt::format("ready: expected {}, got {}", kHint, type_name(node)));
    return std::nullopt;
  }
  const std::string& v = s->get();
  if (v == "start_secs") return Readiness::StartSecs;
  if (v == "notify") return Readiness::Notify;
  if (v == "listen") return Readiness::Listen;
  errors.add(node, fmt::format("ready: unknown mode {} (use {})", quote(v), kHint));
  return std::nullopt;
}

std::optional<CommandValue> read_command(const toml::node& node, Errors& errors) {
  if (const auto* s = node.as_string()) {
    auto text = read_string(node, "command", errors);
    if (!text) return std::nullopt;
    return CommandValue{std::move(*text), pos_of(*s)};
  }
  const auto* a = node.as_array();
  if (!a) {
    errors.add(node, fmt::format("command: expected an array of strings or a string, got {}", type_name(node)));
    return std::nullopt;
  }
  if (a->empty()) {
    errors.add(node, "command: must not be empty");
    return std::nullopt;
  }
  std::vector<std::string> argv;
  bool ok = true;
  for (const auto& element : *a) {
    auto word = read_string(element, "command", errors);
    if (!word) {
      ok = false;
      continue;
    }
    argv.push_back(std::move(*word));
  }
  if (!ok) return std::nullopt;
  if (argv.front().empty()) {
    errors.add(a->front(), "command: the program name must not be empty");
    return std::nullopt;
  }
  return CommandValue{std::move(argv), pos_of(node)};
}

std::optional<std::map<std::string, std::string>> read_environment(const toml::node& node, Errors& errors) {
  const auto* t = node.as_table();
  if (!t) {
    errors.add(node, fmt::format("environment: expected a table of strings ({{ NAME = \"value\" }}), got {}",
                                 type_name(node)));
    return std::nullopt;
  }
  std::map<std::string, std::string> env;
  bool ok = true;
  for (const auto& [key, value] : *t) {
    const std::string name(key.str());
    if (const auto problem = common::environment_name_problem(name)) {
      errors.add(pos_of(key), fmt::format("environment: invalid variable name {} ({})", quote(name), *problem));
      ok = false;
      continue;
    }
    auto text = read_string(value, fmt::format("environment.{}", name), errors);
    if (!text) {
      ok = false;
      continue;
    }
    env.emplace(name, std::move(*text));
  }
  if (!ok) return std::nullopt;
  return env;
}

// Signals a job may not list, and why.
std::optional<std::string_view> refuse_signal(std::string_view key, int signo) {
  if (key == "ignore_signals") {
    if (signo == SIGKILL || signo == SIGSTOP) return "cannot be ignored";
    return std::nullopt;
  }
  if (signo == SIGKILL || signo == SIGSTOP) return "cannot be caught by supd, so it cannot be forwarded";
  if (signo == SIGTERM || signo == SIGINT) return "is supd's own signal (it stops supd), so it cannot be forwarded";
  if (signo == SIGHUP) return "is supd's own signal (it reloads the config), so it cannot be forwarded";
  if (signo == SIGCHLD) return "is supd's own signal (it reaps jobs), so it cannot be forwarded";
  return std::nullopt;
}

std::optional<std::vector<int>> read_signal_list(const toml::node& node, std::string_view key, Errors& errors) {
  const auto* a = node.as_array();
  if (!a) {
    errors.add(node, fmt::format("{}: expected an array of signals ([\"HUP\"]), got {}", key, type_name(node)));
    return std::nullopt;
  }
  std::vector<int> out;
  bool ok = true;
  for (const auto& element : *a) {
    const auto signo = read_signal(element, key, errors);
    if (!signo) {
      ok = false;
      continue;
    }
    if (const auto why = refuse_signal(key, *signo)) {
      errors.add(element, fmt::format("{}: {} {}", key, common::signal_name(*signo), *why));
      ok = false;
      continue;
    }
    if (std::find(out.begin(), out.end(), *signo) == out.end()) out.push_back(*signo);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<OutputName> read_output(const toml::node& node, std::string_view key, Errors& errors) {
  auto text = read_string(node, key, errors);
  if (!text) return std::nullopt;
  if (text->empty()) {
    errors.add(node, fmt::format("{}: must not be empty", key));
    return std::nullopt;
  }
  const auto checked = check_output_name(*text);
  if (checked.problem) {
    switch (*checked.problem) {
    case OutputNameProblem::Empty:  // read above
    case OutputNameProblem::Absolute:
      errors.add(node, fmt::format("{}: must be a file name relative to log_dir, got {}", key, quote(*text)));
      break;
    case OutputNameProblem::LeavesLogDir:
      errors.add(node, fmt::format("{}: must stay inside log_dir (no \"..\"), got {}", key, quote(*text)));
      break;
    case OutputNameProblem::NotAFile:
      errors.add(node, fmt::format("{}: must name a file, got {}", key, quote(*text)));
      break;
    }
    return std::nullopt;
  }
  return OutputName{checked.file, pos_of(node)};
}

template <class T>
void take(std::optional<T>& into, const std::optional<T>& from) {
  if (from) into = *from;
}

// "~/app.env" or "-rel/app.env": absolute, the '-' kept in front.
std::string env_file_path(std::string_view entry, ReadContext& ctx) {
  const bool optional = entry.starts_with('-');
  if (optional) entry.remove_prefix(1);
  fs::path p = entry.starts_with('~') ? common::expand_home(std::string(entry), ctx.env) : fs::path(entry);
  if (p.is_relative()) p = ctx.base_dir / p;
  return (optional ? "-" : "") + p.lexically_normal().string();
}

// [defaults]' limits, then the job's: per name, as environment merges per variable.
void merge_limits(std::optional<std::vector<ResourceLimit>>& into, const std::vector<ResourceLimit>& job) {
  if (!into) into.emplace();
  for (const auto& l : job) {
    auto it = std::find_if(into->begin(), into->end(), [&](const ResourceLimit& x) { return x.name == l.name; });
    if (it != into->end()) *it = l;
    else into->push_back(l);
  }
  std::sort(into->begin(), into->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
}

void merge_cgroup(JobFields& into, const JobFields& job) {
  const auto pick = [&](unsigned bit, auto member) {
    if (job.cgroup_set & (1u << bit)) into.cgroup.*member = job.cgroup.*member;
  };
  pick(0, &CgroupLimits::memory_max);
  pick(1, &CgroupLimits::memory_high);
  pick(2, &CgroupLimits::cpu_max_percent);
  pick(3, &CgroupLimits::pids_max);
  into.cgroup_set |= job.cgroup_set;
}

}  // namespace

std::optional<fs::path> read_directory(const toml::node& node, std::string_view key, ReadContext& ctx) {
  auto text = read_string(node, key, ctx.errors);
  if (!text) return std::nullopt;
  if (text->empty()) {
    ctx.errors.add(node, fmt::format("{}: must not be empty", key));
    return std::nullopt;
  }
  fs::path p;
  if ((*text)[0] == '~') {
    if (*text != "~" && (*text)[1] != '/') {
      ctx.errors.add(node, fmt::format("{}: {} is not supported; write the full path (\"~\" and \"~/...\" "
                                       "are)", key, quote(text->substr(0, text->find('/')))));
      return std::nullopt;
    }
    p = common::expand_home(*text, ctx.env);  // HOME, else the passwd entry
    if (!p.empty() && p.native()[0] == '~') {
      ctx.errors.add(node, fmt::format("{}: cannot expand \"~\": HOME is not set", key));
      return std::nullopt;
    }
  } else {
    p = *text;
  }
  if (p.is_relative()) p = ctx.base_dir / p;
  return common::normal_dir(p);
}

JobFields read_job_fields(const toml::table& table, ReadContext& ctx) {
  Errors& errors = ctx.errors;
  check_known_keys(table, kJobKeys, errors);
  JobFields f;
  for (const auto& [k, node] : table) {
    const std::string_view key = k.str();
    if (key == "command") {
      f.command_present = true;
      f.command = read_command(node, errors);
    } else if (key == "shell") {
      f.shell = read_bool(node, key, errors);
    } else if (key == "directory") {
      f.directory = read_directory(node, key, ctx);
    } else if (key == "environment") {
      f.environment = read_environment(node, errors);
    } else if (key == "autostart") {
      f.autostart = read_bool(node, key, errors);
    } else if (key == "restart") {
      f.restart = read_restart(node, errors);
      f.restart_pos = pos_of(node);
    } else if (key == "start_secs") {
      f.start_secs = read_duration(node, key, errors);
    } else if (key == "start_retries") {
      if (const auto v = read_int(node, key, 0, 1'000'000, errors)) f.start_retries = static_cast<int>(*v);
    } else if (key == "backoff_initial") {
      f.backoff_initial = read_duration(node, key, errors);
    } else if (key == "backoff_max") {
      f.backoff_max = read_duration(node, key, errors);
    } else if (key == "fatal_retry_after") {
      f.fatal_retry_after = read_duration(node, key, errors);
      if (f.fatal_retry_after && f.fatal_retry_after->count() == 0) {  // 0 would be a crash loop
        errors.add(node, "fatal_retry_after: must be more than 0; leave it out to stay fatal");
        f.fatal_retry_after.reset();
      }
    } else if (key == "stop_signal") {
      f.stop_signal = read_signal(node, key, errors);
    } else if (key == "stop_timeout") {
      f.stop_timeout = read_duration(node, key, errors);
    } else if (key == "ignore_signals" || key == "forward_signals") {
      (key == "ignore_signals" ? f.ignore_signals : f.forward_signals) = read_signal_list(node, key, errors);
    } else if (key == "stdout" || key == "stderr") {
      (key == "stdout" ? f.stdout_file : f.stderr_file) = read_output(node, key, errors);
    } else if (key == "log_max_size") {
      f.log_max_size = read_size(node, key, errors);
    } else if (key == "log_keep") {
      if (const auto v = read_int(node, key, 0, 1000, errors)) f.log_keep = static_cast<int>(*v);
    } else if (key == "timestamps") {
      f.timestamps = read_timestamps(node, errors);
    } else if (key == "ready") {
      f.ready = read_ready(node, errors);
    } else if (key == "type") {
      f.type = read_type(node, errors);
    } else if (key == "depends_on") {
      f.depends_on = read_depends_on(node, errors);
    } else if (key == "health") {
      f.health = read_health(node, errors);
      f.health_pos = pos_of(k);
    } else if (key == "schedule") {
      f.schedule = read_schedule(node, errors);
      f.schedule_pos = pos_of(node);
    } else if (key == "env_file") {
      f.env_file = read_env_file(node, errors);
      f.env_file_pos = pos_of(node);
    } else if (key == "user" || key == "group") {
      (key == "user" ? f.user : f.group) = read_account(node, key, errors);
    } else if (key == "umask") {
      f.umask = read_umask(node, errors);
    } else if (key == "limits") {
      f.limits = read_limits(node, errors);
    } else if (key == "instances") {
      f.instances = read_instances(node, errors);
      f.instances_pos = pos_of(node);
    } else if (const auto* c = std::find(std::begin(kCgroupKeys), std::end(kCgroupKeys), key);
               c != std::end(kCgroupKeys)) {
      if (read_cgroup_limit(node, key, f.cgroup, errors)) f.cgroup_set |= 1u << (c - std::begin(kCgroupKeys));
    } else if (key == "every") {
      f.every = read_duration(node, key, errors);
      f.every_pos = pos_of(node);
      if (f.every && f.every->count() == 0) {
        errors.add(node, "every: must be more than 0");
        f.every.reset();
      }
    }
  }
  return f;
}

BuiltJob build_job(std::string name, Pos job_pos, const JobFields& defaults, const JobFields& job,
                   ReadContext& ctx) {
  JobFields m = defaults;  // merged: the job's keys win
  m.command_present = defaults.command_present || job.command_present;
  if (job.command_present) m.command = job.command;  // an invalid job command must not fall back
  take(m.shell, job.shell);
  take(m.directory, job.directory);
  if (job.environment) {  // per variable: [defaults] TZ and the job's own variables combine
    if (!m.environment) m.environment.emplace();
    for (const auto& [k, v] : *job.environment) (*m.environment)[k] = v;
  }
  take(m.autostart, job.autostart);
  take(m.restart, job.restart);
  take(m.start_secs, job.start_secs);
  take(m.start_retries, job.start_retries);
  take(m.backoff_initial, job.backoff_initial);
  take(m.backoff_max, job.backoff_max);
  take(m.fatal_retry_after, job.fatal_retry_after);
  take(m.stop_signal, job.stop_signal);
  take(m.stop_timeout, job.stop_timeout);
  take(m.ignore_signals, job.ignore_signals);
  take(m.forward_signals, job.forward_signals);
  take(m.stdout_file, job.stdout_file);
  take(m.stderr_file, job.stderr_file);
  take(m.log_max_size, job.log_max_size);
  take(m.log_keep, job.log_keep);
  take(m.timestamps, job.timestamps);
  take(m.ready, job.ready);
  take(m.type, job.type);
  if (job.env_file) {  // [defaults]' files first, so the job's own win
    if (!m.env_file) m.env_file.emplace();
    m.env_file->insert(m.env_file->end(), job.env_file->begin(), job.env_file->end());
    m.env_file_pos = job.env_file_pos;
  }
  take(m.user, job.user);
  take(m.group, job.group);
  take(m.umask, job.umask);
  if (job.limits) merge_limits(m.limits, *job.limits);
  merge_cgroup(m, job);

  BuiltJob out;
  JobSpec& s = out.spec;
  s.name = std::move(name);
  s.shell = m.shell.value_or(s.shell);
  if (!m.command_present) {
    ctx.errors.add(job_pos, fmt::format("job {}: command is required", quote(s.name)));
  } else if (m.command) {
    const auto& [value, pos] = *m.command;
    if (s.shell) {
      std::string text;
      if (const auto* str = std::get_if<std::string>(&value)) {
        text = *str;
      } else {
        const auto& words = std::get<std::vector<std::string>>(value);
        for (std::size_t i = 0; i < words.size(); ++i) text += (i ? " " : "") + words[i];
      }
      if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        ctx.errors.add(pos, "command: must not be empty");
      else
        s.argv = {"/bin/sh", "-c", std::move(text)};
    } else if (const auto* str = std::get_if<std::string>(&value)) {
      std::string why;
      if (auto argv = split_command(*str, why); !argv)
        ctx.errors.add(pos, fmt::format("command: {}", why));
      else if (argv->front().empty())
        ctx.errors.add(pos, "command: the program name must not be empty");
      else
        s.argv = std::move(*argv);
    } else {
      s.argv = std::get<std::vector<std::string>>(value);
    }
  }
  s.directory = m.directory.value_or(ctx.base_dir);
  if (m.environment) s.environment = *m.environment;
  s.autostart = m.autostart.value_or(s.autostart);
  s.restart = m.restart.value_or(s.restart);
  s.start_secs = m.start_secs.value_or(s.start_secs);
  s.start_retries = m.start_retries.value_or(s.start_retries);
  s.backoff_initial = m.backoff_initial.value_or(s.backoff_initial);
  s.backoff_max = m.backoff_max.value_or(s.backoff_max);
  if (m.fatal_retry_after) s.fatal_retry_after = *m.fatal_retry_after;
  s.stop_signal = m.stop_signal.value_or(s.stop_signal);
  s.stop_timeout = m.stop_timeout.value_or(s.stop_timeout);
  if (m.ignore_signals) s.ignore_signals = *m.ignore_signals;
  if (m.forward_signals) s.forward_signals = *m.forward_signals;
  s.log_max_size = m.log_max_size.value_or(s.log_max_size);
  s.log_keep = m.log_keep.value_or(s.log_keep);
  s.timestamps = m.timestamps.value_or(s.timestamps);
  s.ready = m.ready.value_or(s.ready);
  s.type = m.type.value_or(s.type);
  // A oneshot runs once: it is not restarted unless the job itself says so ([defaults]'
  // restart is meant for services).
  if (s.type == JobType::Oneshot) s.restart = job.restart.value_or(RestartPolicy::Never);
  out.restart_pos = job.restart ? job.restart_pos : job_pos;
  if (job.depends_on)
    for (const auto& [dependency, pos] : *job.depends_on) {
      s.depends_on.push_back(dependency);
      out.depends_pos.push_back(pos);
    }
  s.health = job.health;
  out.health_pos = job.health_pos;
  if (job.schedule) s.schedule = *job.schedule;
  out.schedule_pos = job.schedule_pos;
  s.every = job.every;
  out.every_pos = job.every_pos;
  // A scheduled job runs at its times; at supd's start too only when the job itself says so.
  if ((job.schedule || job.every) && !job.autostart) s.autostart = false;

  if (m.env_file) {
    for (const auto& entry : *m.env_file) s.env_file.push_back(env_file_path(entry, ctx));
    // Read now too, so --check and a reload name a missing file or a bad line before a start does.
    std::vector<std::string> problems;
    read_env_files(s.env_file, problems);
    for (const auto& p : problems) ctx.errors.add(m.env_file_pos, fmt::format("env_file: {}", p));
  }
  s.user = m.user.value_or("");
  s.group = m.group.value_or("");
  s.umask = m.umask;
  if (m.limits) s.limits = *m.limits;
  s.cgroup = m.cgroup;
  out.instances = job.instances;
  out.instances_pos = job.instances_pos;

  out.stdout_pos = out.stderr_pos = job_pos;
  out.command_pos = m.command ? m.command->pos : job_pos;
  if (m.stdout_file) {
    s.stdout_file = m.stdout_file->file;
    out.stdout_pos = m.stdout_file->pos;
  } else {
    s.stdout_file = s.name + ".out";
    out.stdout_defaulted = true;
  }
  if (m.stderr_file && m.stderr_file->file != s.stdout_file) {  // the same file is just "merged"
    s.stderr_file = m.stderr_file->file;
    out.stderr_pos = m.stderr_file->pos;
  }
  return out;
}

}  // namespace supd::config::detail
