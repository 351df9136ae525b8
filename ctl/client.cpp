#include "ctl/client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/socket_trust.hpp"
#include "common/sys_error.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;
using Clock = std::chrono::steady_clock;
using Kind = ClientFailure::Kind;

std::optional<Clock::time_point> deadline_after(Timeout timeout) {
  if (!timeout) return std::nullopt;
  return Clock::now() + *timeout;
}

std::string not_answering(const std::string& where, Timeout timeout) {
  return fmt::format(
      "supd at {} did not answer within {}; check that it is running and not stopped "
      "(kill -CONT), or pass a longer --timeout",
      where, describe_timeout(timeout));
}

std::string refusal(const std::filesystem::path& socket, const common::Distrust& distrust) {
  return fmt::format("refusing to talk to {}: {}", socket.string(), common::explain_distrust(distrust));
}

// {"id": null, "ok": false, "error": {...}}: supd's answer to a line it could not read.
bool is_error_without_id(std::string_view line) {
  const auto doc = nlohmann::json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  const auto id = doc.find("id"), ok = doc.find("ok"), error = doc.find("error");
  return id != doc.end() && id->is_null() && ok != doc.end() && *ok == false && error != doc.end() &&
         error->is_object();
}

}  // namespace

std::string describe_timeout(Timeout timeout) {
  if (!timeout) return "no limit";
  return common::format_duration(*timeout);
}

Client::Client(common::UniqueFd fd, std::filesystem::path socket, std::shared_ptr<Link> link)
    : link_(std::move(link)), fd_(std::move(fd)), socket_(std::move(socket)) {}

void Client::hung_up(std::string message) {
  if (link_)
    if (auto why = link_->why_closed()) throw std::move(*why);
  throw ClientFailure(Kind::Unreachable, message);
}

common::UniqueFd Client::open_socket(const std::filesystem::path& socket, Timeout timeout,
                                     const std::string& start_hint) {
  const std::string path = socket.string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw ClientFailure(Kind::Unreachable,
                        fmt::format("cannot reach supd at {} (socket path is empty or longer than {} "
                                    "bytes); use a shorter --socket or SUPD_SOCKET",
                                    path, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.data(), path.size());

  // Nothing is sent to a socket another user could have put there (DESIGN.md): the directory
  // is judged before connecting, the server's uid after, both before the first byte.
  const uid_t me = ::geteuid();
  if (const auto distrust = common::check_socket_dir(socket, me))
    throw ClientFailure(Kind::Unreachable, refusal(socket, *distrust));

  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    throw ClientFailure(Kind::Unreachable,
                        fmt::format("cannot create a socket ({})", common::errno_message(errno)));

  // A Unix-socket connect blocks only while the listener's backlog is full (a stopped supd);
  // SO_SNDTIMEO bounds that wait.
  if (timeout && timeout->count() > 0) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout->count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(timeout->count() % 1000 * 1000);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT)
      throw ClientFailure(Kind::Unreachable, not_answering(path, timeout));
    if (err == EACCES || err == EPERM)
      throw ClientFailure(Kind::Unreachable,
                          fmt::format("cannot reach supd at {} ({}); run supctl as the user that runs "
                                      "supd, or pass --socket",
                                      path, common::errno_message(err)));
    throw ClientFailure(Kind::Unreachable, fmt::format("cannot reach supd at {} ({}); start it with: {}",
                                                       path, common::errno_message(err), start_hint));
  }
  const auto server = common::peer_uid(fd.get());
  if (!server)
    throw ClientFailure(Kind::Unreachable,
                        fmt::format("refusing to talk to {}: the kernel does not say who runs the server there "
                                    "(SO_PEERCRED: {})",
                                    path, common::errno_message(errno)));
  if (!common::trusted_server(*server, me))
    throw ClientFailure(Kind::Unreachable,
                        refusal(socket, {common::Distrust::Reason::ForeignServer, socket, *server, 0}));
  return fd;
}

Client Client::connect(const std::filesystem::path& socket, Timeout timeout,
                       const std::string& start_hint, const protocol::Command* then) {
  // The deadline covers the connect and the hello together.
  const auto deadline = deadline_after(timeout);
  auto fd = open_socket(socket, timeout, start_hint);
  return greet_by(std::move(fd), socket.string(), timeout, deadline, then, nullptr);
}

Client Client::greet(common::UniqueFd fd, const std::string& label, Timeout timeout, const protocol::Command* then,
                     std::shared_ptr<Link> link) {
  return greet_by(std::move(fd), label, timeout, deadline_after(timeout), then, std::move(link));
}

