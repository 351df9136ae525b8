// LineBacklog: supd's own log never waits for its reader; what it cannot keep it counts.
#include <cerrno>
#include <string>

#include <catch2/catch.hpp>

#include "daemon/output/line_backlog.hpp"

using supd::daemon::LineBacklog;

namespace {

// A reader that takes `room` bytes, then says EAGAIN (or `error`) until given more room.
struct FakeReader {
  std::string got;
  std::size_t room = 0;
  int error = EAGAIN;
  LineBacklog::WriteFn fn() {
    return [this](const char* data, std::size_t size) -> ssize_t {
      if (room == 0) {
        errno = error;
        return -1;
      }
      const std::size_t n = std::min(room, size);
      got.append(data, n);
      room -= n;
      return static_cast<ssize_t>(n);
    };
  }
};

std::string line(char c, std::size_t size) { return std::string(size - 1, c) + "\n"; }

}  // namespace

TEST_CASE("a reader that keeps up gets every line at once", "[line_backlog]") {
  FakeReader r;
  r.room = 1 << 20;
  LineBacklog b(r.fn(), 100);
  b.push("one\n");
  b.push("two\n");
  CHECK(r.got == "one\ntwo\n");
  CHECK(b.empty());
  CHECK_FALSE(b.waiting_for_reader());
}

TEST_CASE("lines wait while the reader does not read, and go out in order once it does", "[line_backlog]") {
  FakeReader r;
  r.room = 2;  // "on" of the first line, then the pipe is full
  LineBacklog b(r.fn(), 100);
  b.push("one\n");
  b.push("two\n");
  CHECK(r.got == "on");
  CHECK(b.waiting_for_reader());
  CHECK(b.pending_bytes() == 6);
  r.room = 100;
  b.flush();
  CHECK(r.got == "one\ntwo\n");
  CHECK(b.empty());
}

TEST_CASE("a full backlog drops whole lines, counts them, and says so first when writing works again",
          "[line_backlog]") {
  FakeReader r;
  LineBacklog b(r.fn(), 30);
  b.push(line('a', 10));
  b.push(line('b', 10));
  b.push(line('c', 10));
  b.push(line('d', 10));  // 40 > 30: dropped
  b.push(line('e', 5));   // would fit, but must not overtake the count: dropped too
  CHECK(b.dropped() == 2);
  CHECK(b.pending_bytes() == 30);
  CHECK(b.waiting_for_reader());
  r.room = 1000;
  b.push(line('f', 10));  // the reader is back: kept lines, the count, then this one
  CHECK(r.got == line('a', 10) + line('b', 10) + line('c', 10) + LineBacklog::dropped_line(2) + line('f', 10));
  CHECK(LineBacklog::dropped_line(2) == "supd: 2 log lines dropped (stderr was not being read)\n");
  CHECK(b.empty());
}

TEST_CASE("the count goes out on a flush alone, without waiting for the next line", "[line_backlog]") {
  FakeReader r;
  LineBacklog b(r.fn(), 10);
  b.push(line('a', 10));
  b.push(line('b', 10));
  r.room = 1000;
  b.flush();
  CHECK(r.got == line('a', 10) + LineBacklog::dropped_line(1));
  CHECK(b.empty());
}

TEST_CASE("a reader that is gone (EPIPE) costs the waiting lines, counted, and no waiting", "[line_backlog]") {
  FakeReader r;
  r.error = EPIPE;
  LineBacklog b(r.fn(), 100);
  b.push("one\n");
  b.push("two\n");
  CHECK_FALSE(b.waiting_for_reader());  // a wait for POLLOUT would spin on POLLERR
  CHECK(b.dropped() == 2);
  CHECK(b.pending_bytes() == 0);
  r.error = EAGAIN;
  r.room = 1000;
  b.push("three\n");
  CHECK(r.got == LineBacklog::dropped_line(2) + "three\n");
}
