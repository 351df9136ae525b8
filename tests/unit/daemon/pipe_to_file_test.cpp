// Bytes peeked from a pipe (PipePeek) and moved into a log file (LogFile::write_from_pipe): the
// pipe gives up exactly what the file got, across rotations and timestamps, and a file that
// cannot be spliced into takes nothing from the pipe.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/fd.hpp"
#include "daemon/output/chunk_layout.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_dir.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/pipe_peek.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::daemon;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path path;
  Scratch() {
    char tmpl[] = "/tmp/supd-splice-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

using supd::test_unit::slurp;

int in_pipe(int fd) {
  int n = -1;
  REQUIRE(::ioctl(fd, FIONREAD, &n) == 0);
  return n;
}

supd::common::Pipe pipe_with(const std::string& bytes) {
  auto p = supd::common::make_pipe(O_NONBLOCK);
  REQUIRE(::write(p.write.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  return p;
}

ChunkLayout all_from_pipe(std::size_t n) {
  ChunkLayout l;
  l.add(n, true);
  return l;
}

}  // namespace

TEST_CASE("PipePeek copies the head of a pipe and leaves it there", "[output][splice]") {
  PipePeek peek;
  REQUIRE(peek.ready());
  auto p = pipe_with("one\ntwo\n");
  char buf[5];
  CHECK(peek.peek(p.read.get(), buf, sizeof buf) == 5);
  CHECK(std::string(buf, 5) == "one\nt");
  CHECK(in_pipe(p.read.get()) == 8);  // nothing taken
  char all[64];
  CHECK(peek.peek(p.read.get(), all, sizeof all) == 8);  // the scratch pipe was emptied in between
  CHECK(std::string(all, 8) == "one\ntwo\n");
  CHECK(::read(p.read.get(), all, sizeof all) == 8);
  errno = 0;
  CHECK(peek.peek(p.read.get(), all, sizeof all) == -1);
  CHECK(errno == EAGAIN);  // empty, a writer left
  p.write.reset();
  CHECK(peek.peek(p.read.get(), all, sizeof all) == 0);  // its end
  errno = 0;
  Scratch d;
  supd::common::UniqueFd file(::open((d.path / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  CHECK(peek.peek(file.get(), all, sizeof all) == -1);
  CHECK(errno == EINVAL);  // not a pipe: the caller reads instead
}

TEST_CASE("write_from_pipe moves the peeked bytes into the file, after what write() appended", "[output][splice]") {
  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  LogFile file(live);
  file.adopt(open_log_file(live, error), 0, 0);
  REQUIRE(file.can_splice());
  std::string seen;
  file.add_follower(1, [&](std::string_view c, std::uint64_t at) {
    CHECK(at == seen.size());
    seen += c;
    return true;
  });
  REQUIRE(file.write("first\n"));
  auto p = pipe_with("from the pipe\nand more");
  std::size_t written = 0;
  CHECK(file.write_from_pipe(p.read.get(), "from the pipe\n", all_from_pipe(14), &written));
  CHECK(written == 14);
  CHECK(in_pipe(p.read.get()) == 8);  // exactly what went in left the pipe
  CHECK(file.at_line_start());
  REQUIRE(file.write("third\n"));
  CHECK(slurp(live) == "first\nfrom the pipe\nthird\n");
  CHECK(seen == slurp(live));
  CHECK(file.bytes_written() == seen.size());

  // Truncated from outside (copytruncate): the next bytes go to its new end, no hole.
  REQUIRE(::truncate(live.c_str(), 0) == 0);
  CHECK(file.write_from_pipe(p.read.get(), "and more", all_from_pipe(8)));
  CHECK(slurp(live) == "and more");
  CHECK(in_pipe(p.read.get()) == 0);
}

TEST_CASE("write_from_pipe splices each piece between rotations in order", "[output][splice][rotation]") {
  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  LogFile file(live);
  file.adopt(open_log_file(live, error), 10, 2);
  const std::string bytes = "aaaa\nbbbb\ncccc\ndddd\neeee\n";
  auto p = pipe_with(bytes);
  CHECK(file.write_from_pipe(p.read.get(), bytes, all_from_pipe(bytes.size())));
  CHECK(in_pipe(p.read.get()) == 0);
  CHECK(slurp(live.string() + ".2") == "aaaa\nbbbb\n");
  CHECK(slurp(live.string() + ".1") == "cccc\ndddd\n");
  CHECK(slurp(live) == "eeee\n");
  CHECK(file.can_splice());  // the new file has its splice fd too
}

TEST_CASE("write_from_pipe writes the prefixes and splices the lines between them", "[output][splice][timestamps]") {
  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  LogFile file(live);
  file.adopt(open_log_file(live, error), 0, 0);
  auto p = pipe_with("one\ntwo\nthr");
  LineStamper stamper;
  ChunkLayout layout;
  const auto text = stamper.stamp("one\ntwo\nthr", "T ", layout, 100);
  CHECK(file.write_from_pipe(p.read.get(), text, layout));
  CHECK(slurp(live) == "T one\nT two\nT thr");
  CHECK(in_pipe(p.read.get()) == 0);
  CHECK_FALSE(file.at_line_start());  // what a later supd's stamper starts from: no second prefix
}

TEST_CASE("a file renamed away is still spliced into, as appending always wrote to it", "[output][splice]") {
  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  auto fd = open_log_file(live, error);
  REQUIRE(fd);
  fs::rename(live, d.path / "elsewhere");
  { std::ofstream(live) << ""; }  // another file now has the name
  LogFile file(live);
  file.adopt(std::move(fd), 0, 0);
  REQUIRE(file.can_splice());
  auto p = pipe_with("kept\n");
  CHECK(file.write_from_pipe(p.read.get(), "kept\n", all_from_pipe(5)));
  CHECK(in_pipe(p.read.get()) == 0);
  CHECK(file.write("more\n"));
  CHECK(slurp(d.path / "elsewhere") == "kept\nmore\n");  // the open file, not the name
  CHECK(slurp(live).empty());
}

TEST_CASE("one fd a log file: O_APPEND cleared, and every write lands at the end as it would have",
          "[output][splice][log_dir]") {
  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  LogFile file(live);
  file.adopt(open_log_file(live, error), 0, 0);
  INFO(error);
  REQUIRE(file.can_splice());
  CHECK(file.write("one\n"));
  { std::ofstream(live, std::ios::app) << "outside\n"; }  // another writer appends
  auto p = pipe_with("two\n");
  CHECK(file.write_from_pipe(p.read.get(), "two\n", all_from_pipe(4)));
  CHECK(file.write("three\n"));
  CHECK(slurp(live) == "one\noutside\ntwo\nthree\n");
  fs::resize_file(live, 0);  // copytruncate: the next write starts at 0, no hole
  CHECK(file.write("four\n"));
  CHECK(slurp(live) == "four\n");
}

TEST_CASE("a timestamp a killed supd cut short is completed, and nothing else looks like one",
          "[output][timestamps][R88]") {
  const std::string now = "2026-12-07T17:08:01.456Z ";
  CHECK(LineStamper::rest_of_torn_prefix("2026-12-07T17:07:29.", now) == "456Z ");
  CHECK(LineStamper::rest_of_torn_prefix("2", now) == "026-12-07T17:08:01.456Z ");
  CHECK(LineStamper::rest_of_torn_prefix("2026-12-07T17:07:29.123Z", now) == " ");
  CHECK(LineStamper::rest_of_torn_prefix("2026-12-07T17:07:29.123Z ", now).empty());  // whole: its line goes on
  CHECK(LineStamper::rest_of_torn_prefix("", now).empty());
  CHECK(LineStamper::rest_of_torn_prefix("w0 21048", now).empty());     // a line's own bytes
  CHECK(LineStamper::rest_of_torn_prefix("2026-12-07 17", now).empty());  // a space where the T is
  CHECK(LineStamper::rest_of_torn_prefix("2026-12-07T17:07:29.123Z w0", now).empty());

  Scratch d;
  const auto live = d.path / "j.out";
  std::string error;
  {
    std::ofstream(live) << "2026-12-07T17:07:28.001Z w0 1\n2026-12-07T17:07:29.";
  }
  LogFile file(live);
  file.adopt(open_log_file(live, error), 0, 0);
  CHECK(file.unfinished_line(now.size()) == "2026-12-07T17:07:29.");
  {
    std::ofstream(live, std::ios::app) << "123Z w0 2 and a line longer than a timestamp";
  }
  file.adopt(open_log_file(live, error), 0, 0);
  CHECK(file.unfinished_line(now.size()).empty());  // longer than asked for: not a timestamp
  {
    std::ofstream(live, std::ios::app) << "\n";
  }
  file.adopt(open_log_file(live, error), 0, 0);
  CHECK(file.unfinished_line(now.size()).empty());  // ends a line
}
