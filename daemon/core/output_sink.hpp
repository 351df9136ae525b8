// Where the supervisor hands a job's output pipes; the Asio side (OutputCapture) copies
// them into the log files, a fake in unit tests just counts.
#pragma once
#include <cstdint>
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
};

}  // namespace supd::daemon
