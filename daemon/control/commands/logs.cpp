// `logs`: a job's last lines (read from the files as the client drains them), with times or
// since a time from the side index, then with follow every chunk supd writes to the file;
// or `--reopen`: every log file reopened.
#include <fmt/format.h>

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

// Follow: the tail is pushed at once, in the same turn as the follow begins, so no line falls
// between them (it is at most 1 MiB); then every chunk supd copies from the job's pipe into
// this file, as it writes it, so rotation makes no gap and no repeat. Ends with {"eof": true}
// when supd shuts down.
protocol::Response follow(const protocol::Logs& command, Call& call, const std::filesystem::path& path,
                          const std::string& tail, bool prefixed) {
  const auto id = call.id;
  Reply& reply = call.reply;
  std::string_view rest = tail;
  while (rest.size() > kTailPieceBytes) {
    const std::size_t n = utf8_cut(rest.substr(0, kTailPieceBytes));
    if (!reply(text_piece(id, std::string(rest.substr(0, n)), true), false))
      return {id, nlohmann::json::object()};  // the client is gone; this answer goes nowhere
    rest.remove_prefix(n);
  }
  call.deferred = true;
  if (!reply(text_piece(id, std::string(rest), true), false)) return {id, nlohmann::json::object()};
  // With --timestamps each followed line gets the time it reached supd (what the index
  // would say), unless the file's lines carry their own.
  auto stamper = command.timestamps && !prefixed ? std::make_shared<LineStamper>() : nullptr;
  LogService* logs = call.handlers.logs();
  const auto token = logs->follow(
      path, LogFollower{[reply, id, stamper](std::string_view chunk) {
                          std::string text =
                              stamper ? stamper->stamp(chunk, common::iso8601_utc_ms(common::unix_ms_now()) + " ")
                                      : std::string(chunk);
                          return reply(text_piece(id, std::move(text), true), false);
                        },
                        [reply, id] {
                          reply(protocol::encode_response(protocol::reply(id, Piece{std::nullopt, std::nullopt, true, false})),
                                true);
                        }});
  reply.on_cancel([&handlers = call.handlers, token] {
    if (LogService* service = handlers.logs()) service->unfollow(token);
  });
  return {id, nlohmann::json::object()};
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
  if (!command.follow) {
    call.reply.stream(text_frames(id, timed_tail(path, job.spec.log_keep, timed)));
    return defer(call);
  }
  const std::string tail = command.timestamps || command.since_ms
                               ? timed_tail(path, job.spec.log_keep, timed)
                               : read_tail(path, job.spec.log_keep, lines, kMaxTailBytes);
  return follow(command, call, path, tail, prefixed);
}

}  // namespace supd::daemon
