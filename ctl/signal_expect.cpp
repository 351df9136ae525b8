#include "ctl/signal_expect.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/exit_status.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/expect.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often the job is checked for having exited: a status round trip on a local socket.
constexpr milliseconds kPollInterval{100};
// After the job is seen gone, how long its last output may still be on its way: supd copies
// the pipe to the log before it records the exit, but the follower's socket is written apart
// from the status answer.
constexpr milliseconds kDrainQuiet{300};

int fail(std::ostream& err, int code, const std::string& message) {
  err << "supctl: " << one_line(message) << '\n';
  err.flush();
  return code;
}

// One piece of the follow stream: its text, or that the stream ended ({"eof": true}).
struct FollowPiece {
  std::string text;
  bool ended = false;
};
std::optional<FollowPiece> follow_piece(const Reply& reply, std::string& problem) {
  if (const auto* e = std::get_if<proto::Error>(&reply.response.body)) {
    problem = error_text(*e);
    return std::nullopt;
  }
  const auto& result = std::get<nlohmann::json>(reply.response.body);
  FollowPiece p;
  if (const auto r = proto::Logs::Reply::from_json(result)) p.text = r->text.value_or("");
  p.ended = !proto::has_more(result);
  return p;
}

// Whether the job still runs the process the signal went to; `why` says how it ended.
bool still_running(Client& main, const std::string& job, int pid, Timeout request, std::string& why) {
  const auto reply = main.call(proto::Status{{job}}, request);
  if (const auto* e = std::get_if<proto::Error>(&reply.response.body)) {
    why = error_text(*e);
    return false;
  }
  const auto status = proto::Status::Reply::from_json(std::get<nlohmann::json>(reply.response.body));
  if (!status || status->jobs.empty()) return true;  // nothing to judge by; the timeout still ends it
  const auto& j = status->jobs.front();
  if (j.pid && *j.pid == pid) return true;
  if (j.last_exit) why = common::describe(*j.last_exit);
  else why = "state " + j.state;
  if (j.pid) why += fmt::format("; it runs again as pid {}", *j.pid);
  return false;
}

}  // namespace

int run_signal_expect(Client& main, const ParsedCli& cli, Timeout connect, Timeout request, std::ostream& out,
                      std::ostream& err) {
  const auto& sig = std::get<proto::SignalJob>(cli.command);
  const std::string pattern = cli.flags.expect.value_or("");
  const auto matcher = LineMatcher::compile(pattern);
  if (!matcher) return fail(err, kUsage, fmt::format("invalid --expect regex '{}'", printable(pattern)));
  Timeout wait = milliseconds(kDefaultTimeout);
  if (cli.options.timeout) wait = cli.options.timeout->count() > 0 ? Timeout(*cli.options.timeout) : std::nullopt;

  // 1. Follow the log from its current end. supd registers the follower before it sends the
  //    first answer, so every byte written after that answer reaches us.
  auto follower = Client::connect(main.socket(), connect);
  proto::Logs logs;
  logs.job = sig.job;
  logs.lines = 0;
  logs.follow = true;
  std::string problem;
  const auto first = follow_piece(follower.call(logs, request), problem);
  if (!first) return fail(err, kFailed, problem);
  if (first->ended) return fail(err, kFailed, "supd ended the log stream at once; see: supctl status");

  // 2. The signal.
  const auto sent = main.call(sig, request);
  if (const auto* e = std::get_if<proto::Error>(&sent.response.body)) return fail(err, kFailed, error_text(*e));
  const auto signalled = proto::SignalJob::Reply::from_json(std::get<nlohmann::json>(sent.response.body));
  const int pid = signalled ? signalled->pid : 0;

  // 3. New lines until one matches, the job is gone, or the time is up.
  const auto matched = [&](const std::string& line) {
    if (cli.options.json)
      out << nlohmann::json{{"job", sig.job}, {"signal", sig.signal}, {"pid", pid}, {"line", line}}.dump() << '\n';
    else
      out << line << '\n';
    out.flush();
    return out ? kOk : fail(err, kFailed, "cannot write to standard output");
  };
  const auto deadline = wait ? std::optional(Clock::now() + *wait) : std::nullopt;
  LineAssembler lines;
  bool printed = false;  // any new output at all: none suggests it sits in the job's own buffer
  auto next_poll = Clock::now() + kPollInterval;
  std::optional<std::string> gone;                // set once the job was seen exited
  std::optional<Clock::time_point> drain_until;   // then: read what is left until quiet
  for (;;) {
    const auto now = Clock::now();
    if (drain_until && now >= *drain_until) break;
    if (!drain_until && deadline && now >= *deadline) break;
    auto until = drain_until ? *drain_until : std::min(next_poll, deadline.value_or(next_poll));
    const auto slice = std::max(milliseconds(1), std::chrono::ceil<milliseconds>(until - now));
    std::optional<Reply> reply;
    try {
      reply = follower.next(slice);
      if (!reply) {
        gone = gone.value_or("supd closed the log stream (it exited?)");
        break;
      }
    } catch (const ClientFailure& e) {
      if (e.kind() != ClientFailure::Kind::TimedOut) throw;
    }
    if (reply) {
      const auto piece = follow_piece(*reply, problem);
      if (!piece) return fail(err, kFailed, problem);
      printed = printed || !piece->text.empty();
      for (const auto& line : lines.feed(piece->text))
        if (matcher->matches(line)) return matched(line);
      if (piece->ended) {
        gone = gone.value_or("supd ended the log stream (it is shutting down)");
        break;
      }
      if (drain_until) drain_until = Clock::now() + kDrainQuiet;  // still coming: keep reading
    }
    if (!drain_until && Clock::now() >= next_poll) {
      std::string why;
      if (!still_running(main, sig.job, pid, request, why)) {
        gone = why;
        drain_until = Clock::now() + kDrainQuiet;
      }
      next_poll = Clock::now() + kPollInterval;
    }
  }
  // An unfinished last line counts once nothing more can come.
  if (!lines.partial().empty() && matcher->matches(lines.partial())) return matched(lines.partial());
  if (gone)
    return fail(err, kFailed,
                fmt::format("job '{}' exited before a line matched '{}' after {} ({}); see: supctl logs {}", sig.job,
                            printable(pattern), sig.signal, *gone, sig.job));
  return fail(err, kNoMatch,
              fmt::format("sent {} to job '{}' (pid {}), but no new line matched '{}' within {}{}; see: supctl logs {}",
                          sig.signal, sig.job, pid, printable(pattern), describe_timeout(wait),
                          printed ? "" : std::string(" (it wrote nothing at all: ") + std::string(kBufferedHint) + ")",
                          sig.job));
}

}  // namespace supd::ctl
