// LogCatchUp: a follower that fell behind reads the log from its position across the files as
// they rotate, gets every byte once, and is told exactly how many were rotated away first.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "daemon/output/log_catch_up.hpp"
#include "daemon/output/log_file.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;

struct TempLog {
  fs::path dir;
  fs::path live;
  LogFile file;
  std::string written;  // every byte written, in order
  explicit TempLog(int keep) : dir(make_dir()), live(dir / "j.out"), file(live) {
    std::string error;
    file.adopt(open_log_file(live, error), 100, keep);  // 100-byte files: a rotation every few lines
  }
  ~TempLog() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static fs::path make_dir() {
    std::string tmpl = (fs::temp_directory_path() / "supd-catchup-XXXXXX").string();
    return ::mkdtemp(tmpl.data());
  }
  void lines(int from, int to) {
    for (int i = from; i <= to; ++i) {
      const std::string line = "line " + std::to_string(i) + "\n";
      REQUIRE(file.write(line));
      written += line;
    }
  }
  // What `reader` gives up to the log's end now, in pieces of at most `max` bytes.
  std::string drain(LogCatchUp& reader, std::size_t max) {
    std::string text;
    while (auto piece = reader.next(file.bytes_written(), max)) {
      CHECK(piece->text.size() <= max);
      CHECK(!piece->text.empty());
      text += piece->text;
    }
    return text;
  }
};

TEST_CASE("LogCatchUp reads on from a position across rotations that happen meanwhile", "[logcatchup]") {
  TempLog log(1000);
  log.lines(1, 40);
  REQUIRE(fs::exists(log.live.string() + ".3"));  // several files already
  LogCatchUp reader(log.live, 1000, 57);
  std::string got = log.drain(reader, 37);
  CHECK(got == log.written.substr(57));
  CHECK(reader.position() == log.file.bytes_written());
  log.lines(41, 90);  // more files, while the reader holds the old ones open
  got += log.drain(reader, 1000);
  CHECK(got == log.written.substr(57));
  CHECK(reader.take_skipped() == 0);
}

TEST_CASE("LogCatchUp counts the bytes rotated away before it reached them", "[logcatchup]") {
  TempLog log(1);  // the live file and j.out.1 only
  log.lines(1, 100);
  const auto kept = fs::file_size(log.live) + fs::file_size(log.live.string() + ".1");
  LogCatchUp reader(log.live, 1, 10);
  const std::string got = log.drain(reader, 4096);
  const auto skipped = reader.take_skipped();
  CHECK(got.size() == kept);
  CHECK(skipped == log.written.size() - 10 - kept);
  CHECK(got == log.written.substr(log.written.size() - kept));  // the rest, whole, from a line start
  CHECK(reader.take_skipped() == 0);                              // said once
}

TEST_CASE("LogCatchUp at the log's end gives nothing until more is written", "[logcatchup]") {
  TempLog log(5);
  log.lines(1, 3);
  LogCatchUp reader(log.live, 5, log.file.bytes_written());
  CHECK_FALSE(reader.next(log.file.bytes_written(), 100).has_value());
  log.lines(4, 4);
  const auto piece = reader.next(log.file.bytes_written(), 100);
  REQUIRE(piece.has_value());
  CHECK(piece->text == "line 4\n");
}

TEST_CASE("LogCatchUp never ends a piece inside a UTF-8 character", "[logcatchup]") {
  TempLog log(5);
  const std::string word = "t\xC3\xA9t\n";  // "tét": the é is 2 bytes
  REQUIRE(log.file.write(word));
  LogCatchUp reader(log.live, 5, 0);
  const auto first = reader.next(log.file.bytes_written(), 2);  // 2 bytes would split the é
  REQUIRE(first.has_value());
  CHECK(first->text == "t");
  const auto second = reader.next(log.file.bytes_written(), 2);
  REQUIRE(second.has_value());
  CHECK(second->text == "\xC3\xA9");
}

}  // namespace
}  // namespace supd::daemon
