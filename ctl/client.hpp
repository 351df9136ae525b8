// A blocking control-socket client for supctl: connect, `hello`, one request at a time,
// each answer read with poll() under a deadline. No Asio, no threads (sway's ipc-client).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/fd.hpp"
#include "common/line_reader.hpp"
#include "common/protocol.hpp"

namespace supd::ctl {

// std::nullopt means no limit.
using Timeout = std::optional<std::chrono::milliseconds>;

// Why talking to supd failed. The message is one line, without the "supctl: " prefix.
class ClientFailure : public std::runtime_error {
public:
  enum class Kind {
    Unreachable,  // no socket, refused, hung up, or hello unanswered in time
    TimedOut,     // connected and greeted, but the request was not answered in time
    Refused,      // supd answered hello with an error or another protocol version
    BadReply,     // an answer supctl cannot read
  };
  ClientFailure(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

private:
  Kind kind_;
};

// What carries the bytes when it is not supd's own socket (ctl/ssh_link.hpp: an ssh child):
// asked, when the far end hangs up, for the reason in words, and kept alive with the Client.
class Link {
public:
  virtual ~Link() = default;
  // Why the connection closed, as the failure to report; nullopt when there is nothing to add.
  virtual std::optional<ClientFailure> why_closed() = 0;
};

// One answer, with the raw line kept so results can be printed as the server wrote them.
struct Reply {
  protocol::Response response;
  std::string line;
};

class Client {
public:
  // Connects and exchanges hello, both within `timeout`. Throws ClientFailure; Unreachable,
  // with nothing sent, for a socket common/socket_trust.hpp does not trust (its directory
  // another user's or writable by others, or its server another uid than ours or root's).
  // `start_hint` is the command that would start this supd ("supd --detach"), for messages.
  // With `then`, that request is sent right behind the hello (one round trip instead of two),
  // and the first call() of the same command only reads its answer. The wire contract makes
  // hello optional, so a supd judges every request on its own; a refused hello is still
  // reported as such (the command's answer is then never read).
  static Client connect(const std::filesystem::path& socket, Timeout timeout,
                        const std::string& start_hint = "supd --detach", const protocol::Command* then = nullptr);

  // The trusted connect of connect(), without the hello: the socket `supctl bridge` relays.
  static common::UniqueFd open_socket(const std::filesystem::path& socket, Timeout timeout,
                                      const std::string& start_hint);

  // Greets supd over a connected stream socket `fd`, as connect() does after its checks.
  // `label` names the far end in messages (the socket path, or a host); `link` is kept for
  // as long as the Client and asked why the far end hung up. Throws ClientFailure.
  static Client greet(common::UniqueFd fd, const std::string& label, Timeout timeout,
                      const protocol::Command* then = nullptr, std::shared_ptr<Link> link = nullptr);

  // Sends one request and reads its answer within `timeout`, every frame of it (common/
  // protocol.hpp) merged into one, except for `logs` and `events`, read frame by frame with
  // next(). Throws ClientFailure
  // (Unreachable if supd hangs up first, TimedOut if the deadline passes).
  Reply call(const protocol::Command& command, Timeout timeout);

  // The next line of a streamed answer (`logs`) to the last call; nullopt when supd closed
  // the connection. Throws ClientFailure.
  std::optional<Reply> next(Timeout timeout);

  // The next line of a streamed answer if one has arrived, without waiting: nullopt when none
  // has yet (poll fd() for more). Throws ClientFailure, Unreachable when supd closed it.
  std::optional<Reply> next_now();

  // The socket, for a caller that polls several streams at once (supctl top).
  int fd() const { return fd_.get(); }

  // Reads until supd closes the connection (after `shutdown`). Throws ClientFailure.
  void wait_for_close(Timeout timeout);

  const std::string& server_version() const { return server_version_; }
  const std::filesystem::path& socket() const { return socket_; }

private:
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;
  Client(common::UniqueFd fd, std::filesystem::path socket, std::shared_ptr<Link> link);
  [[noreturn]] void hung_up(std::string message);  // the Link's reason, else `message`
  // greet() with the deadline given (connect's covers its connect too); `timeout` is what a
  // message says was allowed.
  static Client greet_by(common::UniqueFd fd, const std::string& label, Timeout timeout, Deadline deadline,
                         const protocol::Command* then, std::shared_ptr<Link> link);

  Reply exchange(const protocol::Command& command, Deadline deadline);
  Reply decode_streamed(std::string line);  // a line of the stream of the last call
  Reply receive(std::uint64_t id, Deadline deadline);  // the answer to request `id`
  // A reply in several frames ("more": true on all but the last), read to its end and merged
  // into one (DESIGN.md: `supctl --json` prints one document).
  Reply gather(Reply first, Deadline deadline);
  void send_all(const std::string& bytes, Deadline deadline);
  enum class ReadStatus { Line, Eof, TimedOut, TooLong };
  ReadStatus read_line(std::string& line, Deadline deadline);
  // Waits for `events` on the socket; false when the deadline passed.
  bool wait(short events, Deadline deadline);

  std::shared_ptr<Link> link_;  // before fd_: the socket closes first, so an ssh link can end
  common::UniqueFd fd_;
  std::filesystem::path socket_;
  common::LineReader reader_{protocol::kMaxLineBytes};
  std::uint64_t next_id_ = 1;
  std::optional<std::uint64_t> sent_ahead_;  // the id of the request sent behind the hello
  std::string server_version_;
};

// "10s", "1m30s": how a Timeout reads in a message ("no limit" when unset).
std::string describe_timeout(Timeout timeout);

}  // namespace supd::ctl
