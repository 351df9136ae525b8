// What `supctl logs` needs from output capture, without Asio: follow a log file (every chunk
// supd writes to it, as it writes it), reopen every log file (SIGUSR2, `logs --reopen`), and
// read a long tail off the loop.
// OutputCapture implements it; Handlers holds a pointer (null in unit tests without one).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace supd::daemon {

struct LogFollower {
  // A chunk and its position in the log (LogService::end_of before it); false: the client is gone.
  std::function<bool(std::string_view chunk, std::uint64_t at)> on_output;
  std::function<void()> on_end;                           // supd is shutting down
};

class LogService {
public:
  virtual ~LogService() = default;
  // A token for unfollow(). Works before the job ever started: the file is followed by path.
  virtual std::uint64_t follow(const std::filesystem::path& file, LogFollower follower) = 0;
  virtual void unfollow(std::uint64_t token) = 0;
  // Where the log ends now, as a position across its rotations (what it has had written by
  // this supd): a follower that fell behind reads the files from its own position up to it.
  virtual std::uint64_t end_of(const std::filesystem::path& file) = 0;
  // Reopens every open log file (creating those renamed or deleted away); how many.
  virtual std::size_t reopen_all() = 0;
  // Runs `read` on a worker thread, then the step it returns on the loop: a long read of log
  // files (`logs --since`, up to 16 MiB) must not keep every other client waiting.
  using LoopStep = std::function<void()>;
  virtual void read_aside(std::function<LoopStep()> read) = 0;
};

}  // namespace supd::daemon
