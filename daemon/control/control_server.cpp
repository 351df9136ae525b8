#include "daemon/control/control_server.hpp"

#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <deque>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/line_reader.hpp"
#include "common/protocol.hpp"
#include "daemon/control/peer_check.hpp"

namespace supd::daemon {

using asio::local::stream_protocol;

namespace {
// A stream that is pushed (`logs -f`, `events -f`) may fall this far behind before its client
// is dropped; other replies are pulled a frame at a time and never queue this much.
constexpr std::size_t kMaxOutbox = 8u << 20;
// A session takes its next request, or pulls the next frame of a long reply, only while less
// than this is queued for it: a client that does not read holds at most about one frame.
constexpr std::size_t kLowWater = 256u << 10;
// Requests answered per session before the loop serves everyone else (round robin): a client
// that pipelines thousands of requests cannot starve the others.
constexpr int kRequestsPerTurn = 16;
// A client whose unread replies passed its mark (stall_mark()) is read no more; if it then reads
// nothing for this long, it is dropped (it holds memory and an fd for nothing).
constexpr auto kStallTimeout = std::chrono::seconds(10);
// A request must be complete this long after its first byte arrived: a client dripping bytes
// (slowloris) cannot hold a connection and its buffer forever. Tools send whole lines.
constexpr auto kRequestTimeout = std::chrono::seconds(10);
// Connections one uid may hold at once (root's count apart from the user's). A user keeps a
// few `logs -f`/`events -f` followers and scripts open; 128 is far above that, yet bounds the
// fds and buffers clients can take from the jobs (each job holds 3-4 fds). At the cap, a new
// connection takes the slot of the uid's oldest one that has not sent a complete request yet
// (idle or dripping bytes); if there is none, the new one is refused. A constant, not a
// setting: nothing but an attack reaches it.
constexpr std::size_t kMaxConnectionsPerUid = 128;
// A capped uid's episode ends (and is logged) once it is back below this many connections.
constexpr std::size_t kCapEpisodeEnd = kMaxConnectionsPerUid * 3 / 4;
}

class Session : public std::enable_shared_from_this<Session> {
  friend class ControlServer;

public:
  Session(ControlServer& server, stream_protocol::socket socket)
      : server_(server), socket_(std::move(socket)), stall_timer_(socket_.get_executor()),
        request_timer_(socket_.get_executor()), lines_(protocol::kMaxLineBytes), serial_(server.next_serial_++) {}

  void start() {
    if (!read_peer()) return;
    if (!server_.admit(*this)) return;
    admitted_ = true;
    read();
  }

  uid_t uid() const { return peer_.uid; }
  std::uint64_t serial() const { return serial_; }
  // Counted against its uid's cap: admitted and not on its way out.
  bool holds_slot() const { return admitted_ && !finishing_ && !closed_; }
  // Has never sent a complete request (idle, or dripping bytes): a follower or a client
  // that has been answered is never evicted.
  bool stalled() const { return holds_slot() && !served_ && !busy_; }

  // Makes room for a newer connection of the same uid: one error line, then closed.
  void evict() {
    send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooManyConnections,
                                               fmt::format("closed to make room: uid {} is at its cap of {} connections "
                                                           "and this one sent no complete request; send whole lines",
                                                           peer_.uid, kMaxConnectionsPerUid)}));
    finish();
  }

  // Not admitted: one error line, then closed once it is written.
  void refuse() {
    send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooManyConnections,
                                               fmt::format("too many connections from uid {} (cap {}, every one busy "
                                                           "or following); end some `logs -f`/`events -f` clients "
                                                           "and retry",
                                                           peer_.uid, kMaxConnectionsPerUid)}));
    finishing_ = true;
  }

  // Flush what is queued, then close; a shutdown caller's fd stays open until supd exits.
  void finish() {
    if (closed_) return;
    finishing_ = true;
    std::error_code ec;
    socket_.cancel(ec);  // the pending read ends; writes are re-issued below if any
    if (outbox_.empty()) close();
  }

  void abort() { close(); }

