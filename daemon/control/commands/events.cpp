// `events`: the history in pieces pulled as the client drains them, then with follow every
// new event as it is recorded, one per line, until supd exits ({"eof": true}) or the client
// goes away (or falls 8 MiB behind: the session drops it).
#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"

namespace supd::daemon {
namespace {

constexpr std::size_t kEventsPerLine = 200;        // history in pieces this long
constexpr std::size_t kMaxHistoryBytes = 4 << 20;  // ... and at most this much of it (outbox: 8 MiB)

std::string piece(std::uint64_t id, std::vector<common::Event> events, bool more) {
  return protocol::encode_response(protocol::reply(id, protocol::Events::Reply{std::move(events), false, more}));
}

}  // namespace

protocol::Response serve(const protocol::Events& command, Call& call) {
  const auto id = call.id;
  if (command.job) {
    const Job* job = nullptr;
    if (auto err = call.handlers.resolve_one(*command.job, job)) return {id, *err};
  }
  auto history = call.sup.events().history(
      command.job, command.limit ? std::optional<std::size_t>(static_cast<std::size_t>(*command.limit)) : std::nullopt);
  // The newest events that fit in kMaxHistoryBytes, sent oldest first in pieces; all but the
  // last piece (of a plain history) say "more": true, as `logs` does.
  std::size_t bytes = 0, kept = 0;
  for (auto it = history.rbegin(); it != history.rend() && bytes < kMaxHistoryBytes; ++it, ++kept)
    // replace, as the wire does: a strict dump throws on a peer exe path that is not UTF-8.
    bytes += common::to_json(*it).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(kept));
  Reply& reply = call.reply;
  if (!command.follow) {  // pieces made as the client drains them
    reply.stream([id, history = std::move(history), at = std::size_t{0}](bool& last) mutable {
      std::vector<common::Event> batch;
      for (; at < history.size() && batch.size() < kEventsPerLine; ++at) batch.push_back(history[at]);
      last = at >= history.size();
      return piece(id, std::move(batch), !last);
    });
    return defer(call);
  }
  std::vector<common::Event> batch;
  for (std::size_t i = 0; i < history.size(); ++i) {
    batch.push_back(history[i]);
    if (batch.size() == kEventsPerLine && i + 1 < history.size()) {
      if (!reply(piece(id, std::move(batch), true), false)) return defer(call);  // the client is gone
      batch.clear();
    }
  }
  if (!reply(piece(id, std::move(batch), true), false)) return defer(call);
  const auto token = call.sup.events().subscribe(
      command.job, [reply, id](const common::Event& e) { return reply(piece(id, {e}, true), false); });
  call.handlers.add_event_follow(token, id, reply);
  reply.on_cancel([&handlers = call.handlers, &sup = call.sup, token] {
    sup.events().unsubscribe(token);
    handlers.drop_event_follow(token);
  });
  return defer(call);
}

}  // namespace supd::daemon
