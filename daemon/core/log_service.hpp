// What `supctl logs` needs from output capture, without Asio: follow a log file (every chunk
// supd writes to it, as it writes it) and reopen every log file (SIGUSR2, `logs --reopen`).
// OutputCapture implements it; Handlers holds a pointer (null in unit tests without one).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace supd::daemon {

struct LogFollower {
  std::function<bool(std::string_view chunk)> on_output;  // false: the client is gone
  std::function<void()> on_end;                           // supd is shutting down
};

class LogService {
public:
  virtual ~LogService() = default;
  // A token for unfollow(). Works before the job ever started: the file is followed by path.
  virtual std::uint64_t follow(const std::filesystem::path& file, LogFollower follower) = 0;
  virtual void unfollow(std::uint64_t token) = 0;
  // Reopens every open log file (creating those renamed or deleted away); how many.
  virtual std::size_t reopen_all() = 0;
};

}  // namespace supd::daemon
