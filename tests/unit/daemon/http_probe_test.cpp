// http_probe (daemon/process/http_probe.hpp) against a real HTTP server on loopback: a thread
// that answers one connection with a canned response; and the answers that are no answer.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "daemon/process/http_probe.hpp"
#include "tests/unit/daemon/loopback_fixtures.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using test_unit::LoopbackSocket;

// Answers one connection: reads the request head, writes `response`, closes. The destructor
// wakes a thread still waiting in accept() (shutdown on a listener does, on Linux) and joins it.
class OneShotServer {
public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(listener_.fd.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  std::string url(const std::string& path = "/health") const { return listener_.url(path); }
  // The request head the server read, once it has answered (or given up waiting for a client).
  std::string request() {
    ::shutdown(listener_.fd.get(), SHUT_RDWR);
    thread_.join();
    return request_;
  }

private:
  void serve() {
    const common::UniqueFd client(::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) return;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
      if (n <= 0) return;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t sent = 0; sent < response_.size();) {  // the client may hang up early: no SIGPIPE
      const ssize_t n = ::send(client.get(), response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  LoopbackSocket listener_{8};
  std::string response_;
  std::string request_;
  std::thread thread_;
};

struct Result {
  int code = -1;
  std::string line;
};

Result probe(const std::string& url, std::chrono::milliseconds timeout = 10s) {
  std::ostringstream out;
  Result r;
  r.code = http_probe(url, timeout, out);
  r.line = out.str();
  return r;
}

TEST_CASE("an http probe answered 200 is healthy", "[probe]") {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  const auto r = probe(server.url());
  CHECK(r.code == 0);
  CHECK(r.line == "HTTP 200\n");
  const std::string request = server.request();
  CHECK(request.starts_with("GET /health HTTP/1.1\r\n"));
  CHECK(request.find("\r\nUser-Agent: supd-health\r\n") != std::string::npos);
}

TEST_CASE("an http probe answered 503 is unhealthy", "[probe]") {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy");
  const auto r = probe(server.url());
  CHECK(r.code == 1);
  CHECK(r.line == "HTTP 503\n");
}

TEST_CASE("an http probe answered 302 is healthy and does not follow the redirect", "[probe]") {
  // Followed, the redirect would reach a port where nothing listens and fail.
  LoopbackSocket nobody(std::nullopt);
  OneShotServer server("HTTP/1.1 302 Found\r\nLocation: " + nobody.url("/elsewhere") +
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  const auto r = probe(server.url());
  CHECK(r.code == 0);
  CHECK(r.line == "HTTP 302\n");
}

TEST_CASE("an http probe reads no more than a small body and keeps the status", "[probe]") {
  const std::string big(1 << 20, 'x');
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                       "\r\nConnection: close\r\n\r\n" + big);
  const auto r = probe(server.url());
  CHECK(r.code == 0);
  CHECK(r.line == "HTTP 200\n");
}

TEST_CASE("an http probe ignores a proxy named in the environment", "[probe]") {
  LoopbackSocket no_proxy_here(std::nullopt);  // a proxy there would be refused
  const std::string proxy = no_proxy_here.url("");
  const char* before = std::getenv("http_proxy");
  const std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
  ::setenv("http_proxy", proxy.c_str(), 1);
  struct Restore {
    const std::optional<std::string>& saved;
    ~Restore() { saved ? ::setenv("http_proxy", saved->c_str(), 1) : ::unsetenv("http_proxy"); }
  } restore{saved};
  OneShotServer server("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  const auto r = probe(server.url());
  CHECK(r.code == 0);
  CHECK(r.line == "HTTP 204\n");
}

TEST_CASE("an http probe to a port where nothing listens is refused", "[probe]") {
  LoopbackSocket bound(std::nullopt);  // held bound, so no other program can take the port meanwhile
  const auto r = probe(bound.url());
  CHECK(r.code == 1);
  CHECK(r.line == "connection refused\n");
}

TEST_CASE("an http probe whose connect gets no answer times out", "[probe]") {
  test_unit::UnansweringListener listener;
  const auto r = probe(listener.server.url(), 50ms);
  CHECK(r.code == 1);
  CHECK(r.line == "timed out after 50 ms\n");
}

TEST_CASE("an http probe refuses a URL that is not http or https", "[probe]") {
  auto r = probe("ftp://x");
  CHECK(r.code == 2);
  CHECK(r.line == "not an http or https URL: 'ftp://x'\n");
  r = probe("localhost:8080/health");
  CHECK(r.code == 2);
  r = probe("http://");
  CHECK(r.code == 2);
  CHECK_THAT(r.line, Catch::StartsWith("URL"));  // curl's words, its acronym kept
  LoopbackSocket bound(std::nullopt);
  r = probe("HTTP://127.0.0.1:" + std::to_string(bound.port) + "/");  // the scheme's case does not matter
  CHECK(r.code == 1);
  CHECK(r.line == "connection refused\n");
}

}  // namespace
}  // namespace supd::daemon