Client Client::greet_by(common::UniqueFd fd, const std::string& label, Timeout timeout, Deadline deadline,
                        const protocol::Command* then, std::shared_ptr<Link> link) {
  const int fl = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK);

  Client client(std::move(fd), label, std::move(link));
  Reply hello;
  try {
    const std::uint64_t hello_id = client.next_id_++;
    std::string bytes = proto::encode_request({hello_id, proto::Hello{}});
    if (then != nullptr) {
      client.sent_ahead_ = client.next_id_++;
      bytes += proto::encode_request({*client.sent_ahead_, *then});
    }
    try {
      client.send_all(bytes, deadline);
    } catch (const ClientFailure& e) {
      // supd may have refused this connection (another uid, too many connections) with one
      // error line and closed it before the request arrived: that line says why.
      std::string line;
      if (e.kind() != Kind::Unreachable || client.read_line(line, deadline) != ReadStatus::Line) throw;
      const auto decoded = proto::decode_response(line);
      const auto* refusal = std::get_if<proto::Error>(&decoded);
      if (refusal == nullptr || !is_error_without_id(line)) throw;
      throw ClientFailure(Kind::Refused, refusal->message);
    }
    hello = client.receive(hello_id, deadline);
  } catch (const ClientFailure& e) {
    if (e.kind() == Kind::TimedOut) throw ClientFailure(Kind::Unreachable, not_answering(label, timeout));
    throw;
  }
  if (const auto* err = std::get_if<proto::Error>(&hello.response.body)) {
    if (err->code == proto::ErrorCode::VersionMismatch)
      throw ClientFailure(Kind::Refused,
                          fmt::format("{}; use the supctl that came with this supd", err->message));
    throw ClientFailure(Kind::Refused, fmt::format("supd refused the hello: {}", err->message));
  }
  const auto& result = std::get<nlohmann::json>(hello.response.body);
  const auto greeting = proto::Hello::Reply::from_json(result);
  if (!greeting || greeting->protocol != proto::kProtocolVersion) {
    const auto* protocol = result.is_object() ? proto::field(result, "protocol") : nullptr;  // as supd wrote it
    throw ClientFailure(Kind::Refused,
                        fmt::format("supd at {} speaks protocol {}, this supctl speaks {}; use the "
                                    "supctl that came with this supd",
                                    label, protocol == nullptr ? "?" : protocol->dump(), proto::kProtocolVersion));
  }
  client.server_version_ = greeting->version;
  return client;
}

Reply Client::call(const protocol::Command& command, Timeout timeout) {
  try {
    return exchange(command, deadline_after(timeout));
  } catch (const ClientFailure& e) {
    if (e.kind() != Kind::TimedOut) throw;
    throw ClientFailure(Kind::TimedOut,
                        fmt::format("no answer from supd within {}; the {} may still complete; see: "
                                    "supctl status",
                                    describe_timeout(timeout), proto::method_name(command)));
  }
}

Reply Client::exchange(const protocol::Command& command, Deadline deadline) {
  std::uint64_t id = 0;
  if (const auto ahead = std::exchange(sent_ahead_, std::nullopt)) {
    id = *ahead;
  } else {
    id = next_id_++;
    send_all(proto::encode_request({id, command}), deadline);
  }
  Reply reply = receive(id, deadline);
  // `logs` and `events` are printed piece by piece as they come; any other reply in several
  // frames is one document.
  if (std::holds_alternative<proto::Logs>(command) || std::holds_alternative<proto::Events>(command)) return reply;
  return gather(std::move(reply), deadline);
}

Reply Client::gather(Reply first, Deadline deadline) {
  auto* result = std::get_if<nlohmann::json>(&first.response.body);
  if (result == nullptr || !proto::has_more(*result)) return first;
  const std::uint64_t id = first.response.id;
  nlohmann::json whole = nlohmann::json::object();
  proto::merge_frame(whole, std::move(*result));
  for (;;) {
    Reply part = receive(id, deadline);
    if (!part.response.ok()) return part;  // supd gave up midway
    if (part.response.id != id)
      throw ClientFailure(Kind::BadReply, fmt::format("supd answered request {} in the frames of {}; use the "
                                                      "supctl that came with this supd",
                                                      part.response.id, id));
    auto& body = std::get<nlohmann::json>(part.response.body);
    const bool more = proto::has_more(body);
    proto::merge_frame(whole, std::move(body));
    if (!more) break;
  }
  // The document a single frame would have been: --json prints it as supd would have.
  proto::Response merged{id, std::move(whole)};
  std::string line = proto::encode_response(merged);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return {std::move(merged), std::move(line)};
}

