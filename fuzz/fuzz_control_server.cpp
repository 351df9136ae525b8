// Fuzz target: the control server's per-connection framing and dispatch. A real ControlServer,
// Handlers and Supervisor (no jobs; the fake ProcessOps of the daemon unit tests, whose every
// spawn fails, so `run` adds fatal jobs and nothing ever waits on a process) serve one client
// on a real Unix socket. The input is a list of writes; the client sends them one by one and
// lets the server's io_context run between them, so a request arrives cut anywhere.
// Invariants, against a model computed from the bytes alone:
//   every complete line gets exactly one response line (a history `events` may take several,
//   all but the last "more": true), in order, with the request's id (null when it could not
//   be read) and, for a request that does not decode, decode_request's error code;
//   an over-long line (over 1 MiB, with or without its end) gets one too_large error and the
//   line after it is served again;
//   after `events --follow` the session streams until the client hangs up and serves nothing
//   else; the client sends nothing after a `shutdown` (supd would exit);
//   at EOF the server closes the connection and forgets the session; nothing crashes, leaks
//   or hangs (a request never answered shows as no EOF).
// Input: records [op][...]: op % 8 < 6: a write of [len] bytes, then the server runs until it
// is idle; 6: the same with 1 MiB - 128 + [byte] bytes of 'x' (with what comes before and
// after it, a line just under, at or over the 1 MiB cap; only while the stream is under 2 MiB,
// else an ordinary write); 7: a write of [len] bytes that the next one joins before the
// server runs (one read may hold both).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <asio/io_context.hpp>

#include "common/fd.hpp"
#include "common/protocol.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/core/supervisor.hpp"
#include "fuzz/fuzz_check.hpp"
#include "fuzz/fuzz_input.hpp"
#include "tests/unit/daemon/fakes.hpp"

namespace proto = supd::protocol;
using supd::common::UniqueFd;
using supd::daemon::Clock;
using supd::fuzz::FuzzInput;

namespace {

constexpr std::size_t kFillerBase = proto::kMaxLineBytes - 128;
constexpr std::size_t kMaxFillerStream = 2 << 20;

// ---- the model: what the server must answer, from the bytes alone -----------------------

struct Expected {
  enum class Kind { One, History, Follow } kind = Kind::One;
  std::optional<std::uint64_t> id;           // nullopt: "id": null
  std::optional<proto::ErrorCode> code;      // the error a line that does not decode gets
};

struct Model {
  std::vector<Expected> answers;
  std::size_t stream_end = 0;  // the client sends nothing after a shutdown request
};

Model model(std::string_view stream) {
  Model m;
  m.stream_end = stream.size();
  const Expected too_large{Expected::Kind::One, std::nullopt, proto::ErrorCode::TooLarge};
  for (std::size_t pos = 0; pos < stream.size();) {
    const auto nl = stream.find('\n', pos);
    std::string_view line = stream.substr(pos, (nl == std::string_view::npos ? stream.size() : nl) - pos);
    if (line.size() > proto::kMaxLineBytes) {
      m.answers.push_back(too_large);  // with its end or without: reported once
    } else if (nl != std::string_view::npos) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // as LineReader does
      const auto decoded = proto::decode_request(line);
      if (const auto* bad = std::get_if<proto::RequestError>(&decoded)) {
        m.answers.push_back({Expected::Kind::One, bad->id, bad->error.code});
      } else {
        const auto& request = std::get<proto::Request>(decoded);
        const auto* events = std::get_if<proto::Events>(&request.command);
        const auto kind = !events ? Expected::Kind::One
                          : events->follow ? Expected::Kind::Follow : Expected::Kind::History;
        m.answers.push_back({kind, request.id, std::nullopt});
        if (std::holds_alternative<proto::Shutdown>(request.command)) {
          m.stream_end = nl + 1;
          break;
        }
      }
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return m;
}

// ---- the server side ----------------------------------------------------------------------

struct Server final : supd::daemon::EventHub {
  asio::io_context io;
  supd::daemon::test::FakeProcessOps ops;
  supd::daemon::test::FakeOutputSink sink;
  supd::daemon::Supervisor sup{ops, sink, supd::daemon::test::config_of({}), "/nonexistent/supd-fuzz-logs"};
  supd::daemon::Handlers handlers{sup};
  bool shut_down = false;
  supd::daemon::ControlServer server;

  explicit Server(int listen_fd) : server(io, listen_fd, handlers, *this) {
    top_up_failures();
    server.start();
  }

  // A request can spawn each job once (`start all`) and add one (`run`).
  void top_up_failures() {
    while (ops.failures.size() < sup.jobs().size() + 2) ops.fail_next_spawn("exec: the fuzz harness spawns nothing");
  }

  // Only requests happen here: nothing spawns, so nothing exits or gets ready.
  void process_exited(pid_t, const supd::common::ExitStatus&) override {}
  void groups_may_have_emptied() override {}
  void job_ready(std::string_view, const supd::daemon::Origin&) override {}
  void job_status_text(std::string_view, std::string) override {}

  // What supd's event loop does after every request (daemon/event_loop.cpp, upgrade.cpp).
  void changed() override {
    top_up_failures();
    handlers.after_event(Clock::now());
    if (auto upgrade = handlers.take_upgrade())
      upgrade->reply(proto::encode_error(upgrade->id, {proto::ErrorCode::UpgradeFailed, "the fuzz harness does not exec"}));
    if (!shut_down && sup.shutdown_complete()) {
      shut_down = true;
      handlers.on_shutdown_complete();
    }
  }
};

// A listening socket in the abstract namespace: no file, and unique per process and input.
UniqueFd listener(std::string& name) {
  static unsigned counter = 0;
  name = "supd-fuzz-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  name.copy(a.sun_path + 1, sizeof a.sun_path - 2);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  FUZZ_CHECK(fd.get() >= 0 && ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), len) == 0);
  FUZZ_CHECK(::listen(fd.get(), 4) == 0);
  return fd;
}

UniqueFd connect_to(const std::string& name) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  name.copy(a.sun_path + 1, sizeof a.sun_path - 2);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  FUZZ_CHECK(fd.get() >= 0 && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), len) == 0);
  return fd;
}

