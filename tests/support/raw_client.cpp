#include "tests/support/raw_client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace supd::test {

RawClient::RawClient(const std::filesystem::path& socket) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawClient::send_chunked(std::string_view bytes, const std::function<std::size_t()>& next_size) {
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), std::max<std::size_t>(1, next_size()));
    if (!send(bytes.substr(0, n))) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int RawClient::fill(int timeout_ms) {
  if (eof_) return 0;
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, timeout_ms);
  if (r == 0) return -2;
  if (r < 0) return errno == EINTR ? -2 : -1;
  char buf[65536];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n == 0 || (n < 0 && errno == ECONNRESET)) {
    eof_ = true;
    return 0;
  }
  if (n < 0) return errno == EINTR || errno == EAGAIN ? -2 : -1;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return static_cast<int>(n);
}

std::optional<std::string> RawClient::read_line(Millis deadline) {
  if (fd_ < 0) return std::nullopt;
  const Deadline d(deadline);
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (d.passed()) return std::nullopt;
    const int r = fill(static_cast<int>(std::min<long long>(d.left().count(), 1000)));
    if (r == 0 || r == -1) return std::nullopt;
  }
}

std::optional<nlohmann::json> RawClient::read_json(Millis deadline) {
  const auto line = read_line(deadline);
  if (!line) return std::nullopt;
  auto j = nlohmann::json::parse(*line, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<nlohmann::json> RawClient::request(const nlohmann::json& req, Millis deadline) {
  if (!send(req.dump() + "\n")) return std::nullopt;
  return read_json(deadline);
}

bool RawClient::wait_closed(Millis deadline) {
  if (fd_ < 0) return true;
  const Deadline d(deadline);
  while (!eof_) {
    if (d.passed()) return false;
    const int r = fill(static_cast<int>(std::min<long long>(d.left().count(), 1000)));
    if (r == -1) return true;  // an error on read: the connection is gone too
  }
  return true;
}

}  // namespace supd::test
