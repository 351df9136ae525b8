// A control Session over a real socketpair and a real io_context, with a fake RequestHandler
// in place of Handlers and the Supervisor: one end is the session's, the other the test's
// client. The loop runs until a condition holds (or a deadline passes, which fails the test);
// nothing sleeps, and no assertion depends on how long anything took.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/fd.hpp"
#include "common/protocol.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/control/session.hpp"
#include "daemon/core/event_hub.hpp"

namespace supd::daemon {

// Catch prints a phase by its name.
static std::ostream& operator<<(std::ostream& os, Session::Phase phase) {
  constexpr const char* kNames[] = {"CheckingPeer", "Idle", "Answering", "Streaming", "Finishing", "Closed"};
  return os << kNames[static_cast<int>(phase)];
}

namespace {

using namespace std::chrono_literals;
using Phase = Session::Phase;
using common::UniqueFd;

constexpr std::size_t kFrameBytes = 100u << 10;

// What the handler does with a line, by its text:
//   "defer"     keeps the reply: the test answers it later (a waiting command)
//   "stream"    sends two lines with more to come and keeps the reply (`logs -f`)
//   "frames N"  hands over N frames of ~100 KiB, pulled as the client drains them (`status`)
//   "big N"     answers one line of N bytes
//   "follow"    keeps the reply and hands over follow_source(): pushed lines and pulled frames
//   otherwise   answers "re:<line>" at once
struct FakeHandler final : RequestHandler {
  std::vector<std::string> lines;  // every line handled, in order
  std::vector<Reply> kept;         // deferred answers and pushed streams
  int cancels = 0;                 // producers told that their client went away

  int follow_frames = 0;            // frames the follow source has to give now
  int follow_pulled = 0;

  // A follow's frames read from the files: "" (nothing now) once those it has are given.
  FrameSource follow_source() {
    return [this](bool& last) {
      last = false;
      if (follow_frames == 0) return std::string();
      --follow_frames;
      return fmt::format("pulled {} {}\n", ++follow_pulled, std::string(kFrameBytes, 'p'));
    };
  }

  void handle(std::string_view line, const Peer&, Reply reply) override {
    lines.emplace_back(line);
    if (line == "follow") {
      reply.on_cancel([this] { ++cancels; });
      reply.stream(follow_source(), Reply::Stall::Wait);
      kept.push_back(reply);
      return;
    }
    if (line == "defer" || line == "stream") {
      reply.on_cancel([this] { ++cancels; });
      if (line == "stream") {
        reply("line 1\n", false);
        reply("line 2\n", false);
      }
      kept.push_back(reply);
      return;
    }
    if (line.starts_with("frames ")) {
      const int n = std::stoi(std::string(line.substr(7)));
      reply.stream([n, i = 0](bool& last) mutable {
        last = ++i == n;
        return fmt::format("frame {} {}\n", i, std::string(kFrameBytes, 'f'));
      });
      return;
    }
    if (line.starts_with("big ")) {
      reply(std::string(std::stoul(std::string(line.substr(4))), 'b') + "\n");
      return;
    }
    reply(fmt::format("re:{}\n", line));
  }
};

struct FakeHub final : EventHub {
  int changed_count = 0;
  void process_exited(pid_t, const common::ExitStatus&) override {}
  void groups_may_have_emptied() override {}
  void job_ready(std::string_view, const Origin&) override {}
  void job_status_text(std::string_view, std::string) override {}
  void changed() override { ++changed_count; }
};

// A ControlServer that never accepts (its listening fd is a bare socket), serving one end of
// a socketpair; the test is the client at the other end.
struct SessionRig {
  asio::io_context io;
  FakeHandler handler;
  FakeHub hub;
  ControlServer server{io, ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), handler, hub};
  UniqueFd client;
  int session_fd = -1;
  std::shared_ptr<Session> session;
  std::string to_send;     // what the client has yet to write
  std::string received;    // what it has read
  bool client_reads = true;
  bool client_eof = false;

  SessionRig() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    client = UniqueFd(sv[0]);
    session_fd = sv[1];
    session = server.serve(asio::local::stream_protocol::socket(io, asio::local::stream_protocol(), sv[1]));
  }
  ~SessionRig() {
    session->abort();  // lets go of the loop's handlers before the server goes
    io.restart();
    io.poll();
  }
  SessionRig(const SessionRig&) = delete;
  SessionRig& operator=(const SessionRig&) = delete;