// ---- the client side ----------------------------------------------------------------------

struct Client {
  Server& server;
  UniqueFd fd;
  std::string received;
  bool eof = false;
  bool broken = false;  // the server closed while we were still writing

  // Lets the server run until nothing is ready, reading replies as they come (a client that
  // did not read could stall the server on purpose; that is not what this target tests).
  void settle() {
    for (int idle = 0; idle < 3;) {
      const std::size_t ran = server.io.poll();
      server.io.restart();
      const bool read = drain();
      idle = ran == 0 && !read ? idle + 1 : 0;
    }
  }

  bool drain() {
    bool any = false;
    char buf[65536];
    while (!eof) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        received.append(buf, static_cast<std::size_t>(n));
        any = true;
      } else if (n == 0) {
        eof = any = true;
      } else {
        break;  // EAGAIN, or a reset (the server must never do that: the checks will tell)
      }
    }
    return any;
  }

  void write(std::string_view bytes) {
    while (!bytes.empty() && !broken) {
      const ssize_t n = ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        settle();
      } else {
        broken = true;
      }
    }
  }
};

struct Reply {
  std::optional<std::uint64_t> id;
  std::optional<proto::ErrorCode> code;  // an error reply
  bool more = false;                     // a stream's "more": true
};

std::vector<Reply> replies(const std::string& received) {
  std::vector<Reply> out;
  std::string_view rest = received;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    FUZZ_CHECK(nl != std::string_view::npos);  // whole lines only
    const auto decoded = proto::decode_response(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
    Reply r;
    if (const auto* error = std::get_if<proto::Error>(&decoded)) {
      FUZZ_CHECK(error->code != proto::ErrorCode::BadRequest || error->message != "malformed response from supd");
      r.code = error->code;
    } else {
      const auto& response = std::get<proto::Response>(decoded);
      r.id = response.id;
      if (const auto* e = std::get_if<proto::Error>(&response.body)) r.code = e->code;
      else if (const auto& body = std::get<nlohmann::json>(response.body); body.is_object())
        r.more = body.value("more", false);
    }
    out.push_back(r);
  }
  return out;
}

void check(const Model& m, const std::vector<Reply>& got) {
  std::size_t k = 0;
  for (const auto& want : m.answers) {
    FUZZ_CHECK(k < got.size());
    FUZZ_CHECK(got[k].id == want.id);
    if (want.code) FUZZ_CHECK(got[k].code == want.code);
    if (want.kind == Expected::Kind::Follow && !got[k].code) {  // streams until we hang up
      for (; k < got.size(); ++k) FUZZ_CHECK(got[k].id == want.id && got[k].more && !got[k].code);
      return;
    }
    if (want.kind == Expected::Kind::History)
      while (k + 1 < got.size() && got[k].more && got[k].id == want.id) ++k;
    FUZZ_CHECK(!got[k].more);
    ++k;
  }
  FUZZ_CHECK(k == got.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The writes, as the input lists them.
  FuzzInput in(data, size);
  struct Write {
    std::string bytes;
    bool settle = true;  // the server runs until idle after this write
  };
  std::vector<Write> writes;
  std::string stream;
  while (in.remaining() > 0) {
    const std::uint8_t op = in.byte() % 8;
    // Fillers only while the stream is short: two long lines say all there is to say.
    const bool filler = op == 6 && stream.size() < kMaxFillerStream;
    std::string bytes = filler ? std::string(kFillerBase + in.byte(), 'x') : std::string(in.bytes(in.byte()));
    stream += bytes;
    writes.push_back({std::move(bytes), op != 7});
  }
  const Model m = model(stream);

  std::string name;
  UniqueFd listen_fd = listener(name);
  Server server(listen_fd.release());
  Client client{server, connect_to(name), {}, false, false};
  std::size_t sent = 0;
  for (const auto& w : writes) {
    if (sent == m.stream_end) break;
    const std::string_view bytes = std::string_view(w.bytes).substr(0, m.stream_end - sent);
    client.write(bytes);
    sent += bytes.size();
    if (w.settle) client.settle();
  }
  client.settle();
  ::shutdown(client.fd.get(), SHUT_WR);
  client.settle();

  FUZZ_CHECK(!client.broken);
  FUZZ_CHECK(client.eof);                        // every request answered, then the session ended
  FUZZ_CHECK(server.server.sessions() == 0);     // ... and was forgotten
  check(m, replies(client.received));
  return 0;
}
