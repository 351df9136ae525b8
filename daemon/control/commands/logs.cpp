// `logs`: a job's last lines (read from the files as the client drains them), with times or
// since a time from the side index, then with follow what supd writes to the file
// (daemon/control/log_follow.hpp); or `--reopen`: every log file reopened.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/control/log_follow.hpp"
#include "daemon/control/log_frames.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_times.hpp"
#include "daemon/output/tail_reader.hpp"

namespace supd::daemon {
namespace {

using protocol::ErrorCode;
using Piece = protocol::Logs::Reply;

constexpr std::size_t kMaxTailBytes = 1 << 20;   // what `logs -n N` returns at most
constexpr std::size_t kMaxSinceBytes = 16 << 20;  // how far back `logs --since` reads

// The frames of a tail held as text (`--timestamps`, `--since`), cut on whole characters.
FrameSource text_frames(std::uint64_t id, std::string text) {
  return [id, text = std::move(text), at = std::size_t{0}](bool& last) mutable {
    std::string_view rest = std::string_view(text).substr(at);
    const std::size_t n = piece_length(rest);
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

}  // namespace

protocol::Response serve(const protocol::Logs& command, Call& call) {
  const auto id = call.id;
  LogService* logs = call.handlers.logs();
  if (command.reopen) {
    if (logs == nullptr) return fail(id, ErrorCode::Internal, "this supd cannot reopen log files");
    return protocol::reply(id, Piece{std::nullopt, logs->reopen_all(), false, false});
  }
  const Job* found = nullptr;
  if (auto err = call.handlers.resolve_one(command.job, found)) return {id, *err};
  const Job& job = *found;
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
  // The follow begins in the same turn as the tail's files are opened: it goes on from the
  // log's end then, so no line falls between them and none comes twice.
  call.deferred = true;
  auto follow = LogFollow::begin(*logs, reply, {id, path, job.spec.log_keep, command.timestamps && !prefixed});
  if (!command.timestamps && !command.since_ms) {  // at most 1 MiB: read at once
    follow->tail(read_tail(path, job.spec.log_keep, lines, kMaxTailBytes));
    return {id, nlohmann::json::object()};
  }
  read_timed_tail(logs, path, job.spec.log_keep, timed, [follow](std::string text, std::string error) {
    if (!error.empty()) {  // the follow goes on without its tail; supd's log says why
      spdlog::error("logs: {}", error);
      text.clear();
    }
    follow->tail(std::move(text));
  });
  return {id, nlohmann::json::object()};
}

}  // namespace supd::daemon