private:
  bool read_peer() {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      close();
      return false;
    }
    peer_ = {cred.uid, cred.pid, socket_.native_handle()};
    if (!peer_allowed(cred.uid, ::getuid())) {
      spdlog::warn("refused a client with uid {} pid {}: supd serves only uid {}", cred.uid, cred.pid, ::getuid());
      send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::PermissionDenied,
                                                 "permission denied: this supd belongs to another user"}));
      finishing_ = true;
      return false;
    }
    return true;
  }

  void read() {
    // While a stream is answered, reading goes on only to notice the client hanging up.
    if (reading_ || yielded_ || (busy_ && !streaming_) || finishing_ || closed_) return;
    // Unread replies: the next request waits until they drain (write() resumes), and a client
    // that reads none of them for kStallTimeout is dropped.
    if (outbox_bytes_ > stall_mark()) return watch_stall();
    reading_ = true;
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      self->reading_ = false;
      if (ec) {  // EOF, reset or cancelled: a half-read request is never executed
        if (self->streaming_ && ec != asio::error::operation_aborted) return self->close();
        if (!self->busy_ && self->outbox_.empty()) self->close();
        else self->peer_closed_ = true;
        return;
      }
      // A follow takes the connection until it ends: what the client sends meanwhile is
      // dropped, so it cannot pile up unread.
      if (self->streaming_) return self->read();
      self->lines_.feed({self->chunk_.data(), n});
      self->process();
    });
  }

  // Answers buffered lines one at a time; a waiting command pauses the rest until it answers.
  // After kRequestsPerTurn it yields to the loop and resumes behind every other ready client.
  void process() {
    int answered_this_turn = 0;
    while (!busy_ && !finishing_ && !closed_ && outbox_bytes_ <= kLowWater) {
      if (answered_this_turn == kRequestsPerTurn) {
        yielded_ = true;
        asio::post(socket_.get_executor(), [self = shared_from_this()] {
          self->yielded_ = false;
          self->process();
        });
        return;
      }
      std::string line;
      const auto st = lines_.next(line);
      if (st == common::LineReader::Status::NeedMore) break;
      if (st == common::LineReader::Status::TooLong) {
        send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooLarge,
                                                   "request line over 1 MiB; send smaller requests"}));
        continue;
      }
      ++answered_this_turn;
      served_ = true;
      request_done();
      busy_ = true;
      answered_ = false;
      handling_ = true;
      std::weak_ptr<Session> weak = shared_from_this();
      cancel_ = std::make_shared<std::function<void()>>();
      server_.handlers_.handle(line, peer_,
                               Reply([weak](std::string reply, bool last) {
                                 auto self = weak.lock();
                                 return self && self->on_reply(std::move(reply), last);
                               },
                                     cancel_, [weak](FrameSource source) {
                                       if (auto self = weak.lock()) self->on_source(std::move(source));
                                     }));
      handling_ = false;
      pump();
      server_.hub_.changed();
      if (!answered_) break;  // deferred: on_reply resumes
    }
    if (peer_closed_ && !busy_) {
      if (outbox_.empty()) close();
      return;
    }
    watch_request();
    read();
  }

  // A long reply: its frames are pulled by pump() as the client drains them.
  void on_source(FrameSource source) {
    if (closed_) return;
    streaming_ = true;
    source_ = std::move(source);
    if (!handling_) pump();
  }

  // Pulls frames while this client has room: less than kLowWater queued for it, and supd's
  // total under its bound unless nothing at all is queued here (so a reader always moves on).
  void pump() {
    while (source_ && !closed_ && outbox_bytes_ <= kLowWater) {
      if (!outbox_.empty() && !server_.has_room()) return server_.wait_for_room(shared_from_this());
      bool last = false;
      std::string frame;
      try {
        frame = source_(last);
      } catch (const std::exception& e) {  // a file that cannot be read, bad_alloc: end this client only
        spdlog::error("client pid {}: a reply failed midway ({}); disconnecting it", peer_.pid, e.what());
        return close();
      }
      if (last) {
        source_ = nullptr;
        on_reply(std::move(frame), true);
        return;
      }
      send(std::move(frame));
    }
    if (source_ && outbox_bytes_ > kLowWater) watch_stall();  // the next frame waits for the client
  }

  // A partial request is buffered: it must be completed within kRequestTimeout.
  void watch_request() {
    if (request_armed_ || closed_ || lines_.buffered() == 0) return;
    request_armed_ = true;
    request_timer_.expires_after(kRequestTimeout);
    request_timer_.async_wait([self = shared_from_this(), generation = request_generation_](std::error_code ec) {
      if (ec || generation != self->request_generation_ || self->closed_) return;
      self->request_armed_ = false;
      // Still answering earlier requests: the partial one is waiting for us, not the client.
      if (self->busy_ || self->yielded_ || self->lines_.buffered() == 0 || self->outbox_bytes_ > kLowWater)
        return self->watch_request();
      spdlog::warn("client pid {}: no complete request within {} s; disconnecting it", self->peer_.pid,
                   kRequestTimeout.count());
      self->send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::BadRequest,
                                                       "no complete request line within 10 s; closing"}));
      self->finish();
    });
  }

  // A whole line arrived: the clock starts over for the next one.
  void request_done() {
    if (!request_armed_) return;
    request_armed_ = false;
    ++request_generation_;
    request_timer_.cancel();
  }

  // false once the session is closed (a stream's producer then stops).
  bool on_reply(std::string reply, bool last) {
    if (closed_) return false;
    if (!last) {  // a stream: more lines for this request will come
      streaming_ = true;
      send(std::move(reply));
      if (!closed_ && !handling_) read();  // keep watching for the client hanging up
      return !closed_;
    }
    streaming_ = false;
    cancel_.reset();
    answered_ = true;
    busy_ = false;
    send(std::move(reply));
    // A deferred answer arrives from the loop's after_event: resume later, never re-entrantly.
    if (!handling_) asio::post(socket_.get_executor(), [self = shared_from_this()] { self->process(); });
    return !closed_;
  }

  void send(std::string bytes) {
    if (closed_) return;
    if (outbox_bytes_ + bytes.size() > kMaxOutbox) {  // a client that never reads
      spdlog::warn("client pid {}: {} bytes of unread replies; disconnecting it", peer_.pid, outbox_bytes_);
      close();
      return;
    }
    // A pushed stream that is behind while supd's total is at its bound goes (pulled replies
    // never get here with more than kLowWater queued).
    if (outbox_bytes_ > kLowWater && !server_.has_room()) {
      spdlog::warn("client pid {}: {} bytes of unread replies while replies to all clients are at supd's bound of {} "
                   "MiB; disconnecting it",
                   peer_.pid, outbox_bytes_, kMaxQueuedBytes >> 20);
      close();
      return;
    }
    outbox_bytes_ += bytes.size();
    server_.queued(bytes.size());
    outbox_.push_back(std::move(bytes));
    if (outbox_.size() == 1) write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (ec || self->closed_) {  // closed meanwhile: the outbox is gone already
                          self->close();
                          return;
                        }
                        const std::size_t written = self->outbox_.front().size();
                        self->outbox_bytes_ -= written;
                        self->outbox_.pop_front();
                        self->server_.released(written);
                        self->stall_progress();
                        if (!self->outbox_.empty()) self->write();
                        else if (self->finishing_) return self->close();
                        self->pump();  // the next frame of a long reply
                        if (self->closed_ || self->busy_ || self->yielded_) return self->read();
                        self->process();  // requests may have waited for the outbox to drain
                      });
  }

  // Reading has paused on a full outbox; a client that still reads nothing is dropped.
  void watch_stall() {
    if (stall_armed_ || closed_) return;
    stall_armed_ = true;
    stall_timer_.expires_after(kStallTimeout);
    stall_timer_.async_wait([self = shared_from_this(), generation = stall_generation_](std::error_code ec) {
      if (ec || generation != self->stall_generation_ || self->closed_) return;
      spdlog::warn("client pid {}: read none of its {} bytes of replies for {} s; disconnecting it",
                   self->peer_.pid, self->outbox_bytes_, kStallTimeout.count());
      self->close();
    });
  }

  // The client read something: the stall clock starts over (a generation, because a timer that
  // already fired may still be queued).
  void stall_progress() {
    if (!stall_armed_) return;
    stall_armed_ = false;
    ++stall_generation_;
    stall_timer_.cancel();
    if (outbox_bytes_ > stall_mark()) watch_stall();
  }

  // Past this much unread, the client must read within kStallTimeout or be dropped: a pushed
  // stream (`logs -f`) may fall far behind a burst; a pulled or plain reply holds about a frame.
  std::size_t stall_mark() const { return streaming_ && !source_ ? kMaxOutbox / 2 : kLowWater; }

  void close() {
    if (closed_) return;
    closed_ = true;
    ++stall_generation_;
    stall_timer_.cancel();
    ++request_generation_;
    request_timer_.cancel();
    if (cancel_ && *cancel_) {  // a stream ends early: its producer lets go
      auto cancel = std::move(*cancel_);
      cancel_.reset();
      cancel();
    }
    source_ = nullptr;
    std::error_code ec;
    if (server_.finishing_) {
      // supd is exiting: the kernel closes this fd when it does, so a client waiting for EOF
      // (`supctl shutdown`) returns only once supd is gone.
      [[maybe_unused]] int kept = socket_.release(ec);
    } else {
      socket_.close(ec);
    }
    // The socket's operations are cancelled: nothing reads the outbox any more.
    outbox_.clear();
    server_.released(std::exchange(outbox_bytes_, 0));
    server_.forget(shared_from_this());
  }

  ControlServer& server_;
  stream_protocol::socket socket_;
  asio::steady_timer stall_timer_;
  asio::steady_timer request_timer_;
  bool request_armed_ = false;
  unsigned request_generation_ = 0;
  common::LineReader lines_;
  std::array<char, 16384> chunk_{};
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  Peer peer_;
  bool reading_ = false;
  bool yielded_ = false;     // a process() is posted: the rest of the buffered lines wait for it
  bool stall_armed_ = false;
  unsigned stall_generation_ = 0;
  bool busy_ = false;        // a request is being answered
  bool streaming_ = false;   // ... by several lines; the last one is still to come
  std::shared_ptr<std::function<void()>> cancel_;  // the request's Reply::on_cancel
  FrameSource source_;        // the rest of a long reply, pulled as the client drains it
  bool waiting_room_ = false; // in the server's list of sessions waiting for its bound
  bool answered_ = false;
  bool handling_ = false;    // inside handlers_.handle(): a reply now is synchronous
  bool finishing_ = false;
  bool peer_closed_ = false;
  bool closed_ = false;
  const std::uint64_t serial_;  // accept order
  bool admitted_ = false;       // counted against its uid's cap
  bool served_ = false;         // sent at least one complete request
};

