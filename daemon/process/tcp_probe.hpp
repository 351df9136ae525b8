// A job's `tcp = "host:port"` health check: one TCP connect, closed as soon as it is made, on
// supd's loop and never blocking it. A numeric address is connected to at once; a name is
// resolved by Asio's resolver, which calls getaddrinfo on a thread of its own.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>

namespace supd::daemon {

struct TcpTarget {
  std::string host;  // a name or an address, without the brackets of "[::1]:80"
  std::uint16_t port = 0;
};

// "host:port", "[::1]:80", ":8080" (= 127.0.0.1:8080) checked: nullopt, and `error` says what is
// wrong ("missing ':port' in 'redis'", "port '99999' is not a number from 1 to 65535", an IPv6
// address without brackets). Pure, so the config check may use the same rule.
std::optional<TcpTarget> parse_tcp_target(std::string_view text, std::string& error);

// Connects to `host_port`; `done(ok, detail)` runs on `io` exactly once, never inside this call:
// ok when the connection was made within `timeout`. detail: "connected to 127.0.0.1:6379",
// "connection refused", "timed out after 2000 ms" (or "... resolving 'db.internal'"), "cannot
// resolve 'nohost': host not found (authoritative)", or parse_tcp_target's error. What is still
// pending then is cancelled, so nothing stays behind (but a getaddrinfo call runs to its end on
// the resolver's thread).
void probe_tcp(asio::io_context& io, const std::string& host_port, std::chrono::milliseconds timeout,
               std::function<void(bool ok, std::string detail)> done);

}  // namespace supd::daemon
