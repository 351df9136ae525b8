// `logs`: a job's last lines (read from the files as the client drains them), with times or
// since a time from the side index, then with follow every chunk supd writes to the file;
// or `--reopen`: every log file reopened.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/time_format.hpp"
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_times.hpp"
#include "daemon/output/tail_reader.hpp"

namespace supd::daemon {
namespace {

using protocol::ErrorCode;
using Piece = protocol::Logs::Reply;

constexpr std::size_t kMaxTailBytes = 1 << 20;   // what `logs -n N` returns at most
constexpr std::size_t kMaxSinceBytes = 16 << 20;  // how far back `logs --since` reads
// Per response line of a tail: even if every byte needs a 6-byte JSON escape, a frame stays
// well under the 1 MiB cap, and a client that reads nothing holds little.
constexpr std::size_t kTailPieceBytes = 64 << 10;

std::string text_piece(std::uint64_t id, std::string text, bool more) {
  return protocol::encode_response(protocol::reply(id, Piece{std::move(text), std::nullopt, false, more}));
}

// The frames of a tail held as text (`--timestamps`, `--since`), cut on whole characters.
FrameSource text_frames(std::uint64_t id, std::string text) {
  return [id, text = std::move(text), at = std::size_t{0}](bool& last) mutable {
    std::string_view rest = std::string_view(text).substr(at);
    std::size_t n = rest.size();
    if (n > kTailPieceBytes) n = utf8_cut(rest.substr(0, kTailPieceBytes));
    at += n;
    last = at >= text.size();
    std::string piece = text_piece(id, std::string(rest.substr(0, n)), !last);
    if (last) std::string().swap(text);
    return piece;
  };
}

// Reads the tail from files opened now (so it is the tail as of this turn) on supd's worker
// for long reads, and gives `done` the text on the loop, or an error's message.
void read_timed_tail(LogService* logs, const std::filesystem::path& path, int keep, const TimedTailRequest& timed,
                     std::function<void(std::string text, std::string error)> done) {
  auto files = std::make_shared<std::vector<OpenedLogFile>>(open_tail_files(path, keep, !timed.prefixed));
  auto read = [files, timed, done = std::move(done)]() -> LogService::LoopStep {
    std::string text, error;
    try {
      text = timed_tail(*files, timed);
    } catch (const std::exception& e) {  // bad_alloc: this client gets an error, supd goes on
      error = fmt::format("reading {}: {}", files->empty() ? "the log" : files->front().name, e.what());
    }
    return [done, text = std::move(text), error = std::move(error)]() mutable { done(std::move(text), error); };
  };
  if (logs == nullptr) return read()();  // unit tests without output capture: at once
  logs->read_aside(std::move(read));
}

// Follow: the follow begins in the same turn as the tail's files are opened, so no line falls
// between them and none comes twice; the chunks supd writes while the tail is still being
// read wait behind it. Then every chunk supd copies from the job's pipe into this file, as it
// writes it, so rotation makes no gap and no repeat. Ends with {"eof": true} when supd shuts
// down.
struct FollowGate {
  bool open = false;                // the tail is sent: chunks go straight out
  bool ended = false;               // supd shut down before the tail was sent
  std::vector<std::string> held;    // response lines waiting behind the tail
  std::uint64_t token = 0;
};

std::string end_of_follow(std::uint64_t id) {
  return protocol::encode_response(protocol::reply(id, Piece{std::nullopt, std::nullopt, true, false}));
}

std::shared_ptr<FollowGate> follow(const protocol::Logs& command, Call& call, const std::filesystem::path& path,
                                   bool prefixed) {
  const auto id = call.id;
  const Reply reply = call.reply;
  call.deferred = true;
  auto gate = std::make_shared<FollowGate>();
  // With --timestamps each followed line gets the time it reached supd (what the index
  // would say), unless the file's lines carry their own.
  auto stamper = command.timestamps && !prefixed ? std::make_shared<LineStamper>() : nullptr;
  LogService* logs = call.handlers.logs();
  gate->token = logs->follow(
      path, LogFollower{[reply, id, stamper, gate](std::string_view chunk) {
                          std::string text =
                              stamper ? stamper->stamp(chunk, common::iso8601_utc_ms(common::unix_ms_now()) + " ")
                                      : std::string(chunk);
                          std::string line = text_piece(id, std::move(text), true);
                          if (!gate->open) {
                            gate->held.push_back(std::move(line));
                            return true;
                          }
                          return reply(std::move(line), false);
                        },
                        [reply, id, gate] {
                          if (!gate->open) gate->ended = true;
                          else reply(end_of_follow(id), true);
                        }});
  reply.on_cancel([&handlers = call.handlers, token = gate->token] {
    if (LogService* service = handlers.logs()) service->unfollow(token);
  });
  return gate;
}

// The tail, then what waited behind it; from then on chunks go straight to the client.
void open_gate(FollowGate& gate, const Reply& reply, std::uint64_t id, std::string_view tail, LogService* logs) {
  bool alive = true;
  // At least one piece, an empty one too: a client (`signal --expect`) waits for it to know
  // that the follow has begun.
  do {
    const std::size_t n = tail.size() > kTailPieceBytes ? utf8_cut(tail.substr(0, kTailPieceBytes)) : tail.size();
    alive = reply(text_piece(id, std::string(tail.substr(0, n)), true), false);
    tail.remove_prefix(n);
  } while (alive && !tail.empty());
  for (auto& line : gate.held) alive = alive && reply(std::move(line), false);
  gate.held.clear();
  gate.open = true;
  if (!alive) {  // the client is gone; this answer goes nowhere
    if (logs != nullptr) logs->unfollow(gate.token);
    return;
  }
  if (gate.ended) reply(end_of_follow(id), true);
}

}  // namespace

protocol::Response serve(const protocol::Logs& command, Call& call) {
  const auto id = call.id;
  LogService* logs = call.handlers.logs();
  if (command.reopen) {
    if (logs == nullptr) return fail(id, ErrorCode::Internal, "this supd cannot reopen log files");
    return protocol::reply(id, Piece{std::nullopt, logs->reopen_all(), false, false});
  }
  std::vector<const Job*> jobs;
  if (auto err = call.handlers.resolve({command.job}, false, jobs)) return {id, *err};
  const Job& job = *jobs.front();
  if (command.from_stderr && !job.spec.stderr_file)
    return fail(id, ErrorCode::BadRequest,
                fmt::format("job '{}' has no stderr file of its own; its stderr goes to {}; drop --stderr",
                            job.spec.name, job.spec.stdout_file));
  const auto path = call.sup.log_dir() / (command.from_stderr ? *job.spec.stderr_file : job.spec.stdout_file);
  if (command.follow && logs == nullptr) return fail(id, ErrorCode::Internal, "this supd cannot follow log files");

