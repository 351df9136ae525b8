// `supctl reload [--dry-run] [--no-wait]`: what changed per job and what was done about it,
// then (as `start` does) a wait for the jobs it started or restarted; exit 1 when one of them
// failed to start. A config with errors is refused as a whole: every error on its own
// stderr line, as `supd --check` prints them, then one line saying nothing changed.
#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_reload(std::span<const std::string>, const SubcommandFlags& f) {
  return proto::Reload{f.dry_run, !f.dry_run && !f.no_wait};
}

// The answer is printed as any other (nothing for a refused reload, or its --json document);
// the refusal is then the error line and exit 1.
int run_reload(Session& session) {
  auto client = session.connect();
  const auto reply = client.call(session.cli.command, session.limits.request);
  if (const int code = session.show(reply); code != kOk) return code;
  const auto result = proto::Reload::Reply::from_json(std::get<nlohmann::json>(reply.response.body));
  if (!result) return kOk;
  if (!result->errors.empty()) {
    for (const auto& e : result->errors) session.err << one_line(e) << '\n';
    return session.fail(kFailed, fmt::format("reload refused, nothing changed: {} error(s) in the config; fix them "
                                             "and reload again",
                                             result->errors.size()));
  }
  if (result->failed.empty()) return kOk;
  std::string all;
  for (const auto& f : result->failed) all += (all.empty() ? "" : "; ") + one_line(f);
  return session.fail(kFailed, fmt::format("reload applied, but {} job(s) did not start: {}; see: supctl why JOB",
                                           result->failed.size(), all));
}

constexpr Subcommand kReloadRows[] = {{
    .name = "reload",
    .synopsis = "[--dry-run] [--no-wait]",
    .help = "re-read the config file, show what changed per job, apply it and wait for the jobs it starts "
            "(--dry-run: only show)",
    .min_args = 0,
    .max_args = 0,
    .options = kOptDryRun | kOptNoWait,
    .build = build_reload,
    .run = run_reload,
    .rank = 120,
    .document = true,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Reload>) { return kReloadRows; }

bool waits(const proto::Reload& command) { return command.wait; }

// "+ web: added", "- old: removed", "amsa: changed command (restart)", one line per job that
// changed (unchanged ones are left out), what was done when the diff alone would mislead
// ("(takes effect at its next start)" for a job with no process to restart),
// "no changes" when none, warnings as "note: ...", and "(dry run: nothing was changed)" after
// a dry run. A refused reload prints nothing here.
std::optional<std::string> render(const proto::Reload&, const proto::Reload::Reply& reply) {
  if (!reply.errors.empty()) return std::string();  // refused: the errors go to stderr
  std::string out;
  for (const auto& job : reply.jobs) {
    const auto name = one_line(job.name);
    if (job.change == "added") {
      out += fmt::format("+ {}: added\n", name);
    } else if (job.change == "removed") {
      out += fmt::format("- {}: removed\n", name);
    } else if (job.change == "changed") {
      std::string fields;
      bool restart = false;
      for (const auto& f : job.fields) {
        fields += (fields.empty() ? "" : ", ") + one_line(f.field);
        restart = restart || f.restart;
      }
      // An older supd sends no action: the diff's own word then.
      const std::string_view how = job.action == "next start" ? "takes effect at its next start"
                                   : job.action == "in place" || (job.action.empty() && !restart) ? "in place"
                                                                                                  : "restart";
      out += fmt::format("{}: changed {} ({})\n", name, fields, how);
    }
  }
  for (const auto& f : reply.supd)
    out += fmt::format("[supd] {}: {} -> {}\n", one_line(f.field), one_line(f.old_value), one_line(f.new_value));
  if (out.empty()) out = "no changes\n";
  for (const auto& w : reply.warnings) out += fmt::format("note: {}\n", one_line(w));
  if (reply.dry_run) out += "(dry run: nothing was changed)\n";
  return out;
}

}  // namespace supd::ctl
