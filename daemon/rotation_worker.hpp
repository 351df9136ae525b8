// The one thread that settles rotated log files (daemon/rotation_repair.hpp) off the event
// loop: a rotation on the loop is two renames whatever log_keep is, and the shifting of
// <name>.1 ... <name>.<keep> happens here. Work for one log is merged while it waits, so a log
// that rotates faster than its files can be shifted is shifted once for many rotations.
//
// The thread never logs (supd forks its fd holder, which must not inherit a held logger
// lock): failures are kept for the loop to report (take_error()).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace supd::daemon {

class RotationWorker {
public:
  // Marked done once the first settling of a log (its repair) has run; a rotation waits for
  // it, since a half-done rotation of an earlier supd must be finished before new ones pile up.
  struct Ticket {
    std::atomic<std::uint64_t> max_pending{0};  // the highest pending seq seen; set before done
    std::atomic<bool> done{false};
  };

  RotationWorker() = default;
  ~RotationWorker();  // finishes the queued work, then joins
  RotationWorker(const RotationWorker&) = delete;
  RotationWorker& operator=(const RotationWorker&) = delete;

  // Queues settling the rotated files of `log` to `keep`; `repair` also clears what a cut
  // left behind. The thread starts with the first call.
  void settle(const std::filesystem::path& log, int keep, bool repair, std::shared_ptr<Ticket> ticket = {});
  void wait_idle();                        // until the queue is empty and nothing runs (tests)
  std::optional<std::string> take_error();  // the first failure since the last call

private:
  struct Work {
    int keep = 0;
    bool repair = false;
    std::vector<std::shared_ptr<Ticket>> tickets;
  };
  void run();
  static std::uint64_t settle_now(const std::string& log, const Work& work, std::string& error);  // max pending seq

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, Work> queue_;  // by log path
  bool busy_ = false;
  bool stop_ = false;
  std::optional<std::string> error_;
  std::thread thread_;
};

}  // namespace supd::daemon
