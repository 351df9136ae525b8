// The delay before retrying a failed start: doubling from backoff_initial, capped at backoff_max.
// Pure: no clock, no state.
#pragma once
#include <algorithm>
#include <chrono>

namespace supd::daemon {

// failures >= 1: the number of failed starts in a row (1 -> initial, 2 -> 2x initial, ...).
inline std::chrono::milliseconds backoff_delay(int failures, std::chrono::milliseconds initial,
                                               std::chrono::milliseconds cap) {
  auto delay = initial;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

}  // namespace supd::daemon
