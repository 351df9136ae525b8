// probe_tcp (daemon/process/tcp_probe.hpp) and parse_tcp_target (common/tcp_target.hpp): real
// connects on loopback, the io_context run until the probe has answered; and the address forms a config may hold.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "daemon/process/tcp_probe.hpp"
#include "tests/unit/daemon/loopback_fixtures.hpp"

namespace supd::daemon {
namespace {

using namespace std::chrono_literals;
using test_unit::LoopbackSocket;
using common::parse_tcp_target;

struct Answer {
  bool ok = false;
  std::string detail;
  int calls = 0;
};

// Runs one probe to its end: io.run() returns once the probe and everything it cancelled are done.
Answer probe(const std::string& target, std::chrono::milliseconds timeout = 5s) {
  asio::io_context io;
  Answer answer;
  probe_tcp(io, target, timeout, [&](bool ok, std::string detail) {
    answer.ok = ok;
    answer.detail = std::move(detail);
    ++answer.calls;
  });
  CHECK(answer.calls == 0);  // never inside probe_tcp
  io.run();
  return answer;
}

TEST_CASE("a tcp probe to a listening port connects", "[probe]") {
  LoopbackSocket server(4);
  const auto answer = probe(server.address());
  CHECK(answer.calls == 1);
  CHECK(answer.ok);
  CHECK(answer.detail == "connected to " + server.address());
  CHECK(probe(":" + std::to_string(server.port)).ok);  // ":port" is 127.0.0.1
}

TEST_CASE("a tcp probe resolves localhost and tries its addresses in turn", "[probe]") {
  LoopbackSocket server(4);  // IPv4 only: where localhost is also ::1, that one is refused
  const auto answer = probe("localhost:" + std::to_string(server.port));
  CHECK(answer.calls == 1);
  CHECK(answer.ok);
  CHECK(answer.detail == "connected to " + server.address());
}

TEST_CASE("a tcp probe to a port bound but not listening is refused", "[probe]") {
  LoopbackSocket bound(std::nullopt);  // held bound, so no other program can take the port meanwhile
  const auto answer = probe(bound.address());
  CHECK(answer.calls == 1);
  CHECK_FALSE(answer.ok);
  CHECK(answer.detail == "connection refused");
}

TEST_CASE("a tcp probe whose connect gets no answer times out", "[probe]") {
  test_unit::UnansweringListener listener;
  const auto answer = probe(listener.server.address(), 50ms);
  CHECK(answer.calls == 1);
  CHECK_FALSE(answer.ok);
  CHECK(answer.detail == "timed out after 50 ms");
}

TEST_CASE("a tcp probe with a target it cannot use says why without connecting", "[probe]") {
  const auto answer = probe("redis");
  CHECK(answer.calls == 1);
  CHECK_FALSE(answer.ok);
  CHECK(answer.detail == "missing ':port' in 'redis' (write host:port)");
}

TEST_CASE("tcp targets are host:port with brackets around IPv6", "[probe]") {
  std::string error;
  const auto good = [&](std::string_view text, const std::string& host, std::uint16_t port) {
    INFO(text);
    error.clear();
    const auto t = parse_tcp_target(text, error);
    REQUIRE(t);
    CHECK(t->host == host);
    CHECK(t->port == port);
    CHECK(error.empty());
  };
  good("localhost:6379", "localhost", 6379);
  good("10.0.0.1:80", "10.0.0.1", 80);
  good("[::1]:80", "::1", 80);
  good("[fe80::1%lo]:8080", "fe80::1%lo", 8080);
  good(":8080", "127.0.0.1", 8080);
  good("db.internal:65535", "db.internal", 65535);

  const auto bad = [&](std::string_view text, const std::string& why) {
    INFO(text);
    error.clear();
    CHECK_FALSE(parse_tcp_target(text, error));
    CHECK(error == why);
  };
  bad("", "empty address: write host:port");
  bad("redis", "missing ':port' in 'redis' (write host:port)");
  bad("redis:", "port '' is not a number from 1 to 65535");
  bad("redis:0", "port '0' is not a number from 1 to 65535");
  bad("redis:65536", "port '65536' is not a number from 1 to 65535");
  bad("redis:http", "port 'http' is not a number from 1 to 65535");
  bad("redis:+80", "port '+80' is not a number from 1 to 65535");
  bad("::1:80", "'::1:80': an IPv6 address goes in brackets, as in [::1]:80");
  bad("[::1]", "missing ':port' after ']' in '[::1]'");
  bad("[::1]80", "missing ':port' after ']' in '[::1]80'");
  bad("[]:80", "'[]:80': write an IPv6 address as [::1]:80");
  bad("[::1:80", "'[::1:80': write an IPv6 address as [::1]:80");
  bad("http://localhost:80", "'http://localhost:80' is a URL; tcp takes host:port");
  bad("my host:80", "'my host' is not a host name or address");
}

}  // namespace
}  // namespace supd::daemon
