// The control socket: accepts clients, each a Session (daemon/control/session.hpp) that
// checks their uid with SO_PEERCRED, frames NDJSON with a
// cap, answers one request at a time per connection (at most 16 per loop turn, round robin),
// bounds each client's outbox and the total queued for all clients (long replies are pulled
// a frame at a time as the client drains them) so slow readers cannot grow supd, gives the
// memory back once the queues are empty again, and drops a client whose
// request is not complete 10 s after its first byte, and caps the connections of each uid
// (kMaxConnectionsPerUid: a stalled one is evicted for a new one, else the new one is refused).
// Never throws into the loop.
#pragma once
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "daemon/control/request_handler.hpp"
#include "daemon/core/event_hub.hpp"

namespace supd::daemon {

class Session;

// What supd queues for all its clients together. Above it, long replies wait for their
// clients to read (each client may still hold one frame: a reader always moves on) and a
// follower that is behind is disconnected.
inline constexpr std::size_t kMaxQueuedBytes = 32u << 20;
// A drain after a peak this large returns memory to the system (malloc_trim).
inline constexpr std::size_t kTrimAfterBytes = 4u << 20;
// Connections one uid may hold at once (root's count apart from the user's). A user keeps a
// few `logs -f`/`events -f` followers and scripts open; 128 is far above that, yet bounds the
// fds and buffers clients can take from the jobs (each job holds 3-4 fds). At the cap, a new
// connection takes the slot of the uid's oldest one that has not sent a complete request yet
// (idle or dripping bytes); if there is none, the new one is refused. A constant, not a
// setting: nothing but an attack reaches it.
inline constexpr std::size_t kMaxConnectionsPerUid = 128;

class ControlServer {
public:
  // `listen_fd`: a bound, listening AF_UNIX socket (ownership moves in). Each request line goes
  // to `handler` (Handlers); after each request served, `hub` hears that something changed
  // (the loop re-arms and answers waiters).
  ControlServer(asio::io_context& io, int listen_fd, RequestHandler& handler, EventHub& hub);
  ~ControlServer();

  void start();
  // A connected client, served from now on (accept() and the session's unit tests): its
  // session checks the peer and the uid's cap before reading (daemon/control/session.hpp).
  std::shared_ptr<Session> serve(asio::local::stream_protocol::socket socket);
  // Stop accepting; every session flushes what it has queued and closes. Sessions waiting for
  // `shutdown` keep their fd open until supd exits, so their client sees EOF only then.
  void finish();
  std::size_t sessions() const { return sessions_.size(); }
  std::size_t queued_bytes() const { return queued_bytes_; }

private:
  friend class Session;
  void accept();
  void forget(const std::shared_ptr<Session>& session);
  // Takes a new connection of an allowed uid into that uid's cap: true if it may be served
  // (an older stalled one of the same uid may have been evicted for it).
  bool admit(Session& session);
  std::size_t connections_of(uid_t uid) const;
  // Bytes entering and leaving the sessions' outboxes.
  void queued(std::size_t bytes);
  void released(std::size_t bytes);
  bool has_room() const { return queued_bytes_ < kMaxQueuedBytes; }
  // The session pulls its next frame once the total is below the bound again.
  void wait_for_room(const std::shared_ptr<Session>& session);

  // While a uid is at its cap: what was done about it, logged once when it starts and once
  // when the uid is below the cap again.
  struct CapEpisode {
    std::size_t evicted = 0;
    std::size_t refused = 0;
  };

  asio::io_context& io_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer finish_timer_;
  asio::steady_timer accept_timer_;  // the retry after a failed accept (EMFILE)
  RequestHandler& handler_;
  EventHub& hub_;
  std::set<std::shared_ptr<Session>> sessions_;
  bool finishing_ = false;
  bool accept_failing_ = false;
  std::uint64_t next_serial_ = 0;  // accept order: the oldest stalled connection goes first
  std::map<uid_t, CapEpisode> capped_;
  std::size_t queued_bytes_ = 0;  // in every session's outbox
  std::size_t peak_queued_ = 0;   // since the queues were last empty
  bool at_bound_ = false;         // logged once per episode
  std::vector<std::weak_ptr<Session>> waiting_room_;
};

}  // namespace supd::daemon
