// `supctl stats [JOB...]`: what each job's processes use now, as supd reads it from /proc.
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_stats(std::span<const std::string> args, const SubcommandFlags&) {
  auto jobs = job_list(args);
  if (jobs == std::vector<std::string>{"all"}) jobs.clear();  // empty = every job
  return proto::Stats{std::move(jobs)};
}

constexpr Subcommand kStatsRows[] = {{
    .name = "stats",
    .synopsis = "[JOB...]",
    .help = "CPU time, CPU% (over the last second when asked every second), RSS and processes of each job's "
            "whole group or cgroup",
    .min_args = 0,
    .max_args = kMany,
    .build = build_stats,
    .rank = 15,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Stats>) { return kStatsRows; }

bool waits(const proto::Stats&) { return false; }

std::optional<std::string> render(const proto::Stats&, const proto::Stats::Reply& reply) {
  return render_stats_table(reply.jobs);
}

}  // namespace supd::ctl