ControlServer::ControlServer(asio::io_context& io, int listen_fd, Handlers& handlers, EventHub& hub)
    : io_(io), acceptor_(io, stream_protocol(), listen_fd), finish_timer_(io), accept_timer_(io), handlers_(handlers),
      hub_(hub) {}

ControlServer::~ControlServer() = default;

void ControlServer::start() { accept(); }

void ControlServer::accept() {
  acceptor_.async_accept([this](std::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || finishing_) return;
    if (!ec) {
      accept_failing_ = false;
      auto session = std::make_shared<Session>(*this, std::move(socket));
      sessions_.insert(session);
      session->start();
      return accept();
    }
    // EMFILE: keep serving the clients we have. The pending connection keeps the socket
    // readable, so an immediate retry would spin: retry after a pause, and log once per run.
    if (!accept_failing_) spdlog::warn("accept: {}; retrying every 100 ms", ec.message());
    accept_failing_ = true;
    accept_timer_.expires_after(std::chrono::milliseconds(100));
    accept_timer_.async_wait([this](std::error_code wait_ec) {
      if (!wait_ec && !finishing_) accept();
    });
  });
}

std::size_t ControlServer::connections_of(uid_t uid) const {
  std::size_t n = 0;
  for (const auto& s : sessions_)
    if (s->uid() == uid && s->holds_slot()) ++n;
  return n;
}

