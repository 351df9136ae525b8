#include "ctl/merged_logs.hpp"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <variant>

#include <fmt/format.h>

#include "ctl/exit_codes.hpp"
#include "ctl/log_merge.hpp"
#include "ctl/render.hpp"
#include "ctl/session.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

// One log being read: its source, its connection (with -f: one each), its partial line.
struct Stream {
  LogSource source;
  bool optional = false;  // the stderr file tried for every job: a job without one is left out
  std::optional<Client> client;
  TimedLineAssembler lines;
  bool done = false;
};

proto::Logs request_for(const proto::Logs& asked, const LogSource& source) {
  proto::Logs r = asked;
  r.job = source.job;
  r.from_stderr = source.from_stderr;
  r.timestamps = true;  // each line's time, to merge by; taken off again unless -t asked
  return r;
}

// The jobs named, or every job for `all`.
std::vector<std::string> job_names(Session& session, Client& client) {
  const auto& args = session.cli.args;
  if (!(args.size() == 1 && args[0] == "all")) return args;
  const auto reply = client.call(proto::Status{}, session.limits.request);
  if (const auto* error = std::get_if<proto::Error>(&reply.response.body))
    throw ClientFailure(ClientFailure::Kind::Refused, error_text(*error));
  const auto* body = std::get_if<nlohmann::json>(&reply.response.body);
  const auto jobs = body != nullptr ? proto::Status::Reply::from_json(*body) : std::nullopt;
  if (!jobs) throw ClientFailure(ClientFailure::Kind::BadReply, "supd sent a status result supctl cannot read");
  std::vector<std::string> names;
  for (const auto& j : jobs->jobs) names.push_back(j.name);
  return names;
}

// Each job's stdout log and its own stderr file where it has one; only the stderr files
// with --stderr.
std::vector<Stream> streams_for(const std::vector<std::string>& names, bool only_stderr) {
  std::vector<Stream> streams;
  for (const auto& name : names) {
    if (!only_stderr) streams.push_back({{name, false}, false, std::nullopt, {}, false});
    streams.push_back({{name, true}, !only_stderr, std::nullopt, {}, false});
  }
  return streams;
}

