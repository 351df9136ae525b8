// CPU% for `stats`: the CPU seconds each job had when last asked, so the next `stats` can say
// how much CPU it used since. A watcher (supctl top) asks every second, so it sees the last
// second; a first or rare `stats` gets the average since the job started. Pure: times in.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <unordered_map>

#include "daemon/core/clock.hpp"

namespace supd::daemon {

class StatsSampler {
public:
  struct Percent {
    double pct;       // 100 = one CPU
    double window_s;  // what it was measured over
  };
  // The job's CPU% now, from `cpu_s` (its processes' CPU seconds now) and its run that began
  // at `started` with main process `pid`; nullopt when no time has passed to measure over.
  std::optional<Percent> cpu_percent(const std::string& job, pid_t pid, double cpu_s, TimePoint started,
                                     TimePoint now);
  // Drops what was seen longer ago than any window (removed jobs included).
  void forget_before(TimePoint when);
  std::size_t size() const { return seen_.size(); }

private:
  struct Seen {
    pid_t pid;
    double cpu_s;
    TimePoint at;
  };
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace supd::daemon
