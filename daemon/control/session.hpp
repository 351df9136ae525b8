// One client of the control socket, as an explicit state machine: its peer checked with
// SO_PEERCRED and its uid's cap, NDJSON framed with a cap, one request answered at a time (at
// most kRequestsPerTurn per loop turn), its outbox bounded, a partial request and a client that
// reads nothing timed out. ControlServer owns the sessions; each talks back to it for the cap,
// supd's total of queued bytes and the request handler. Never throws into the loop.
//
//   CheckingPeer --admitted--> Idle --a line--> Answering --last line--> Idle
//        |                      ^                  |  ^ (a deferred answer holds the next line)
//        |                      |      more lines  v  |
//        |                      +--last line--- Streaming (pushed lines, or frames pulled)
//        +--refused--> Finishing (flush, then) --> Closed   <-- from any phase: error, hang-up
#pragma once
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "common/line_reader.hpp"
#include "daemon/control/reply.hpp"

namespace supd::daemon {

class ControlServer;

// A stream that is pushed (`logs -f`, `events -f`) may fall this far behind before its client
// is dropped; other replies are pulled a frame at a time and never queue this much.
inline constexpr std::size_t kMaxOutbox = 8u << 20;
// A follow (`logs -f`) whose client has this much unread is pushed no more live chunks: it
// reads the rest from the log files at its own pace (never dropped; daemon/output/log_catch_up).
inline constexpr std::size_t kFollowLag = 1u << 20;
// A session takes its next request, or pulls the next frame of a long reply, only while less
// than this is queued for it: a client that does not read holds at most about one frame.
inline constexpr std::size_t kLowWater = 256u << 10;
// Requests answered per session before the loop serves everyone else (round robin): a client
// that pipelines thousands of requests cannot starve the others.
inline constexpr int kRequestsPerTurn = 16;
// A client whose unread replies passed its mark (stall_mark()) is read no more; if it then reads
// nothing for this long, it is dropped (it holds memory and an fd for nothing).
inline constexpr auto kStallTimeout = std::chrono::seconds(10);
// A request must be complete this long after its first byte arrived: a client dripping bytes
// (slowloris) cannot hold a connection and its buffer forever. Tools send whole lines.
inline constexpr auto kRequestTimeout = std::chrono::seconds(10);

class Session : public std::enable_shared_from_this<Session> {
  friend class ControlServer;

public:
  enum class Phase {
    CheckingPeer,  // accepted; its uid and its uid's cap not checked yet
    Idle,          // reading requests (paused while its unread replies are over its mark)
    Answering,     // a request is with the handler, answered now or deferred: the next waits
    Streaming,     // ... and its answer takes several lines, pushed or pulled (source_)
    Finishing,     // nothing more is read; what is queued is written, then it closes
    Closed,        // the socket is gone (or kept for supd's exit); replies are refused
  };
  // Where the peer check left it: only an admitted session counts against its uid's cap.
  enum class Admission { Unchecked, Admitted, Refused };

  Session(ControlServer& server, asio::local::stream_protocol::socket socket);

  void start();

  Phase phase() const { return phase_; }
  Admission admission() const { return admission_; }
  uid_t uid() const { return peer_.uid; }
  std::uint64_t serial() const { return serial_; }
  std::size_t outbox_bytes() const { return outbox_bytes_; }
  // Counted against its uid's cap: admitted and not on its way out.
  bool holds_slot() const { return admission_ == Admission::Admitted && !ending(); }
  // Has never sent a complete request (idle, or dripping bytes): a follower or a client
  // that has been answered is never evicted.
  bool stalled() const { return holds_slot() && !served_ && !busy(); }

  // Makes room for a newer connection of the same uid: one error line, then closed.
  void evict();
  // Not admitted: one error line, then closed once it is written.
  void refuse();
  // Flush what is queued, then close; a shutdown caller's fd stays open until supd exits.
  void finish();
  void abort() { close(); }

private:
  // A timer and what keeps a firing that was already queued from acting: its generation.
  struct Deadline {
    explicit Deadline(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    bool armed = false;
    unsigned generation = 0;
    // Stops it: a wait already queued sees a newer generation and does nothing.
    void cancel() {
      ++generation;
      timer.cancel();
    }
    void disarm() {
      armed = false;
      cancel();
    }
  };

  bool ending() const { return phase_ == Phase::Finishing || phase_ == Phase::Closed; }
  // How far the request in hand has got (Idle, Answering or Streaming), also while Finishing:
  // a deferred answer may still come then, and is flushed with the rest.
  Phase request_phase() const { return ending() ? in_hand_ : phase_; }
  bool busy() const { return request_phase() == Phase::Answering || request_phase() == Phase::Streaming; }
  bool streaming() const { return request_phase() == Phase::Streaming; }

  // ---- transitions ----
  bool read_peer();                 // CheckingPeer -> (Finishing when refused, Closed on error)
  void admitted();                  // CheckingPeer -> Idle
  void begin_request();             // Idle -> Answering
  void stream();                    // Answering -> Streaming
  void answered();                  // Answering or Streaming -> Idle
  void set_request(Phase request);  // the request's part of the phase, kept while Finishing
  void end(Phase to);               // -> Finishing or Closed, keeping the request's phase
  void close();                     // -> Closed: timers stopped, the producer told, the socket gone

  void read();
  void process();
  void on_source(FrameSource source, Reply::Stall stall);
  bool room_for_push() const;
  void pump();
  void watch_request();
  void request_done();
  bool on_reply(std::string reply, bool last);
  void send(std::string bytes);
  void write();
  void watch_stall();
  void stall_progress();
  std::size_t stall_mark() const;

  ControlServer& server_;
  asio::local::stream_protocol::socket socket_;
  Deadline stall_deadline_;    // armed while reading is paused on unread replies (watch_stall)
  Deadline request_deadline_;  // armed while a partial request is buffered (watch_request)
  common::LineReader lines_;
  std::array<char, 16384> chunk_{};
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  Peer peer_;
  Phase phase_ = Phase::CheckingPeer;
  Phase in_hand_ = Phase::Idle;  // once ending: how far the request in hand has got (request_phase())
  Admission admission_ = Admission::Unchecked;
  std::shared_ptr<std::function<void()>> cancel_;  // the request's Reply::on_cancel
  FrameSource source_;          // the rest of a long reply, pulled as the client drains it
  bool patient_ = false;        // the stream's unread rest waits on disk: a pause never drops it
  // Facts apart from the phase:
  bool reading_ = false;        // a read is in flight (also while Streaming, to see a hang-up)
  bool yielded_ = false;        // a process() is posted: the rest of the buffered lines wait for it
  bool handling_ = false;       // inside the handler's handle(): a reply now is synchronous
  bool peer_closed_ = false;    // the read ended while an answer or unread replies were pending
  bool waiting_room_ = false;   // in the server's list of sessions waiting for its bound
  bool served_ = false;         // sent at least one complete request
  const std::uint64_t serial_;  // accept order
};

}  // namespace supd::daemon
