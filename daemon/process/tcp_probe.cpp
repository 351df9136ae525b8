#include "daemon/process/tcp_probe.hpp"

#include <cctype>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

namespace supd::daemon {
namespace {

using asio::ip::tcp;
using Done = std::function<void(bool ok, std::string detail)>;

// Asio's words for an error_code as part of a sentence: "Connection refused" -> "connection
// refused" (a leading acronym stays as it is).
std::string words(const asio::error_code& ec) {
  std::string text = ec.message();
  if (text.size() > 1 && std::islower(static_cast<unsigned char>(text[1])))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string endpoint_text(const tcp::endpoint& e) {
  const std::string address = e.address().to_string();
  return e.address().is_v6() ? fmt::format("[{}]:{}", address, e.port()) : fmt::format("{}:{}", address, e.port());
}

// One probe: its handlers share it, and whichever ends it first (the connect, a resolver error or
// the timer) cancels the rest, so `done` runs once and the probe is freed when they have returned.
class TcpProbe : public std::enable_shared_from_this<TcpProbe> {
public:
  TcpProbe(asio::io_context& io, TcpTarget target, std::chrono::milliseconds timeout, Done done)
      : resolver_(io), socket_(io), timer_(io), target_(std::move(target)), timeout_(timeout), done_(std::move(done)) {}

  void start() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec) return;  // cancelled: the probe ended first
      const auto ms = self->timeout_.count();
      self->finish(false, self->resolving_ ? fmt::format("timed out after {} ms resolving '{}'", ms, self->target_.host)
                                           : fmt::format("timed out after {} ms", ms));
    });
    asio::error_code not_numeric;
    const auto address = asio::ip::make_address(target_.host, not_numeric);
    if (!not_numeric) {  // no lookup, and no resolver thread started for it
      connect(std::vector<tcp::endpoint>{tcp::endpoint(address, target_.port)});
      return;
    }
    resolving_ = true;
    const auto resolved = [self = shared_from_this()](const asio::error_code& ec, tcp::resolver::results_type found) {
      self->resolving_ = false;
      if (!ec) self->connect(found);
      else self->finish(false, fmt::format("cannot resolve '{}': {}", self->target_.host, words(ec)));
    };
    resolver_.async_resolve(target_.host, std::to_string(target_.port), tcp::resolver::numeric_service, resolved);
  }

private:
  // Tries each address in turn, as a client would; the last one's error is the one reported.
  template <class Endpoints>
  void connect(const Endpoints& endpoints) {
    if (finished_) return;
    asio::async_connect(socket_, endpoints,
                        [self = shared_from_this()](const asio::error_code& ec, const tcp::endpoint& peer) {
                          if (ec) self->finish(false, words(ec));
                          else self->finish(true, "connected to " + endpoint_text(peer));
                        });
  }

  void finish(bool ok, std::string detail) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    resolver_.cancel();
    asio::error_code ignored;
    socket_.close(ignored);  // the check is the connect itself: nothing is sent
    Done done = std::move(done_);
    done(ok, std::move(detail));
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  TcpTarget target_;
  std::chrono::milliseconds timeout_;
  Done done_;
  bool resolving_ = false;
  bool finished_ = false;
};


}  // namespace


void probe_tcp(asio::io_context& io, const std::string& host_port, std::chrono::milliseconds timeout, Done done) {
  std::string error;
  auto target = common::parse_tcp_target(host_port, error);
  if (!target) {
    asio::post(io, [done = std::move(done), error = std::move(error)] { done(false, error); });
    return;
  }
  std::make_shared<TcpProbe>(io, std::move(*target), timeout, std::move(done))->start();
}

}  // namespace supd::daemon