bool ControlServer::admit(Session& session) {
  const uid_t uid = session.uid();
  if (connections_of(uid) < kMaxConnectionsPerUid) return true;
  auto [episode, first] = capped_.try_emplace(uid);
  if (first)
    spdlog::warn("uid {} has {} connections to supd, its cap: each new one closes its oldest connection that sent "
                 "no complete request, or is refused when there is none",
                 uid, kMaxConnectionsPerUid);
  std::shared_ptr<Session> victim;
  for (const auto& s : sessions_)
    if (s.get() != &session && s->uid() == uid && s->stalled() && (!victim || s->serial() < victim->serial()))
      victim = s;
  if (victim) {
    ++episode->second.evicted;
    victim->evict();
    return true;
  }
  ++episode->second.refused;
  session.refuse();
  return false;
}

void ControlServer::queued(std::size_t bytes) {
  queued_bytes_ += bytes;
  if (queued_bytes_ > peak_queued_) peak_queued_ = queued_bytes_;
  if (!at_bound_ && queued_bytes_ >= kMaxQueuedBytes) {
    at_bound_ = true;
    spdlog::warn("replies queued for clients reached supd's bound of {} MiB; long replies wait for their clients "
                 "to read, and a follower that is behind is disconnected",
                 kMaxQueuedBytes >> 20);
  }
}

