#include "common/tcp_target.hpp"

#include <charconv>
#include <system_error>

#include <fmt/format.h>

namespace supd::common {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<TcpTarget> parse_tcp_target(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "empty address: write host:port";
    return std::nullopt;
  }
  if (text.find("://") != std::string_view::npos) {
    error = fmt::format("'{}' is a URL; tcp takes host:port", text);
    return std::nullopt;
  }
  TcpTarget out;
  std::string_view port;
  if (text.front() == '[') {  // "[::1]:80"
    const auto close = text.find(']');
    if (close == std::string_view::npos || close == 1) {
      error = fmt::format("'{}': write an IPv6 address as [::1]:80", text);
      return std::nullopt;
    }
    if (close + 1 == text.size() || text[close + 1] != ':') {
      error = fmt::format("missing ':port' after ']' in '{}'", text);
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = fmt::format("missing ':port' in '{}' (write host:port)", text);
      return std::nullopt;
    }
    if (text.substr(0, colon).find(':') != std::string_view::npos) {
      error = fmt::format("'{}': an IPv6 address goes in brackets, as in [::1]:80", text);
      return std::nullopt;
    }
    out.host = colon == 0 ? "127.0.0.1" : text.substr(0, colon);  // ":8080": this machine
    port = text.substr(colon + 1);
  }
  if (out.host.find_first_of(" \t/") != std::string::npos) {
    error = fmt::format("'{}' is not a host name or address", out.host);
    return std::nullopt;
  }
  const auto number = parse_port(port);
  if (!number) {
    error = fmt::format("port '{}' is not a number from 1 to 65535", port);
    return std::nullopt;
  }
  out.port = *number;
  return out;
}

}  // namespace supd::common
