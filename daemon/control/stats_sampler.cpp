#include "daemon/control/stats_sampler.hpp"

namespace supd::daemon {
namespace {

using Seconds = std::chrono::duration<double>;

// A previous sample this old or more is a window of its own; younger ones are kept, so a
// client asking faster than this still gets a window of at least this long.
constexpr Seconds kMinWindow{0.5};
// Older than this, a sample says nothing about "now": the average since the start is used.
constexpr Seconds kMaxWindow{10.0};

}  // namespace

std::optional<StatsSampler::Percent> StatsSampler::cpu_percent(const std::string& job, pid_t pid, double cpu_s,
                                                               TimePoint started, TimePoint now) {
  std::optional<Percent> out;
  auto it = seen_.find(job);
  const bool same_run = it != seen_.end() && it->second.pid == pid && it->second.cpu_s <= cpu_s;
  const Seconds since = same_run ? Seconds(now - it->second.at) : Seconds::zero();
  if (same_run && since >= kMinWindow && since <= kMaxWindow) {
    out = Percent{(cpu_s - it->second.cpu_s) / since.count() * 100.0, since.count()};
  } else if (const Seconds up = now - started; up.count() > 0) {
    out = Percent{cpu_s / up.count() * 100.0, up.count()};
  }
  if (!same_run || since >= kMinWindow) seen_[job] = Seen{pid, cpu_s, now};
  return out;
}

void StatsSampler::forget_before(TimePoint when) {
  std::erase_if(seen_, [&](const auto& entry) { return entry.second.at < when; });
}

}  // namespace supd::daemon
