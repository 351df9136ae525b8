// A short-lived child supd runs for itself beside the loop (a health check's command, or supd's
// own http probe): started with posix_spawn in its own process group, its output (stdout and
// stderr) read as it comes up to a bound, its exit taken from the loop's reaper (SideChildren),
// and the whole group killed if it is still running at its timeout. `done` runs once, on the
// loop, when both the exit and the end of its output are in (or at the timeout).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "common/exit_status.hpp"
#include "daemon/process/side_children.hpp"

namespace supd::daemon {

struct SideRunSpec {
  std::vector<std::string> argv;                  // argv[0] searched on PATH
  std::filesystem::path directory;                // "" = supd's
  std::map<std::string, std::string> environment;  // added to supd's
  std::chrono::milliseconds timeout{2000};
  std::size_t max_output = 4096;                  // bytes kept; the rest is read and dropped
};

struct SideRunResult {
  common::ExitStatus status;
  bool timed_out = false;
  bool started = true;  // false: it could not be started (output says why)
  std::string output;
};

// Starts it; `done` is called once, later (never inside this call). Returns its pid (0 when it
// could not start), so that an owner going away can kill what is still running.
pid_t side_run(asio::io_context& io, SideChildren& children, const SideRunSpec& spec,
               std::function<void(SideRunResult)> done);

// At supd's exit (the loop has stopped: nothing else waits for it): kills the group of a side
// run still going, and reaps it.
void end_side_run(pid_t pid);

}  // namespace supd::daemon
