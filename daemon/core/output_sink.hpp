// Where the supervisor hands a job's output pipes; the Asio side (OutputCapture) copies
// them into the log files, a fake in unit tests just counts.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/core/process_ops.hpp"

namespace supd::daemon {

class OutputSink {
public:
  virtual ~OutputSink() = default;
  virtual void attach(const std::string& job, std::vector<CaptureStream> streams) = 0;
  // Copy everything the job's pipes hold right now, so the last lines land before "exited".
  virtual void drain(const std::string& job) = 0;
  // A reload changed the job's log_max_size or log_keep: its open log files take them now.
  virtual void set_log_limits(const std::string& job, std::uint64_t max_size, int keep) = 0;
  // How many bytes supd has written to this log file (across its rotations) since it started:
  // a mark taken at a spawn and at the reap bounds that run's output, so `why` shows the lines
  // of the run that ended and not an earlier one's. A sink that does not count says 0.
  virtual std::uint64_t bytes_written(const std::filesystem::path& /*log*/) { return 0; }
};

}  // namespace supd::daemon
