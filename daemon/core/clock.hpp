// The one clock of the daemon: monotonic, so deadlines survive wall-clock changes.
#pragma once
#include <chrono>

namespace supd::daemon {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

}  // namespace supd::daemon
