// The rotation rule (daemon/output/rotation.hpp) and the tail reader over rotated files.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/output/log_file.hpp"
#include "daemon/output/rotation.hpp"

using supd::daemon::RotationPolicy;
namespace fs = std::filesystem;

namespace {

// Feeds `chunks` through the policy as LogFile does; returns the files' contents, oldest first.
std::vector<std::string> simulate(std::uint64_t max, const std::vector<std::string>& chunks) {
  RotationPolicy p(max);
  std::vector<std::string> files{""};
  for (std::string_view chunk : chunks) {
    while (!chunk.empty()) {
      const auto cut = p.next_cut(chunk);
      if (cut == 0) {
        files.emplace_back();
        p.rotated();
        continue;
      }
      const auto piece = chunk.substr(0, cut == RotationPolicy::npos ? chunk.size() : cut);
      files.back() += piece;
      p.wrote(piece);
      chunk.remove_prefix(piece.size());
    }
  }
  return files;
}

std::string concat(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x;
  return s;
}

}  // namespace

TEST_CASE("no rotation while everything fits, or with max_size 0", "[rotation]") {
  RotationPolicy p(100);
  CHECK(p.next_cut("hello\n") == RotationPolicy::npos);
  RotationPolicy never(0);
  never.wrote(std::string(1000, 'a') + "\n");
  CHECK(never.next_cut("more\n") == RotationPolicy::npos);
}

TEST_CASE("rotates before the line that would pass the limit", "[rotation]") {
  RotationPolicy p(10);
  p.wrote("12345678\n");              // 9 bytes
  CHECK(p.next_cut("a\n") == 0);      // 9 + 2 > 10
  CHECK(p.next_cut("") == RotationPolicy::npos);
  RotationPolicy q(10);
  q.wrote("1234\n");
  CHECK(q.next_cut("abcd\nefgh\n") == 5);  // the first line fits exactly (10), the second not
}

TEST_CASE("never rotates in the middle of a line", "[rotation][R36]") {
  RotationPolicy p(10);
  p.wrote("12345");                       // a partial line
  CHECK(p.next_cut("6789012345\nx\n") == 11);  // only after the newline
  CHECK_FALSE(p.at_line_start());
}

TEST_CASE("a partial line is cut before when its known bytes already pass", "[rotation]") {
  RotationPolicy p(10);
  p.wrote("123456\n");
  CHECK(p.next_cut("abcdef") == 0);  // 7 + 6 > 10: the line goes to a new file
}

TEST_CASE("an empty file takes a line longer than the limit whole", "[rotation][R32]") {
  const auto files = simulate(10, {std::string(25, 'a') + "\nb\n"});
  REQUIRE(files.size() == 2);
  CHECK(files[0] == std::string(25, 'a') + "\n");
  CHECK(files[1] == "b\n");
}

TEST_CASE("any chunking keeps lines whole and a file passes the limit by its last line at most", "[rotation][R32][R36]") {
  std::string text;
  for (int i = 0; i < 500; ++i) text += std::to_string(i) + std::string(static_cast<std::size_t>(i % 13), 'x') + "\n";
  // Whole lines known at once: every file within the limit.
  for (const auto& f : simulate(64, {text})) CHECK(f.size() <= 64);
  for (const std::size_t step : {1, 2, 7, 64, 100, 4096}) {
    std::vector<std::string> chunks;
    for (std::size_t i = 0; i < text.size(); i += step) chunks.push_back(text.substr(i, step));
    const auto files = simulate(64, chunks);
    INFO("step " << step);
    CHECK(concat(files) == text);
    CHECK(files.size() > 1);
    for (const auto& f : files) {
      REQUIRE((!f.empty() && f.back() == '\n'));
      // A partial line that fitted was written at once; only its rest may pass the limit.
      const auto before_last = f.rfind('\n', f.size() - 2);
      CHECK((before_last == std::string::npos ? 0 : before_last + 1) <= 64);
    }
  }
}