  Phase phase() const { return session->phase(); }

  // The client writes and reads what it can without blocking (the session runs on this thread).
  void client_io() {
    if (!client) return;
    while (!to_send.empty()) {
      const auto n = ::send(client.get(), to_send.data(), to_send.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n <= 0) break;
      to_send.erase(0, static_cast<std::size_t>(n));
    }
    while (client_reads && !client_eof) {
      char buf[65536];
      const auto n = ::recv(client.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) received.append(buf, static_cast<std::size_t>(n));
      // The end: EOF, or a reset when the session closed with bytes of ours unread.
      if (n == 0 || (n < 0 && errno == ECONNRESET)) client_eof = true;
      if (n <= 0) break;
    }
  }
  void send(std::string bytes) {
    to_send += bytes;
    client_io();
  }

  // Runs the loop until `done` holds; false if it did not within 10 s (a hang, not a timing).
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      client_io();
      if (done()) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.restart();
      io.run_one_for(5ms);
    }
  }
  // Runs everything that is ready until nothing is: what the session does with what it has.
  void settle() {
    for (int rounds = 0; rounds < 100000; ++rounds) {
      client_io();
      io.restart();
      if (io.poll() == 0) {
        client_io();
        io.restart();
        if (io.poll() == 0) return;
      }
    }
    FAIL("the loop never settled");
  }
  bool received_has(std::string_view text) const { return received.find(text) != std::string::npos; }
};

}  // namespace

TEST_CASE("a session admits a peer of supd's own uid (SO_PEERCRED of a socketpair)", "[session]") {
  SessionRig r;
  CHECK(r.session->admission() == Session::Admission::Admitted);
  CHECK(r.session->uid() == ::getuid());
  CHECK(r.phase() == Phase::Idle);
  CHECK(r.session->holds_slot());
  CHECK(r.session->stalled());  // no complete request yet: the first to go at the uid's cap
  CHECK(r.server.sessions() == 1);
}

TEST_CASE("a request is answered and the session is idle again", "[session]") {
  SessionRig r;
  r.send("ping\n");
  REQUIRE(r.run_until([&] { return r.received == "re:ping\n"; }));
  CHECK(r.handler.lines == std::vector<std::string>{"ping"});
  CHECK(r.hub.changed_count == 1);
  CHECK(r.phase() == Phase::Idle);
  CHECK_FALSE(r.session->stalled());  // answered once: never evicted for a newer connection
}

TEST_CASE("two pipelined requests are answered in order", "[session]") {
  SessionRig r;
  r.send("a\nb\n");
  REQUIRE(r.run_until([&] { return r.received == "re:a\nre:b\n"; }));
  CHECK(r.handler.lines == std::vector<std::string>{"a", "b"});
  CHECK(r.phase() == Phase::Idle);
}

TEST_CASE("a session answers 16 requests per loop turn and then the rest after the others", "[session]") {
  SessionRig r;
  std::string requests;
  for (int i = 0; i < 20; ++i) requests += fmt::format("r{}\n", i);
  r.send(requests);
  REQUIRE(r.run_until([&] { return !r.handler.lines.empty(); }));
  CHECK(r.handler.lines.size() == static_cast<std::size_t>(kRequestsPerTurn));  // yielded to the loop
  REQUIRE(r.run_until([&] { return r.handler.lines.size() == 20; }));
  REQUIRE(r.run_until([&] { return r.received_has("re:r19\n"); }));
  CHECK(r.received.find("re:r0\n") == 0);
}

