// The delay before retrying a failed start. The first failure in a row is retried after
// kFirstRetry, so the job runs again within systemd's default RestartSec (100 ms) spawn
// included: one early death is usually a blip. Repeated ones back off: backoff_initial, doubling, capped at
// backoff_max, so a crash loop never spins (docs/design-decisions.md, "States and edges").
// Pure: no clock, no state.
#pragma once
#include <algorithm>
#include <chrono>

namespace supd::daemon {

inline constexpr std::chrono::milliseconds kFirstRetry{80};

// failures >= 1: the number of failed starts in a row (1 -> initial, 2 -> 2x initial, ...).
inline std::chrono::milliseconds backoff_delay(int failures, std::chrono::milliseconds initial,
                                               std::chrono::milliseconds cap) {
  auto delay = initial;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

// failures >= 1: 1 -> kFirstRetry (or backoff_initial when shorter), 2 -> backoff_initial,
// 3 -> 2x backoff_initial, ...
inline std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds initial,
                                             std::chrono::milliseconds cap) {
  if (failures <= 1) return std::min({kFirstRetry, initial, cap});
  return backoff_delay(failures - 1, initial, cap);
}

}  // namespace supd::daemon
