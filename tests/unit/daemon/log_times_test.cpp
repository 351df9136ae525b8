// Timestamps without touching the bytes: the line stamper (timestamps = "prefix"), the side
// index, and the tail with each line's time (`logs --timestamps`, `--since`).
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/time_format.hpp"
#include "daemon/output/line_stamper.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_index.hpp"
#include "daemon/output/log_times.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::daemon;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    char tmpl[] = "/tmp/supd-logtimes-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScratchDir() { fs::remove_all(path); }
};

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

using supd::test_unit::slurp;

constexpr std::int64_t T0 = 1'795'000'000'000LL;  // 2026-11-18T11:06:40.000Z

}  // namespace

TEST_CASE("LineStamper prefixes each line once, however the chunks fall", "[logs][timestamps][R37]") {
  const std::string input = "one\ntwo\n\nthree partial";
  for (std::size_t step : {1u, 2u, 3u, 5u, 100u}) {
    LineStamper s;
    std::string out;
    for (std::size_t i = 0; i < input.size(); i += step) out += s.stamp(std::string_view(input).substr(i, step), "T ");
    INFO("chunk size " << step);
    CHECK(out == "T one\nT two\nT \nT three partial");
    CHECK_FALSE(s.at_line_start());
  }
  LineStamper s;
  CHECK(s.stamp("", "T ") == "");
  CHECK(s.stamp("a\n", "T ") == "T a\n");
  CHECK(s.at_line_start());
}

TEST_CASE("LineStamper told its file ends mid-line continues that line unstamped", "[logs][timestamps][R88]") {
  LineStamper s(/*at_line_start=*/false);  // a pipe taken over from an earlier supd
  CHECK(s.stamp("rest\nnext\n", "T ") == "rest\nT next\n");
}

TEST_CASE("parse_index keeps well-formed ascending records and skips torn or bad ones", "[logs][timestamps]") {
  const auto idx = parse_index("0 100\n10 200\nbad line\n5 150\n20 x\n30 300\n40 4");
  REQUIRE(idx.size() == 3);
  CHECK(idx[0] == IndexEntry{0, 100});
  CHECK(idx[1] == IndexEntry{10, 200});
  CHECK(idx[2] == IndexEntry{30, 300});
}

TEST_CASE("time_at gives the time of the last record at or before the offset", "[logs][timestamps]") {
  const std::vector<IndexEntry> idx{{4, 100}, {10, 200}, {30, 300}};
  CHECK_FALSE(time_at(idx, 0));
  CHECK(time_at(idx, 4) == 100);
  CHECK(time_at(idx, 9) == 100);
  CHECK(time_at(idx, 10) == 200);
  CHECK(time_at(idx, 1000) == 300);
  CHECK_FALSE(time_at({}, 5));
}

TEST_CASE("IndexWriter writes one record per resolution step and starts afresh when asked", "[logs][timestamps]") {
  ScratchDir dir;
  const auto log = dir.path / "job.out";
  CHECK(index_path(log) == dir.path / ".job.out.idx");
  IndexWriter w;
  w.open(log, true);
  w.note(log.native(), 0, T0);
  w.note(log.native(), 50, T0 + IndexWriter::kResolutionMs - 1);  // too soon: the record at 0 covers it
  w.note(log.native(), 90, T0 + IndexWriter::kResolutionMs);
  w.close();
  CHECK(read_index(log) == std::vector<IndexEntry>{{0, T0}, {90, T0 + IndexWriter::kResolutionMs}});
  w.open(log, false);  // appending: the first note after opening always counts
  w.note(log.native(), 100, T0 + IndexWriter::kResolutionMs);
  w.close();
  CHECK(read_index(log).size() == 3);
  w.open(log, true);
  w.close();
  CHECK(read_index(log).empty());
  CHECK_FALSE(fs::exists(index_path(log)));  // made at the first record, not before
  w.open(log, true);
  w.note(log.native(), 7, T0);
  w.close();
  CHECK(read_index(log) == std::vector<IndexEntry>{{7, T0}});
}

