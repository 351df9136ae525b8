// Waiting in integration tests: poll a condition until a deadline, never sleep and hope.
// Every deadline is multiplied by SUPD_TEST_SCALE (default 1) for slow machines.
#pragma once
#include <chrono>
#include <functional>

namespace supd::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// SUPD_TEST_SCALE as a number (>= 1 makes sense; unset or unparsable gives 1).
double scale();
Millis scaled(Millis deadline);

// Polls `pred` every 20 ms (or, after a try that took longer, as long again) until it returns true (then true) or the scaled deadline passes
// (then false, after one last try). Wrap it in CHECK/REQUIRE so a failure names what it awaited.
bool eventually(const std::function<bool()>& pred, Millis deadline = 10s);

// A deadline on the steady clock, already scaled.
struct Deadline {
  explicit Deadline(Millis d) : end(Clock::now() + scaled(d)) {}
  Clock::time_point end;
  bool passed() const { return Clock::now() >= end; }
  Millis left() const;  // zero once passed
};

}  // namespace supd::test
