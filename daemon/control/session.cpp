#include "daemon/control/session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/peer_check.hpp"

namespace supd::daemon {

using asio::local::stream_protocol;

Session::Session(ControlServer& server, stream_protocol::socket socket)
    : server_(server), socket_(std::move(socket)), stall_deadline_(socket_.get_executor()),
      request_deadline_(socket_.get_executor()), lines_(protocol::kMaxLineBytes), serial_(server.next_serial_++) {}

void Session::start() {
  if (!read_peer()) return;
  if (!server_.admit(*this)) return;
  admitted();
  read();
}

// ---- transitions ----------------------------------------------------------------------------

bool Session::read_peer() {
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
    admission_ = Admission::Refused;
    end(Phase::Finishing);
    return false;
  }
  return true;
}

void Session::admitted() {
  admission_ = Admission::Admitted;
  phase_ = Phase::Idle;
}

void Session::begin_request() { set_request(Phase::Answering); }

void Session::stream() { set_request(Phase::Streaming); }

void Session::answered() {
  cancel_.reset();
  patient_ = false;
  set_request(Phase::Idle);
}

void Session::set_request(Phase request) { (ending() ? in_hand_ : phase_) = request; }

void Session::end(Phase to) {
  if (phase_ == Phase::Closed) return;
  if (!ending()) in_hand_ = phase_ == Phase::CheckingPeer ? Phase::Idle : phase_;
  phase_ = to;
}

void Session::evict() {
  send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooManyConnections,
                                             fmt::format("closed to make room: uid {} is at its cap of {} connections "
                                                         "and this one sent no complete request; send whole lines",
                                                         peer_.uid, kMaxConnectionsPerUid)}));
  finish();
}

void Session::refuse() {
  send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooManyConnections,
                                             fmt::format("too many connections from uid {} (cap {}, every one busy "
                                                         "or following); end some `logs -f`/`events -f` clients "
                                                         "and retry",
                                                         peer_.uid, kMaxConnectionsPerUid)}));
  admission_ = Admission::Refused;
  end(Phase::Finishing);
}

void Session::finish() {
  if (phase_ == Phase::Closed) return;
  end(Phase::Finishing);
  std::error_code ec;
  socket_.cancel(ec);  // the pending read ends; writes are re-issued below if any
  if (outbox_.empty()) close();
}

void Session::close() {
  if (phase_ == Phase::Closed) return;
  end(Phase::Closed);
  stall_deadline_.cancel();
  request_deadline_.cancel();
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

// ---- requests in ----------------------------------------------------------------------------

void Session::read() {
  // While a stream is answered, reading goes on only to notice the client hanging up.
  if (reading_ || yielded_ || (phase_ != Phase::Idle && phase_ != Phase::Streaming)) return;
  // Unread replies: the next request waits until they drain (write() resumes), and a client
  // that reads none of them for kStallTimeout is dropped.
  if (outbox_bytes_ > stall_mark()) return watch_stall();
  reading_ = true;
  socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (ec) {  // EOF, reset or cancelled: a half-read request is never executed
      if (self->streaming() && ec != asio::error::operation_aborted) return self->close();
      if (!self->busy() && self->outbox_.empty()) self->close();
      else self->peer_closed_ = true;
      return;
    }
    // A follow takes the connection until it ends: what the client sends meanwhile is
    // dropped, so it cannot pile up unread.
    if (self->streaming()) return self->read();
    self->lines_.feed({self->chunk_.data(), n});
    self->process();
  });
}

// Answers buffered lines one at a time; a waiting command pauses the rest until it answers.
// After kRequestsPerTurn it yields to the loop and resumes behind every other ready client.
void Session::process() {
  int answered_this_turn = 0;
  while (phase_ == Phase::Idle && outbox_bytes_ <= kLowWater) {
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
    begin_request();
    handling_ = true;
    std::weak_ptr<Session> weak = shared_from_this();
    cancel_ = std::make_shared<std::function<void()>>();
    server_.handler_.handle(line, peer_,
                            Reply([weak](std::string reply, bool last) {
                              auto self = weak.lock();
                              return self && self->on_reply(std::move(reply), last);
                            },
                                  cancel_,
                                  [weak](FrameSource source, Reply::Stall stall) {
                                    if (auto self = weak.lock()) self->on_source(std::move(source), stall);
                                  },
                                  [weak] {
                                    auto self = weak.lock();
                                    return self && self->room_for_push();
                                  }));
    handling_ = false;
    pump();
    server_.hub_.changed();
    if (busy()) break;  // deferred: on_reply resumes
  }
  if (peer_closed_ && !busy()) {
    if (outbox_.empty()) close();
    return;
  }
  watch_request();
  read();
}