TEST_CASE("timed_tail stamps lines from the index, across a rotated file", "[logs][timestamps]") {
  ScratchDir dir;
  const auto log = dir.path / "job.out";
  put(fs::path(log.string() + ".1"), "old1\nold2\n");
  put(index_path(fs::path(log.string() + ".1")), "0 " + std::to_string(T0) + "\n5 " + std::to_string(T0 + 1000) + "\n");
  put(log, "new1\nnew2\nnew3\n");
  put(index_path(log), "0 " + std::to_string(T0 + 2000) + "\n10 " + std::to_string(T0 + 60'000) + "\n");

  TimedTailRequest r;
  r.lines = 10;
  r.stamp = true;
  CHECK(timed_tail(log, 2, r) == "2026-11-18T11:06:40.000Z old1\n"
                                 "2026-11-18T11:06:41.000Z old2\n"
                                 "2026-11-18T11:06:42.000Z new1\n"
                                 "2026-11-18T11:06:42.000Z new2\n"
                                 "2026-11-18T11:07:40.000Z new3\n");
  r.lines = 2;
  CHECK(timed_tail(log, 2, r) == "2026-11-18T11:06:42.000Z new2\n2026-11-18T11:07:40.000Z new3\n");

  SECTION("--since keeps the lines written at or after the time, then the last N of them") {
    r.lines = 100;
    r.stamp = false;
    r.since_ms = T0 + 1000;
    CHECK(timed_tail(log, 2, r) == "old2\nnew1\nnew2\nnew3\n");
    r.since_ms = T0 + 59'000;
    CHECK(timed_tail(log, 2, r) == "new3\n");
    r.since_ms = T0 + 1000;
    r.lines = 2;
    CHECK(timed_tail(log, 2, r) == "new2\nnew3\n");
  }
  SECTION("a line older than the index has no time: stamped '-', left out by --since") {
    put(index_path(log), "5 " + std::to_string(T0 + 2000) + "\n");
    r.lines = 3;
    CHECK(timed_tail(log, 2, r) == unknown_time_stamp() + " new1\n2026-11-18T11:06:42.000Z new2\n"
                                   "2026-11-18T11:06:42.000Z new3\n");
    r.since_ms = T0 + 1500;  // after the rotated file's lines
    r.stamp = false;
    CHECK(timed_tail(log, 2, r) == "new2\nnew3\n");
  }
}

TEST_CASE("timed_tail reads the time of prefixed lines from the lines themselves", "[logs][timestamps]") {
  ScratchDir dir;
  const auto log = dir.path / "job.out";
  put(log, "2026-11-18T11:06:40.000Z a\n2026-11-18T11:06:50.000Z b\n");
  TimedTailRequest r;
  r.lines = 10;
  r.stamp = true;
  r.prefixed = true;
  CHECK(timed_tail(log, 0, r) == slurp(log));  // not stamped twice
  r.since_ms = T0 + 5000;
  CHECK(timed_tail(log, 0, r) == "2026-11-18T11:06:50.000Z b\n");
}

TEST_CASE("LogFile keeps the index beside the file and rotates it along", "[logs][timestamps]") {
  ScratchDir dir;
  const auto log = dir.path / "job.out";
  std::string error;
  LogFile file(log);
  file.adopt(open_log_file(log, error), 10, 2, true);
  CHECK(file.write("aaaa\nbbbb\n"));
  CHECK(file.write("cccc\n"));  // rotates first: job.out -> job.out.1
  CHECK(slurp(fs::path(log.string() + ".1")) == "aaaa\nbbbb\n");
  CHECK(read_index(fs::path(log.string() + ".1")).size() == 1);
  const auto live = read_index(log);
  REQUIRE(live.size() == 1);
  CHECK(live[0].offset == 0);
  TimedTailRequest r;
  r.lines = 3;
  r.stamp = true;
  const auto text = timed_tail(log, 2, r);
  CHECK(text.find(unknown_time_stamp()) == std::string::npos);  // every line has a time
  CHECK(text.ends_with(" cccc\n"));
}
