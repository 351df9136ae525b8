// NonblockingSink on a real pipe nobody reads: logging never blocks, the flag stays off the
// shared description, and the loop's writable wait catches the reader up.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <spdlog/logger.h>

#include "daemon/output/line_backlog.hpp"
#include "daemon/output/nonblocking_sink.hpp"

using supd::daemon::LineBacklog;
using supd::daemon::NonblockingSink;

namespace {

struct SmallPipe {
  int fds[2] = {-1, -1};
  SmallPipe() {
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    ::fcntl(fds[1], F_SETPIPE_SZ, 4096);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);  // the test's own reads never wait
  }
  ~SmallPipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  std::string drain() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a pipe nobody reads: lines are kept, then dropped and counted, never waited for", "[nonblocking_sink]") {
  SmallPipe pipe;
  auto sink = std::make_shared<NonblockingSink>(pipe.fds[1], 16 << 10);
  CHECK(sink->mode() == NonblockingSink::Mode::Reopened);
  spdlog::logger log("t", sink);
  log.set_pattern("%v");
  for (int i = 0; i < 2000; ++i) log.info("line {} of a crash loop nobody reads", i);  // ~80 KB
  CHECK((::fcntl(pipe.fds[1], F_GETFL) & O_NONBLOCK) == 0);  // the shared description is untouched

  // Reading again, with a line now and then (each one tries to write what waits).
  std::string text;
  for (int i = 0; i < 100 && count(text, "the reader is back") == 0; ++i) {
    text += pipe.drain();
    log.info("the reader is back");
  }
  text += pipe.drain();
  CHECK(count(text, "dropped (stderr was not being read)") == 1);
  CHECK(text.find("line 0 of") == 0);  // the oldest lines were kept, in order
  CHECK(text.find("dropped (stderr was not being read)") < text.find("the reader is back"));
  // Whole lines only: every line is a log line or the count.
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    REQUIRE(end != std::string::npos);
    const std::string line = text.substr(start, end - start);
    CHECK((line.rfind("line ", 0) == 0 || line.rfind("supd: ", 0) == 0 || line == "the reader is back"));
    start = end + 1;
  }
}

TEST_CASE("the loop writes what waits once the pipe is writable, with no further log line", "[nonblocking_sink]") {
  SmallPipe pipe;
  auto sink = std::make_shared<NonblockingSink>(pipe.fds[1], 16 << 10);
  asio::io_context io;
  sink->watch(io);
  spdlog::logger log("t", sink);
  log.set_pattern("%v");
  for (int i = 0; i < 2000; ++i) log.info("line {} of a crash loop nobody reads", i);  // ~80 KB
  std::string text = pipe.drain();
  for (int i = 0; i < 100 && count(text, "log lines dropped") == 0; ++i) {
    io.run_for(std::chrono::milliseconds(20));
    io.restart();
    text += pipe.drain();
    // Under load the wait may have fired before the last drain made room; the next log
    // call's (or flush's) try is the sink's other way out.
    if (count(text, "log lines dropped") == 0) sink->flush();
    text += pipe.drain();
  }
  CHECK(count(text, "log lines dropped") == 1);
  const std::string last = "log lines dropped (stderr was not being read)\n";
  CHECK(text.size() - text.rfind("log lines dropped") == last.size());  // the count came last
  sink->unwatch();
}

TEST_CASE("a control byte in a message cannot start a line of its own", "[nonblocking_sink]") {
  SmallPipe pipe;
  auto sink = std::make_shared<NonblockingSink>(pipe.fds[1]);
  spdlog::logger log("t", sink);
  log.set_pattern("supd: %v");
  log.info("run: {}", "echo a\nsupd: forged");
  CHECK(pipe.drain() == "supd: run: echo a\\x0asupd: forged\n");
}