std::string json_line(const LogSource& source, const TimedLine& line) {
  nlohmann::json j = {{"job", source.job},
                      {"stderr", source.from_stderr},
                      {"time", line.time == "-" ? nlohmann::json(nullptr) : nlohmann::json(line.time)},
                      {"text", line.text}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

class Printer {
public:
  Printer(Session& session, const std::vector<Stream>& streams)
      : session_(session), prefixes_(sources_of(streams), colour(session)) {}

  // `lines` of stream `index`, as the user asked: prefixed text or one JSON document each.
  int print(std::size_t index, const LogSource& source, const std::vector<TimedLine>& lines) {
    std::string out;
    for (const auto& line : lines)
      out += session_.cli.options.json ? json_line(source, line)
                                       : prefixes_.line(index, line, session_.cli.flags.timestamps);
    return out.empty() ? kOk : session_.print(out);
  }

private:
  static std::vector<LogSource> sources_of(const std::vector<Stream>& streams) {
    std::vector<LogSource> out;
    for (const auto& s : streams) out.push_back(s.source);
    return out;
  }
  static bool colour(const Session& session) {
    return !session.cli.options.json && want_colour(::isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
  }

  Session& session_;
  LinePrefixes prefixes_;
};

// One piece of a logs answer that is not an error: its text, and whether more follow (an end
// mark, or the last piece of a plain read, says not). Throws BadReply for what it cannot read.
struct Piece {
  std::string text;
  bool more = false;
};
Piece piece_of(const Reply& reply) {
  const auto* body = std::get_if<nlohmann::json>(&reply.response.body);
  const auto piece = body != nullptr ? proto::Logs::Reply::from_json(*body) : std::nullopt;
  if (!piece) throw ClientFailure(ClientFailure::Kind::BadReply, "supd sent a logs result supctl cannot read");
  return {piece->text.value_or(""), !piece->eof && proto::has_more(*body)};
}

// The first answer to a log's request: its first piece's text, or nullopt when supd said no
// to an optional stream (left out). Another refusal throws.
std::optional<std::string> first_piece(Stream& stream, Client& client, const proto::Logs& asked, Session& session,
                                       bool& more) {
  const auto reply = client.call(request_for(asked, stream.source), session.limits.request);
  if (const auto* error = std::get_if<proto::Error>(&reply.response.body)) {
    if (stream.optional && error->code == proto::ErrorCode::BadRequest) return std::nullopt;
    throw ClientFailure(ClientFailure::Kind::Refused, error_text(*error));
  }
  auto piece = piece_of(reply);
  more = piece.more;
  return std::move(piece.text);
}

// Without -f: every log's tail in turn on one connection, then all of it merged by time.
int print_history(Session& session, Client& client, std::vector<Stream> streams, const proto::Logs& asked) {
  std::vector<std::vector<TimedLine>> lines;
  std::vector<Stream> kept;
  for (auto& stream : streams) {
    bool more = false;
    auto text = first_piece(stream, client, asked, session, more);
    if (!text) continue;
    auto got = stream.lines.feed(*text);
    while (more) {
      auto next = client.next(session.limits.request);
      if (!next) throw ClientFailure(ClientFailure::Kind::Unreachable, "supd closed the connection in the middle of the log");
      const auto piece = piece_of(*next);
      for (auto& l : stream.lines.feed(piece.text)) got.push_back(std::move(l));
      more = piece.more;
    }
    for (auto& l : stream.lines.finish()) got.push_back(std::move(l));
    lines.push_back(std::move(got));
    kept.push_back(std::move(stream));
  }
  Printer printer(session, kept);
  for (const auto& m : merge_by_time(lines))
    if (const int code = printer.print(m.source, kept[m.source].source, {m.line}); code != kOk) return code;
  return kOk;
}

// With -f: a connection per log; the tails merged by time, then each line as it comes.
int follow(Session& session, std::vector<Stream> streams, const proto::Logs& asked) {
  if (streams.size() > kMaxFollowedLogs)
    return session.fail(kFailed, fmt::format("logs -f follows at most {} logs at once and this asks for {} "
                                             "(stdout and stderr files count apart); name fewer jobs",
                                             kMaxFollowedLogs, streams.size()));
  std::vector<std::vector<TimedLine>> tails;
  std::vector<Stream> kept;
  for (auto& stream : streams) {
    Client client = session.connect(false);
    bool more = false;
    auto text = first_piece(stream, client, asked, session, more);
    if (!text) continue;
    stream.client.emplace(std::move(client));
    stream.done = !more;
    tails.push_back(stream.lines.feed(*text));
    kept.push_back(std::move(stream));
  }
  Printer printer(session, kept);
  for (const auto& m : merge_by_time(tails))
    if (const int code = printer.print(m.source, kept[m.source].source, {m.line}); code != kOk) return code;

  bool cut = false;  // a stream that ended without supd's end mark
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < kept.size(); ++i)
      if (!kept[i].done) {
        fds.push_back({kept[i].client->fd(), POLLIN, 0});
        which.push_back(i);
      }
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR
    for (std::size_t f = 0; f < fds.size(); ++f) {
      if (fds[f].revents == 0) continue;
      auto& stream = kept[which[f]];
      try {
        while (auto reply = stream.client->next_now()) {
          const auto piece = piece_of(*reply);
          if (const int code = printer.print(which[f], stream.source, stream.lines.feed(piece.text)); code != kOk)
            return code;
          if (!piece.more) {
            stream.done = true;
            break;
          }
        }
      } catch (const ClientFailure&) {
        stream.done = true;
        cut = true;
      }
      if (stream.done)
        if (const int code = printer.print(which[f], stream.source, stream.lines.finish()); code != kOk) return code;
    }
  }
  if (cut) return session.fail(kOk, "the log streams ended without supd's end mark (supd exited or was killed)");
  return kOk;
}

}  // namespace

bool wants_merged_logs(const ParsedCli& cli) {
  return cli.args.size() > 1 || (cli.args.size() == 1 && cli.args[0] == "all");
}

int run_merged_logs(Session& session) {
  const auto& asked = std::get<proto::Logs>(session.cli.command);
  std::vector<Stream> streams;
  {
    Client client = session.connect(false);
    streams = streams_for(job_names(session, client), asked.from_stderr);
    if (!asked.follow) return print_history(session, client, std::move(streams), asked);
  }  // -f: a connection per log, and this one closed
  return follow(session, std::move(streams), asked);
}

}  // namespace supd::ctl
