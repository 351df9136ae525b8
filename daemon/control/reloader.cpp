#include "daemon/control/reloader.hpp"

#include <fstream>
#include <memory>
#include <sstream>

#include <asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/names.hpp"
#include "config/load.hpp"
#include "config/persist.hpp"
#include "daemon/control/notify.hpp"

namespace supd::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

protocol::Reload::Field field_of(const config::FieldChange& f) {
  return {f.field, f.old_value, f.new_value, f.restart};
}

std::vector<std::string> error_lines(const config::LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(config::to_string(e));
  return out;
}

}  // namespace

std::string_view to_string(Supervisor::ReloadStep step) {
  using RS = Supervisor::ReloadStep;
  switch (step) {
  case RS::Start: return "start";
  case RS::NotStarted: return "not started";
  case RS::Stop: return "stop";
  case RS::Restart: return "restart";
  case RS::NextStart: return "next start";
  case RS::InPlace: return "in place";
  case RS::Nothing: break;
  }
  return "none";
}

protocol::Reload::Reply to_reply(const ReloadOutcome& o) {
  protocol::Reload::Reply r{o.dry_run, o.applied, {}, {}, o.warnings, o.errors, {}};
  for (std::size_t i = 0; i < o.diff.jobs.size(); ++i) {
    const auto& d = o.diff.jobs[i];
    protocol::Reload::Job job{d.name, std::string(config::to_string(d.change)), d.needs_restart(), {},
                              i < o.steps.size() ? std::string(to_string(o.steps[i])) : std::string()};
    for (const auto& f : d.fields) job.fields.push_back(field_of(f));
    r.jobs.push_back(std::move(job));
  }
  for (const auto& f : o.diff.supd) r.supd.push_back(field_of(f));
  return r;
}

Reloader::~Reloader() {
  if (worker_.joinable()) worker_.join();  // its post goes to a loop that no longer runs
}

config::LoadResult Reloader::read_config() const {
  config::LoadResult loaded;
  if (!explicit_ && !std::filesystem::exists(path_)) {
    loaded.config = config::Config{};  // as at start-up: no default config file, no jobs
  } else {
    loaded = config::load_config(path_, common::system_getenv, mode_check_);
  }
  return loaded;
}

void Reloader::reload_async(bool dry_run, Done done) {
  queue_.push_back({dry_run, std::move(done)});
  if (!in_flight_) start_next();
}

void Reloader::start_next() {
  if (queue_.empty()) return;
  in_flight_ = true;
  // RELOADING=1 ... READY=1 around every real reload, a refused one too: under
  // Type=notify-reload `systemctl reload` waits for them either way.
  if (!queue_.front().dry_run) notifier_.reloading();
  if (worker_.joinable()) worker_.join();  // the last one has posted already: this is immediate
  worker_ = std::thread([this] {
    auto loaded = std::make_shared<config::LoadResult>(read_config());
    asio::post(io_, [this, loaded] {
      finish(std::move(*loaded));
      hub_.changed();  // the loop re-arms its deadlines and answers its waiters as after any event
    });
  });
}

void Reloader::finish(config::LoadResult loaded) {
  Pending done = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = false;
  ReloadOutcome outcome;
  if (sup_.shutting_down() && !done.dry_run) {  // it began while the file was being read
    outcome.errors.push_back("supd began shutting down while the config was read; nothing changed");
    notifier_.ready(sup_.summary());
  } else {
    outcome = settle(done.dry_run, std::move(loaded), Clock::now());
  }
  if (done.done) done.done(std::move(outcome));
  start_next();
}

ReloadOutcome Reloader::settle(bool dry_run, config::LoadResult loaded, TimePoint now) {
  ReloadOutcome out;
  out.dry_run = dry_run;
  const auto ready = [&] {
    if (!dry_run) notifier_.ready(sup_.summary());
  };
  if (!loaded.errors.empty()) {
    out.errors = error_lines(loaded);
    spdlog::error("reload: {} has {} error(s); nothing changed", path_.string(), out.errors.size());
    for (const auto& e : out.errors) spdlog::error("reload: {}", e);
    ready();
    return out;
  }
  const config::Config& next = *loaded.config;
  for (const auto& w : loaded.warnings) out.warnings.push_back(config::to_string(w));  // shown as "note:" lines
  out.diff = sup_.plan_reload(next);
  out.steps = sup_.reload_steps(out.diff, next);  // before applying: from the states it finds
  for (const auto& f : out.diff.supd)  // only log_dir today
    out.warnings.push_back(fmt::format("{} changed ({} -> {}); supd keeps writing to {} until it restarts",
                                       f.field, f.old_value, f.new_value, sup_.log_dir().string()));
  if (dry_run) {
    spdlog::info("reload --dry-run of {}: {}", path_.string(), out.diff.has_changes() ? "changes shown" : "no changes");
    return out;
  }
  spdlog::info("reload: applying {}{}", path_.string(), out.diff.has_changes() ? "" : ": no changes");
  for (const auto& w : out.warnings) spdlog::warn("reload: {}", w);
  sup_.apply_reload(next, out.diff, now);
  out.applied = true;
  hub_.config_applied();
  ready();
  return out;
}

std::variant<protocol::Persist::Reply, Error> Reloader::persist(const std::string& name) {
  const Job* job = sup_.find(name);
  if (job == nullptr || job->life.removing)
    return Error{ErrorCode::UnknownJob, common::unknown_job_message(name, sup_.job_names())};
  if (job->from_config())
    return Error{ErrorCode::BadRequest,
                 fmt::format("job '{}' is already in the config file; persist is for jobs started with supctl run",
                             name)};
  const auto& req = *job->life.run_request;

  std::string old_text;
  const bool created = !std::filesystem::exists(path_);
  if (!created) {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof())
      return Error{ErrorCode::ConfigError, fmt::format("cannot read {}; check its permissions", path_.string())};
    old_text = ss.str();
  }
  const auto text = config::append_job(
      old_text, {name, req.argv, job->spec.directory.string(), req.environment, req.restart, req.stdout_file});
  // The new text must parse, and define this job, before it replaces the file.
  config::LoadOptions options;
  options.base_dir = path_.parent_path();
  const auto parsed = config::parse_config(text, path_.string(), options);
  if (!parsed.errors.empty())
    return Error{ErrorCode::ConfigError,
                 fmt::format("the config with job '{}' added would not parse ({}); nothing written; fix {} first",
                             name, config::to_string(parsed.errors.front()), path_.string())};
  const config::JobSpec* spec = parsed.config->find(name);
  if (spec == nullptr) return Error{ErrorCode::Internal, "the persisted job did not parse back"};

  if (created) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
  }
  if (const auto err = common::write_file_atomically(path_, text); !err.empty())
    return Error{ErrorCode::ConfigError, err + "; nothing changed"};
  spdlog::info("persist: job {} appended to {}{}", name, path_.string(), created ? " (created)" : "");
  // Only what `run` was given was written: any other difference is the file's [defaults].
  protocol::Persist::Reply answer{name, path_.string(), created, {}};
  for (const auto& f : config::diff_job(job->spec, *spec)) answer.from_defaults.push_back(field_of(f));
  sup_.adopt_into_config(*job, *spec);
  return answer;
}

}  // namespace supd::daemon