TEST_CASE("a deferred request holds the next one until it is answered", "[session]") {
  SessionRig r;
  r.send("defer\nnext\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Answering; }));
  r.settle();
  CHECK(r.handler.lines == std::vector<std::string>{"defer"});  // "next" waits
  CHECK(r.received.empty());
  CHECK(r.phase() == Phase::Answering);
  CHECK_FALSE(r.session->stalled());

  REQUIRE(r.handler.kept.size() == 1);
  CHECK(r.handler.kept[0]("deferred answer\n"));  // later, from the loop (after_event)
  CHECK(r.phase() == Phase::Idle);
  REQUIRE(r.run_until([&] { return r.received == "deferred answer\nre:next\n"; }));
  CHECK(r.handler.lines == std::vector<std::string>{"defer", "next"});
  CHECK(r.handler.cancels == 0);
  CHECK(r.phase() == Phase::Idle);
}

TEST_CASE("a line over 1 MiB gets too_large and the next line is still served", "[session]") {
  SessionRig r;
  r.send(std::string(protocol::kMaxLineBytes + 10, 'x') + "\nafter\n");
  REQUIRE(r.run_until([&] { return r.received_has("re:after\n"); }));
  CHECK(r.received == protocol::encode_error(std::nullopt, {protocol::ErrorCode::TooLarge,
                                                           "request line over 1 MiB; send smaller requests"}) +
                          "re:after\n");
  CHECK(r.handler.lines == std::vector<std::string>{"after"});
  CHECK(r.phase() == Phase::Idle);
}

TEST_CASE("a client hanging up during a stream closes the session and its producer is told", "[session]") {
  SessionRig r;
  r.send("stream\n");
  REQUIRE(r.run_until([&] { return r.received == "line 1\nline 2\n"; }));
  CHECK(r.phase() == Phase::Streaming);
  r.client.reset();
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Closed; }));
  CHECK(r.handler.cancels == 1);
  REQUIRE(r.handler.kept.size() == 1);
  CHECK_FALSE(r.handler.kept[0]("line 3\n", false));  // the producer stops
  CHECK(r.server.sessions() == 0);
  CHECK(r.server.queued_bytes() == 0);
}

TEST_CASE("a client hanging up while its request waits: the answer goes nowhere and the half line is never run",
          "[session]") {
  SessionRig r;
  r.send("defer\nhalf a request");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Answering && r.to_send.empty(); }));
  r.client.reset();
  r.settle();
  CHECK(r.phase() == Phase::Answering);  // still waiting for its answer
  r.handler.kept[0]("deferred answer\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Closed; }));
  CHECK(r.handler.lines == std::vector<std::string>{"defer"});
  CHECK(r.handler.cancels == 0);  // answered: nothing to cancel
  CHECK(r.server.sessions() == 0);
}

TEST_CASE("what a client sends during a stream is dropped", "[session]") {
  SessionRig r;
  r.send("stream\n");
  REQUIRE(r.run_until([&] { return r.received == "line 1\nline 2\n"; }));
  r.send("ignored\n");
  r.settle();
  CHECK(r.phase() == Phase::Streaming);
  CHECK(r.handler.lines == std::vector<std::string>{"stream"});

  CHECK(r.handler.kept[0]("end\n", true));
  CHECK(r.phase() == Phase::Idle);
  r.send("after\n");
  REQUIRE(r.run_until([&] { return r.received_has("re:after\n"); }));
  CHECK(r.received == "line 1\nline 2\nend\nre:after\n");
  CHECK(r.handler.lines == std::vector<std::string>{"stream", "after"});
}

TEST_CASE("a client that reads nothing stops its requests at the low-water mark until it reads", "[session]") {
  SessionRig r;
  r.client_reads = false;
  std::string requests;
  for (int i = 0; i < 100; ++i) requests += "big 65536\n";
  r.send(requests);
  REQUIRE(r.run_until([&] { return !r.handler.lines.empty() && r.to_send.empty(); }));
  r.settle();
  CHECK(r.handler.lines.size() < 100);  // the rest wait for the client to read
  CHECK(r.session->outbox_bytes() > kLowWater);
  CHECK(r.phase() == Phase::Idle);

  r.client_reads = true;
  REQUIRE(r.run_until([&] { return r.received.size() == 100 * 65537 && r.session->outbox_bytes() == 0; }));
  CHECK(r.handler.lines.size() == 100);
  CHECK(r.session->outbox_bytes() == 0);
  CHECK(r.server.queued_bytes() == 0);
}