// A partial request is buffered: it must be completed within kRequestTimeout.
void Session::watch_request() {
  if (request_deadline_.armed || phase_ == Phase::Closed || lines_.buffered() == 0) return;
  request_deadline_.armed = true;
  request_deadline_.timer.expires_after(kRequestTimeout);
  request_deadline_.timer.async_wait(
      [self = shared_from_this(), generation = request_deadline_.generation](std::error_code ec) {
        if (ec || generation != self->request_deadline_.generation || self->phase_ == Phase::Closed) return;
        self->request_deadline_.armed = false;
        // Still answering earlier requests: the partial one is waiting for us, not the client.
        if (self->busy() || self->yielded_ || self->lines_.buffered() == 0 || self->outbox_bytes_ > kLowWater)
          return self->watch_request();
        spdlog::warn("client pid {}: no complete request within {} s; disconnecting it", self->peer_.pid,
                     kRequestTimeout.count());
        self->send(protocol::encode_error(std::nullopt, {protocol::ErrorCode::BadRequest,
                                                         "no complete request line within 10 s; closing"}));
        self->finish();
      });
}

// A whole line arrived: the clock starts over for the next one.
void Session::request_done() {
  if (!request_deadline_.armed) return;
  request_deadline_.disarm();
}

// ---- replies out ----------------------------------------------------------------------------

// A long reply: its frames are pulled by pump() as the client drains them.
void Session::on_source(FrameSource source, Reply::Stall stall) {
  if (phase_ == Phase::Closed) return;
  stream();
  source_ = std::move(source);
  patient_ = stall == Reply::Stall::Wait;
  if (!handling_) pump();
}

// A pushed line fits: this client is not far behind, and supd's total has room unless little
// is queued here.
bool Session::room_for_push() const {
  return phase_ != Phase::Closed && outbox_bytes_ <= kFollowLag && (outbox_bytes_ <= kLowWater || server_.has_room());
}

// Pulls frames while this client has room: less than kLowWater queued for it, and supd's
// total under its bound unless nothing at all is queued here (so a reader always moves on).
void Session::pump() {
  while (source_ && phase_ != Phase::Closed && outbox_bytes_ <= kLowWater) {
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
    if (frame.empty()) break;  // nothing now: the producer hands the source over again
    send(std::move(frame));
  }
  if (source_ && outbox_bytes_ > kLowWater) watch_stall();  // the next frame waits for the client
}

// false once the session is closed (a stream's producer then stops).
bool Session::on_reply(std::string reply, bool last) {
  if (phase_ == Phase::Closed) return false;
  if (!last) {  // a stream: more lines for this request will come
    stream();
    send(std::move(reply));
    if (phase_ != Phase::Closed && !handling_) read();  // keep watching for the client hanging up
    return phase_ != Phase::Closed;
  }
  answered();
  send(std::move(reply));
  // A deferred answer arrives from the loop's after_event: resume later, never re-entrantly.
  if (!handling_) asio::post(socket_.get_executor(), [self = shared_from_this()] { self->process(); });
  return phase_ != Phase::Closed;
}

void Session::send(std::string bytes) {
  if (phase_ == Phase::Closed) return;
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

void Session::write() {
  asio::async_write(socket_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      if (ec || self->phase_ == Phase::Closed) {  // closed meanwhile: the outbox is gone already
                        self->close();
                        return;
                      }
                      const std::size_t written = self->outbox_.front().size();
                      self->outbox_bytes_ -= written;
                      self->outbox_.pop_front();
                      self->server_.released(written);
                      self->stall_progress();
                      if (!self->outbox_.empty()) self->write();
                      else if (self->phase_ == Phase::Finishing) return self->close();
                      self->pump();  // the next frame of a long reply
                      if (self->phase_ == Phase::Closed || self->busy() || self->yielded_) return self->read();
                      self->process();  // requests may have waited for the outbox to drain
                    });
}

// ---- a client that reads nothing ------------------------------------------------------------

// Reading has paused on a full outbox; a client that still reads nothing is dropped.
void Session::watch_stall() {
  if (stall_deadline_.armed || phase_ == Phase::Closed || patient_) return;
  stall_deadline_.armed = true;
  stall_deadline_.timer.expires_after(kStallTimeout);
  stall_deadline_.timer.async_wait(
      [self = shared_from_this(), generation = stall_deadline_.generation](std::error_code ec) {
        if (ec || generation != self->stall_deadline_.generation || self->phase_ == Phase::Closed) return;
        spdlog::warn("client pid {}: read none of its {} bytes of replies for {} s; disconnecting it",
                     self->peer_.pid, self->outbox_bytes_, kStallTimeout.count());
        self->close();
      });
}

// The client read something: the stall clock starts over (a generation, because a timer that
// already fired may still be queued).
void Session::stall_progress() {
  if (!stall_deadline_.armed) return;
  stall_deadline_.disarm();
  if (outbox_bytes_ > stall_mark()) watch_stall();
}

// Past this much unread, the client must read within kStallTimeout or be dropped: a pushed
// stream (`logs -f`) may fall far behind a burst; a pulled or plain reply holds about a frame.
std::size_t Session::stall_mark() const { return streaming() && !source_ ? kMaxOutbox / 2 : kLowWater; }

}  // namespace supd::daemon
