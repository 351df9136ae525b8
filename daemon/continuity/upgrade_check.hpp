// `supctl upgrade`'s check of the new binary (`supd --check --config FILE`, or `--version`
// without a config file), run as a side child while the loop goes on serving: its output is
// read as it comes, its exit arrives through the loop's reaper, and after 10 s it is killed.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include "common/exit_status.hpp"
#include "daemon/core/event_hub.hpp"
#include "daemon/process/side_children.hpp"

namespace supd::daemon {

class UpgradeCheck {
public:
  UpgradeCheck(asio::io_context& io, SideChildren& children, EventHub& hub);
  ~UpgradeCheck();  // a check still running is killed
  UpgradeCheck(const UpgradeCheck&) = delete;
  UpgradeCheck& operator=(const UpgradeCheck&) = delete;

  // Starts the check. When it cannot start, the result is there at once; otherwise the hub
  // hears `changed()` once it has exited and its output is read.
  void start(const std::string& binary, const std::string& config);
  bool running() const { return pid_ > 0 && !result_; }
  // Once finished: "" when it passed, else what went wrong in one line. Taken once.
  std::optional<std::string> take_result() {
    pid_ = 0;  // the check is over: the next start() begins afresh
    return std::exchange(result_, std::nullopt);
  }
  // Kills a running check (supd began shutting down meanwhile); its result is dropped.
  void cancel();

private:
  void read_more();
  void output_ended();
  void exited(const common::ExitStatus& status);
  void finish_if_done();

  asio::io_context& io_;
  SideChildren& children_;
  EventHub& hub_;
  asio::posix::stream_descriptor out_;
  asio::steady_timer timer_;
  std::string binary_;
  bool with_config_ = false;
  pid_t pid_ = 0;
  unsigned generation_ = 0;  // a callback of a check that was cancelled is ignored
  std::string text_;
  char chunk_[1024]{};
  bool output_done_ = false;
  bool timed_out_ = false;
  std::optional<common::ExitStatus> exit_;
  std::optional<std::string> result_;
};

}  // namespace supd::daemon
