// A raw client of the control socket: sends exact bytes (whole, chunked, or in one write),
// reads response lines with a deadline. For protocol tests that supctl would never produce.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/support/wait.hpp"

namespace supd::test {

class RawClient {
public:
  explicit RawClient(const std::filesystem::path& socket);  // connects; see connected()
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes every byte (MSG_NOSIGNAL: a closed peer gives false, never SIGPIPE).
  bool send(std::string_view bytes);
  // Writes in pieces; `next_size` gives each piece's length (>= 1).
  bool send_chunked(std::string_view bytes, const std::function<std::size_t()>& next_size);
  void shutdown_write();
  void close();  // our end; connected() becomes false

  // One line without its '\n'; nullopt on EOF, error or when the deadline passes.
  std::optional<std::string> read_line(Millis deadline = 10s);
  std::optional<nlohmann::json> read_json(Millis deadline = 10s);  // nullopt also if not JSON
  // Sends the request (one line) and reads one response line.
  std::optional<nlohmann::json> request(const nlohmann::json& req, Millis deadline = 10s);
  // True once the server has closed the connection (read gives EOF or ECONNRESET); bytes
  // that arrive before that stay in buffered().
  bool wait_closed(Millis deadline = 10s);
  const std::string& buffered() const { return buffer_; }

private:
  int fill(int timeout_ms);  // >0 bytes read, 0 EOF, -1 error, -2 timeout

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace supd::test
