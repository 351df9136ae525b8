// `supctl events [JOB] [-n N] [-f]`: the event history; with -f each new event from now on
// (after the last N with -n N).
#include <fmt/format.h>

#include "common/event.hpp"
#include "ctl/command_list.hpp"
#include "ctl/render.hpp"
#include "ctl/stream.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

proto::Command build_events(std::span<const std::string> args, const SubcommandFlags& f) {
  proto::Events ev;
  if (!args.empty()) {
    check_job_name(args[0]);
    ev.job = args[0];
  }
  if (f.lines && *f.lines < 0)
    throw UsageError(fmt::format("invalid -n {}: give a number of events >= 0", *f.lines));
  // -f follows from now, as `tail -f` of a long log would not replay it all: no history unless
  // -n asks for some. Said in the request (limit 0), so an older supd follows from now too.
  ev.limit = f.follow && !f.lines ? std::optional<int>(0) : f.lines;
  ev.follow = f.follow;
  return ev;
}

// Every piece of the history as it arrives, then (with -f) each new event.
int run_events(Session& session) {
  static constexpr StreamWords kWords{
      "supd sent an events result supctl cannot read; use the supctl that came with this supd",
      "supd closed the connection in the middle of the history",
      "the event stream ended without supd's end mark (supd exited, or this follower fell too far behind)"};
  return stream_replies(session, std::get<proto::Events>(session.cli.command).follow, render_events_json, kWords);
}

constexpr Subcommand kEventsRows[] = {{
    .name = "events",
    .synopsis = "[JOB] [-n N] [-f]",
    .help = "the event history (transitions, signals, exits), all jobs merged or one; -f streams new ones (-n N: the last N first)",
    .min_args = 0,
    .max_args = 1,
    .options = kOptEvents,
    .build = build_events,
    .run = run_events,
    .rank = 90,
}};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Events>) { return kEventsRows; }

bool waits(const proto::Events&) { return false; }

// One line per event, "2026-11-25T17:20:01.123 amsa running -> stopping: ..." (local time).
std::optional<std::string> render(const proto::Events&, const proto::Events::Reply& reply) {
  std::string out;  // the end mark has no events: nothing printed
  for (const auto& e : reply.events) out += common::format_local(e.time) + " " + one_line(common::describe(e)) + "\n";
  return out;
}

}  // namespace supd::ctl
