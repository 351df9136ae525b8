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

#include "common/tcp_target.hpp"

namespace supd::daemon {

using common::TcpTarget;

// Connects to `host_port`; `done(ok, detail)` runs on `io` exactly once, never inside this call:
// ok when the connection was made within `timeout`. detail: "connected to 127.0.0.1:6379",
// "connection refused", "timed out after 2000 ms" (or "... resolving 'db.internal'"), "cannot
// resolve 'nohost': host not found (authoritative)", or common::parse_tcp_target's error. What is still
// pending then is cancelled, so nothing stays behind (but a getaddrinfo call runs to its end on
// the resolver's thread).
void probe_tcp(asio::io_context& io, const std::string& host_port, std::chrono::milliseconds timeout,
               std::function<void(bool ok, std::string detail)> done);

}  // namespace supd::daemon