TEST_CASE("reset takes the file as found: its size and whether it ends a line", "[rotation][R39]") {
  RotationPolicy p(10);
  p.reset(8, false);
  CHECK(p.next_cut("abc\n") == RotationPolicy::npos);  // in a line: never cut
  p.reset(8, true);
  CHECK(p.next_cut("abc\n") == 0);
  p.reset(0, false);  // empty is a line start
  CHECK(p.at_line_start());
}

TEST_CASE("read_tail spans rotated files and counts a partial last line", "[rotation][tail][R44]") {
  char tmpl[] = "/tmp/supd-tail-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path dir = tmpl;
  const auto write = [](const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; };
  const auto live = dir / "j.out";
  write(dir / "j.out.2", "1\n2\n");
  write(dir / "j.out.1", "3\n4\n");
  write(live, "5\n");
  using supd::daemon::read_tail;
  CHECK(read_tail(live, 5, 1, 1 << 20) == "5\n");
  CHECK(read_tail(live, 5, 2, 1 << 20) == "4\n5\n");
  CHECK(read_tail(live, 5, 4, 1 << 20) == "2\n3\n4\n5\n");
  CHECK(read_tail(live, 5, 100, 1 << 20) == "1\n2\n3\n4\n5\n");
  CHECK(read_tail(live, 1, 100, 1 << 20) == "3\n4\n5\n");  // only log_keep files count
  CHECK(read_tail(live, 5, 0, 1 << 20).empty());
  write(live, "5\n6");
  CHECK(read_tail(live, 5, 2, 1 << 20) == "5\n6");
  CHECK(read_tail(live, 5, 100, 5) == "5\n6");  // at most 5 bytes, from a line start
  fs::remove(live);
  CHECK(read_tail(live, 5, 1, 1 << 20) == "4\n");  // the live one renamed away
  fs::remove_all(dir);
}

TEST_CASE("LogFile rotates at line boundaries and keeps log_keep files", "[rotation][logfile]") {
  char tmpl[] = "/tmp/supd-rot-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path dir = tmpl;
  const auto live = dir / "j.out";
  std::string error;
  supd::daemon::LogFile file(live);
  file.adopt(supd::daemon::open_log_file(live, error), 10, 2);
  REQUIRE(file.is_open());
  std::string seen;
  file.add_follower(1, [&](std::string_view c, std::uint64_t at) {
    CHECK(at == seen.size());  // each chunk's position: what came before it
    seen += c;
    return true;
  });
  CHECK(file.write("aaaa\nbbbb\ncc"));  // 12 bytes: "aaaa\nbbbb\n" then "cc" in a new file
  CHECK(file.write("cc\ndddd\neeee\n"));
  const auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(read(live) == "eeee\n");
  CHECK(read(live.string() + ".1") == "cccc\ndddd\n");
  CHECK(read(live.string() + ".2") == "aaaa\nbbbb\n");
  CHECK(seen == "aaaa\nbbbb\ncccc\ndddd\neeee\n");
  // Deleted from outside: re-created at the next rotation check.
  fs::remove(live);
  CHECK(file.write("ffffffff\n"));
  CHECK(read(live) == "ffffffff\n");
  fs::remove_all(dir);
}

TEST_CASE("LogFile adopting a file that ends mid-line knows it, and rotates only after that line",
          "[rotation][logfile][R34][R39]") {
  char tmpl[] = "/tmp/supd-rot-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path dir = tmpl;
  const auto live = dir / "j.out";
  {
    std::ofstream out(live, std::ios::binary);
    out << "aaaa\nbb";  // an earlier run (or supd) ended in the middle of a line
  }
  std::string error;
  supd::daemon::LogFile file(live);
  file.adopt(supd::daemon::open_log_file(live, error), 10, 2);
  REQUIRE(file.is_open());
  CHECK_FALSE(file.at_line_start());  // read from the file itself: its fd can read
  CHECK(file.write("bbbb\ncc\n"));     // "bb" + "bbbb\n" ends the line before any rotation
  const auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(read(live.string() + ".1") == "aaaa\nbbbbbb\n");
  CHECK(read(live) == "cc\n");
  CHECK(file.at_line_start());
  fs::remove_all(dir);
}