void ControlServer::released(std::size_t bytes) {
  queued_bytes_ -= std::min(bytes, queued_bytes_);
  if (queued_bytes_ == 0 && peak_queued_ >= kTrimAfterBytes) {
    // The replies are gone; give their pages back to the system instead of keeping the peak.
    ::malloc_trim(0);
    spdlog::info("replies queued for clients are drained (peak {} KiB, bound {} MiB); memory returned",
                 peak_queued_ >> 10, kMaxQueuedBytes >> 20);
    peak_queued_ = 0;
    at_bound_ = false;
  }
  if (has_room() && !waiting_room_.empty()) {
    auto waiting = std::exchange(waiting_room_, {});
    for (auto& weak : waiting)
      asio::post(io_, [weak] {
        if (auto session = weak.lock()) {
          session->waiting_room_ = false;
          session->pump();
        }
      });
  }
}

void ControlServer::wait_for_room(const std::shared_ptr<Session>& session) {
  if (session->waiting_room_) return;
  session->waiting_room_ = true;
  waiting_room_.push_back(session);
}

void ControlServer::forget(const std::shared_ptr<Session>& session) {
  sessions_.erase(session);
  if (auto it = capped_.find(session->uid()); it != capped_.end() && connections_of(it->first) < kCapEpisodeEnd) {
    spdlog::info("uid {} is well below its connection cap again; meanwhile {} stalled connection(s) were closed "
                 "to make room and {} refused",
                 it->first, it->second.evicted, it->second.refused);
    capped_.erase(it);
  }
  if (finishing_ && sessions_.empty()) finish_timer_.cancel();
}

void ControlServer::finish() {
  finishing_ = true;
  std::error_code ec;
  acceptor_.close(ec);
  accept_timer_.cancel();
  auto all = sessions_;  // finish() may forget sessions while we iterate
  for (const auto& s : all) s->finish();
  if (sessions_.empty()) return;
  // A client that does not read its last reply must not keep supd alive.
  finish_timer_.expires_after(std::chrono::seconds(2));
  finish_timer_.async_wait([this](std::error_code wait_ec) {
    if (wait_ec) return;
    auto rest = sessions_;
    for (const auto& s : rest) s->abort();
  });
}

}  // namespace supd::daemon
