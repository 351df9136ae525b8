// The one thread that settles rotated log files (daemon/output/rotation_repair.hpp) off the event
// loop: a rotation on the loop is two renames whatever log_keep is, and the shifting of
// <name>.1 ... <name>.<keep> happens here. Work for one log is merged while it waits, so a log
// that rotates faster than its files can be shifted is shifted once for many rotations.
//
// The thread never logs (supd forks its fd holder, which must not inherit a held logger
// lock): failures are kept for the loop to report (take_error()).
#pragma once
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace supd::daemon {

class RotationWorker {
public:
  RotationWorker() = default;
  ~RotationWorker();  // finishes the queued work, then joins
  RotationWorker(const RotationWorker&) = delete;
  RotationWorker& operator=(const RotationWorker&) = delete;

  // Queues settling the rotated files of `log` to `keep` (finishing whatever a cut left); its
  // directory is reached from `log_dir` as every log file's is (daemon/output/log_dir.hpp). The
  // thread starts with the first call.
  void settle(const std::filesystem::path& log, int keep, const std::filesystem::path& log_dir = {});
  void wait_idle();                        // until the queue is empty and nothing runs (tests)
  std::optional<std::string> take_error();  // the first failure since the last call

private:
  void run();
  struct Settle {
    int keep = 0;
    std::filesystem::path log_dir;
  };
  static void settle_now(const std::string& log, const Settle& how, std::string& error);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, Settle> queue_;  // log path -> how
  bool busy_ = false;
  bool stop_ = false;
  std::optional<std::string> error_;
  std::thread thread_;
};

}  // namespace supd::daemon
