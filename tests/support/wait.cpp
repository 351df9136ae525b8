#include "tests/support/wait.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace supd::test {

double scale() {
  static const double value = [] {
    const char* s = std::getenv("SUPD_TEST_SCALE");
    if (!s || !*s) return 1.0;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    return (end && *end == '\0' && v > 0) ? v : 1.0;
  }();
  return value;
}

Millis scaled(Millis deadline) {
  return Millis(static_cast<Millis::rep>(static_cast<double>(deadline.count()) * scale()));
}

Millis Deadline::left() const {
  const auto now = Clock::now();
  return now >= end ? Millis(0) : std::chrono::duration_cast<Millis>(end - now);
}

bool eventually(const std::function<bool()>& pred, Millis deadline) {
  const Deadline d(deadline);
  for (;;) {
    const auto start = Clock::now();
    if (pred()) return true;
    if (d.passed()) return pred();
    // The poll interval, not a wait for an outcome: 20 ms, or as long as the try took, so that
    // a costly try (a status of a thousand jobs from a sanitizer build) takes at most half the
    // time and leaves the rest to the supd it waits on.
    std::this_thread::sleep_for(std::max<Clock::duration>(20ms, Clock::now() - start));
  }
}

}  // namespace supd::test
