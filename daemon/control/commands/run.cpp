// `run`: an ad-hoc job built by config/ as the file's jobs are, started at once; answered
// once it settles (unless --no-wait).
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/log_text.hpp"
#include "common/names.hpp"
#include "config/run_job.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Run& command, Call& call) {
  using protocol::ErrorCode;
  const auto id = call.id;
  Supervisor& sup = call.sup;
  if (sup.shutting_down())
    return fail(id, ErrorCode::ShuttingDown, "supd is shutting down and starts nothing; start supd again first");
  if (!protocol::is_valid_job_name(command.name))
    return fail(id, ErrorCode::InvalidName,
                fmt::format("'{}' is not a valid job name (letters, digits, '_', '.', '-')", command.name));
  if (common::is_reserved_job_name(command.name))
    return fail(id, ErrorCode::InvalidName, common::reserved_job_name_message(command.name));
  // The config's rule, checked here, so that `persist` can never meet a name `run` took.
  for (const auto& [name, value] : command.environment)
    if (const auto problem = common::environment_name_problem(name))
      return fail(id, ErrorCode::BadRequest,
                  fmt::format("invalid environment variable name '{}' ({}); write --env NAME=VALUE",
                              common::escape_control(name), *problem));
  if (const Job* old = sup.find(command.name)) {
    // An ad-hoc job that has finished (exited, fatal, stopped) makes room; anything else stays.
    const bool idle = !old->rt.main_alive && old->process.pgid == 0 && is_settled(old->rt.state) &&
                      old->rt.state != JobState::Running;
    if (old->from_config() || old->life.removing || !idle)
      return fail(id, ErrorCode::JobExists,
                  fmt::format("job '{}' already exists; pick another name or supctl stop/start it", command.name));
    sup.erase_job(command.name);
  }
  std::string problem;
  auto built = config::run_job_spec(command, problem);
  if (!built) return fail(id, ErrorCode::BadRequest, problem);
  config::JobSpec spec = std::move(*built);
  // Two jobs writing one file would interleave and rotate it twice: refused, as the config does.
  const auto same_file = [&](const std::string& a) {
    return std::filesystem::path(a).lexically_normal() == std::filesystem::path(spec.stdout_file).lexically_normal();
  };
  for (const auto& other : sup.jobs())
    if (same_file(other.spec.stdout_file) || (other.spec.stderr_file && same_file(*other.spec.stderr_file)))
      return fail(id, ErrorCode::BadRequest,
                  fmt::format("{} is already written by job '{}'; choose another file with --stdout", spec.stdout_file,
                              other.spec.name));
  const Origin who = peer_origin(call.peer);
  spdlog::info("run: ad-hoc job {} added by {}: {} (in {})", command.name, who.describe(),
               fmt::join(command.argv, " "), command.directory);  // control bytes escaped by supd's log sink
  const Job& job = sup.add_run_job(std::move(spec), command);
  sup.start(job, who, call.now);  // job may move with the next add: only its name is kept
  return call.handlers.answer_when_settled(call, Handlers::WaitKind::Run, {command.name}, command.wait);
}

}  // namespace supd::daemon