TEST_CASE("a pushed stream whose client reads nothing is closed past kMaxOutbox", "[session]") {
  SessionRig r;
  r.client_reads = false;
  r.send("stream\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Streaming; }));
  const std::string line(64u << 10, 'l');
  int sent = 0;
  for (; sent < 1000 && r.handler.kept[0](line + "\n", false); ++sent) r.settle();
  CHECK(static_cast<std::size_t>(sent) * line.size() > kMaxOutbox);  // the socket's buffer took some
  CHECK(static_cast<std::size_t>(sent) * line.size() < 2 * kMaxOutbox);
  CHECK(r.phase() == Phase::Closed);
  CHECK(r.handler.cancels == 1);
  CHECK(r.server.queued_bytes() == 0);
}

TEST_CASE("a follow behind its client is pushed no more but pulled at the client's pace and never closed", "[session]") {
  SessionRig r;
  r.client_reads = false;
  r.send("follow\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Streaming && r.to_send.empty(); }));
  Reply& follow = r.handler.kept.at(0);
  const std::string line(64u << 10, 'l');
  int pushed = 0;
  while (pushed < 1000 && follow.has_room()) {
    REQUIRE(follow(line + "\n", false));
    ++pushed;
    r.settle();
  }
  CHECK(pushed < 1000);
  CHECK(r.session->outbox_bytes() > kFollowLag - line.size());
  CHECK(r.session->outbox_bytes() <= kFollowLag + line.size() + 1);
  CHECK(r.phase() == Phase::Streaming);
  // The rest comes from the files: handed over, pulled only as the client drains.
  r.handler.follow_frames = 30;
  follow.stream(r.handler.follow_source(), Reply::Stall::Wait);
  r.settle();
  CHECK(r.handler.follow_pulled == 0);
  r.client_reads = true;
  REQUIRE(r.run_until([&] { return r.handler.follow_pulled == 30 && r.session->outbox_bytes() == 0; }));
  CHECK(r.phase() == Phase::Streaming);  // nothing now: the follow goes on
  CHECK(follow.has_room());
  CHECK(follow("live again\n", false));
  REQUIRE(r.run_until([&] { return r.received.ends_with("live again\n"); }));
  CHECK(r.handler.cancels == 0);
}

TEST_CASE("a long reply is pulled a frame at a time as the client reads", "[session]") {
  SessionRig r;
  r.client_reads = false;
  r.send("frames 20\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Streaming && r.to_send.empty(); }));
  r.settle();
  CHECK(r.phase() == Phase::Streaming);
  CHECK(r.session->outbox_bytes() <= kLowWater + kFrameBytes + 64);  // about one frame more than the mark

  r.client_reads = true;
  REQUIRE(r.run_until([&] { return r.received_has("frame 20 "); }));
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Idle; }));
  CHECK(r.received.find("frame 1 ") == 0);
  r.send("after\n");
  REQUIRE(r.run_until([&] { return r.received_has("re:after\n"); }));
}

TEST_CASE("finish() flushes what is queued and then closes", "[session]") {
  SessionRig r;
  r.send("defer\n");
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Answering; }));
  r.handler.kept[0]("deferred answer\n");  // queued, not yet written back
  REQUIRE(r.session->outbox_bytes() > 0);

  r.session->finish();
  CHECK(r.phase() == Phase::Finishing);
  CHECK_FALSE(r.session->holds_slot());
  r.send("too late\n");
  REQUIRE(r.run_until([&] { return r.client_eof; }));
  CHECK(r.received == "deferred answer\n");
  CHECK(r.phase() == Phase::Closed);
  CHECK(r.handler.lines == std::vector<std::string>{"defer"});
  CHECK(r.server.sessions() == 0);
}

TEST_CASE("finish() of an idle session closes it at once", "[session]") {
  SessionRig r;
  r.session->finish();
  CHECK(r.phase() == Phase::Closed);
  REQUIRE(r.run_until([&] { return r.client_eof; }));
  CHECK(r.server.sessions() == 0);
}

TEST_CASE("the server's finish() closes a session but keeps its fd open until supd exits", "[session]") {
  SessionRig r;
  r.send("ping\n");
  REQUIRE(r.run_until([&] { return r.received == "re:ping\n"; }));
  r.server.finish();
  REQUIRE(r.run_until([&] { return r.phase() == Phase::Closed; }));
  CHECK(r.server.sessions() == 0);
  r.settle();
  CHECK_FALSE(r.client_eof);  // `supctl shutdown` waits for EOF: it comes when supd's fds close
  ::close(r.session_fd);      // what the kernel does when supd exits
  REQUIRE(r.run_until([&] { return r.client_eof; }));
}

}  // namespace supd::daemon
