// Small fixtures the health-probe tests share: TCP sockets on 127.0.0.1 that listen, that are
// bound but refuse, or that listen with a full accept queue so a connect gets no answer.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "common/fd.hpp"

namespace supd::test_unit {

inline sockaddr_in loopback_v4(std::uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening when `backlog` is set.
// Bound without listening, it refuses connections, and no other program can take its port.
struct LoopbackSocket {
  common::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  std::uint16_t port = 0;
  explicit LoopbackSocket(std::optional<int> backlog) {
    sockaddr_in a = loopback_v4();
    REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    if (backlog) REQUIRE(::listen(fd.get(), *backlog) == 0);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  std::string url(const std::string& path = "/health") const { return "http://" + address() + path; }
};

// A listener whose accept queue is full: Linux drops a SYN then (backlog 0 holds one connection,
// made here), so a connect to it stays unanswered until the client's own timeout. poll() says
// when the listener has the first connection queued: no sleep, no race.
struct UnansweringListener {
  LoopbackSocket server{0};
  LoopbackSocket filler{std::nullopt};
  UnansweringListener() {
    const sockaddr_in a = loopback_v4(server.port);
    REQUIRE(::connect(filler.fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    pollfd queued{server.fd.get(), POLLIN, 0};
    REQUIRE(::poll(&queued, 1, -1) == 1);
  }
};

}  // namespace supd::test_unit