  // The tail, in pieces that keep every response line well under the 1 MiB cap even when
  // each byte needs a 6-byte JSON escape. All but the last say "more": true. A plain tail is
  // read from the files as the client drains it.
  const bool prefixed = job.spec.timestamps == config::Timestamps::Prefix;
  const auto lines = static_cast<std::size_t>(command.lines);
  if (!command.follow && !command.timestamps && !command.since_ms) {
    auto tail = std::make_shared<TailReader>(path, job.spec.log_keep, lines, kMaxTailBytes);
    call.reply.stream([id, tail](bool& last) {
      std::string text = tail->next(kTailPieceBytes);
      last = tail->done();
      return text_piece(id, std::move(text), !last);
    });
    return defer(call);
  }
  const TimedTailRequest timed{lines, command.since_ms ? kMaxSinceBytes : kMaxTailBytes, command.timestamps,
                               command.since_ms, prefixed};
  const Reply reply = call.reply;
  if (!command.follow) {
    read_timed_tail(logs, path, job.spec.log_keep, timed, [id, reply](std::string text, std::string error) {
      if (!error.empty()) reply(protocol::encode_error(id, {ErrorCode::Internal, std::move(error)}));
      else reply.stream(text_frames(id, std::move(text)));
    });
    return defer(call);
  }
  auto gate = follow(command, call, path, prefixed);
  if (!command.timestamps && !command.since_ms) {  // at most 1 MiB: read at once
    open_gate(*gate, reply, id, read_tail(path, job.spec.log_keep, lines, kMaxTailBytes), logs);
    return {id, nlohmann::json::object()};
  }
  read_timed_tail(logs, path, job.spec.log_keep, timed, [id, reply, gate, logs](std::string text, std::string error) {
    if (!error.empty()) {  // the follow goes on without its tail; supd's log says why
      spdlog::error("logs: {}", error);
      text.clear();
    }
    open_gate(*gate, reply, id, text, logs);
  });
  return {id, nlohmann::json::object()};
}

}  // namespace supd::daemon