Reply Client::receive(std::uint64_t id, Deadline deadline) {
  std::string line;
  switch (read_line(line, deadline)) {
  case ReadStatus::Line: break;
  case ReadStatus::TimedOut: throw ClientFailure(Kind::TimedOut, "timed out");
  case ReadStatus::TooLong:
    throw ClientFailure(Kind::BadReply, "supd sent an answer longer than 1 MiB; see: supctl --version");
  case ReadStatus::Eof:
    hung_up(fmt::format("supd at {} closed the connection before answering; check that it "
                        "is still running, and its log",
                        socket_.string()));
  }
  auto decoded = proto::decode_response(line);
  if (const auto* err = std::get_if<proto::Error>(&decoded)) {
    // decode_response hands back supd's own error when it answered with "id": null (a
    // request it could not read); only a line that is no response at all is a bad reply.
    if (is_error_without_id(line)) return {proto::Response{id, *err}, std::move(line)};
    throw ClientFailure(Kind::BadReply,
                        fmt::format("supd sent an answer supctl cannot read ({}); use the supctl that "
                                    "came with this supd",
                                    err->message));
  }
  auto& response = std::get<proto::Response>(decoded);
  // An error for a request supd could not read carries id null; anything else must match.
  if (response.ok() && response.id != id)
    throw ClientFailure(Kind::BadReply,
                        fmt::format("supd answered request {} when {} was asked; use the supctl that "
                                    "came with this supd",
                                    response.id, id));
  return {std::move(response), std::move(line)};
}

std::optional<Reply> Client::next(Timeout timeout) {
  std::string line;
  switch (read_line(line, deadline_after(timeout))) {
  case ReadStatus::Line: break;
  case ReadStatus::Eof: return std::nullopt;
  case ReadStatus::TimedOut: throw ClientFailure(Kind::TimedOut, "timed out");
  case ReadStatus::TooLong:
    throw ClientFailure(Kind::BadReply, "supd sent an answer longer than 1 MiB; see: supctl --version");
  }
  return decode_streamed(std::move(line));
}

std::optional<Reply> Client::next_now() {
  std::string line;
  switch (read_line(line, Clock::now())) {
  case ReadStatus::Line: return decode_streamed(std::move(line));
  case ReadStatus::TimedOut: return std::nullopt;
  case ReadStatus::Eof: hung_up(fmt::format("supd at {} closed the connection", socket_.string()));
  case ReadStatus::TooLong:
    throw ClientFailure(Kind::BadReply, "supd sent an answer longer than 1 MiB; see: supctl --version");
  }
  return std::nullopt;
}

Reply Client::decode_streamed(std::string line) {
  auto decoded = proto::decode_response(line);
  if (const auto* err = std::get_if<proto::Error>(&decoded))
    throw ClientFailure(Kind::BadReply, fmt::format("supd sent an answer supctl cannot read ({})", err->message));
  auto& response = std::get<proto::Response>(decoded);
  if (response.id + 1 != next_id_)
    throw ClientFailure(Kind::BadReply, fmt::format("supd answered request {} in a stream for {}", response.id,
                                                    next_id_ - 1));
  return Reply{std::move(response), std::move(line)};
}

void Client::wait_for_close(Timeout timeout) {
  const auto deadline = deadline_after(timeout);
  for (std::string line;;) {
    switch (read_line(line, deadline)) {
    case ReadStatus::Eof: return;
    case ReadStatus::Line:
    case ReadStatus::TooLong: continue;  // nothing more is expected; ignore it
    case ReadStatus::TimedOut:
      throw ClientFailure(Kind::TimedOut,
                          fmt::format("supd answered but did not exit within {}; see: supctl status",
                                      describe_timeout(timeout)));
    }
  }
}

void Client::send_all(const std::string& bytes, Deadline deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait(POLLOUT, deadline)) throw ClientFailure(Kind::TimedOut, "timed out");
      continue;
    }
    hung_up(fmt::format("supd at {} closed the connection ({}); check that it is still "
                        "running, and its log",
                        socket_.string(), common::errno_message(errno)));
  }
}

Client::ReadStatus Client::read_line(std::string& line, Deadline deadline) {
  char buf[64 * 1024];
  for (;;) {
    switch (reader_.next(line)) {
    case common::LineReader::Status::Line: return ReadStatus::Line;
    case common::LineReader::Status::TooLong: return ReadStatus::TooLong;
    case common::LineReader::Status::NeedMore: break;
    }
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      reader_.feed({buf, static_cast<std::size_t>(n)});
      continue;
    }
    if (n == 0) return ReadStatus::Eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait(POLLIN, deadline)) return ReadStatus::TimedOut;
      continue;
    }
    return ReadStatus::Eof;  // ECONNRESET and the like: supd is gone
  }
}

bool Client::wait(short events, Deadline deadline) {
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      wait_ms = left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
    }
    pollfd p{fd_.get(), events, 0};
    const int rc = ::poll(&p, 1, wait_ms);
    if (rc > 0) return true;  // ready, or POLLHUP/POLLERR: the next call reports it
    if (rc < 0 && errno != EINTR) return true;
  }
}

}  // namespace supd::ctl
