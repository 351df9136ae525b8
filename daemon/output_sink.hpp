// Where the supervisor hands a job's output pipes; the Asio side (OutputCapture) copies
// them into the log files, a fake in unit tests just counts.
#pragma once
#include <string>
#include <vector>

#include "daemon/process_ops.hpp"

namespace supd::daemon {

class OutputSink {
public:
  virtual ~OutputSink() = default;
  virtual void attach(const std::string& job, std::vector<CaptureStream> streams) = 0;
  // Copy everything the job's pipes hold right now, so the last lines land before "exited".
  virtual void drain(const std::string& job) = 0;
};

}  // namespace supd::daemon
