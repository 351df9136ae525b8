#include "tests/support/wait.hpp"

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
    if (pred()) return true;
    if (d.passed()) return pred();
    std::this_thread::sleep_for(20ms);  // the poll interval, not a wait for an outcome
  }
}

}  // namespace supd::test
