// A `tcp = "host:port"` health check's target, parsed by one rule for the config check and the
// probe: "host:port", "[::1]:80", ":8080" (= 127.0.0.1:8080).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

struct TcpTarget {
  std::string host;  // a name or an address, without the brackets of "[::1]:80"
  std::uint16_t port = 0;
};

// nullopt, and `error` says what is wrong ("missing ':port' in 'redis' (write host:port)",
// "port '99999' is not a number from 1 to 65535", an IPv6 address without brackets).
std::optional<TcpTarget> parse_tcp_target(std::string_view text, std::string& error);

}  // namespace supd::common
