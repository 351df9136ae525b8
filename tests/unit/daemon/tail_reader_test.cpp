// TailReader: the tail of a log read from its files in pieces gives what read_tail gives,
// never cuts a UTF-8 character between pieces, and holds its files across a rotation.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "daemon/output/log_file.hpp"
#include "daemon/output/tail_reader.hpp"
#include "tests/unit/shared.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;

using supd::test_unit::TempDir;

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string read_all(TailReader& reader, std::size_t piece) {
  std::string out;
  while (!reader.done()) {
    const auto got = reader.next(piece);
    REQUIRE(!got.empty());
    out += got;
  }
  return out;
}

TEST_CASE("a tail read in pieces is read_tail's text", "[logs][R89]") {
  TempDir dir;
  const auto log = dir.path / "amsa.out";
  std::string older, live;
  for (int i = 0; i < 3000; ++i) older += "older line " + std::to_string(i) + "\n";
  for (int i = 0; i < 2000; ++i) live += "live line " + std::to_string(i) + "\n";
  write(dir.path / "amsa.out.1", older);
  write(log, live + "partial");
  for (const std::size_t lines : {0, 1, 10, 2500, 100000}) {
    for (const std::size_t max : {std::size_t{1} << 20, std::size_t{5000}}) {
      TailReader reader(log, 1, lines, max);
      CHECK(read_all(reader, 4096) == read_tail(log, 1, lines, max));
    }
  }
}

TEST_CASE("pieces of a tail never cut a UTF-8 character", "[logs][R89]") {
  TempDir dir;
  const auto log = dir.path / "amsa.out";
  std::string text;
  for (int i = 0; i < 500; ++i) text += "é€😀 ligne " + std::to_string(i) + "\n";
  write(log, text);
  TailReader reader(log, 0, 100000, 1 << 20);
  std::string all;
  while (!reader.done()) {
    const auto piece = reader.next(1000);
    CHECK(utf8_cut(piece) == piece.size());  // ends on a whole character
    all += piece;
  }
  CHECK(all == text);
  CHECK(utf8_cut("ab\xC3") == 2);
  CHECK(utf8_cut("ab\xF0\x9F\x98") == 2);
  CHECK(utf8_cut("ab\xF0\x9F\x98\x80") == 6);
  CHECK(utf8_cut("\xC3") == 1);  // nothing before it: never an empty piece
}

TEST_CASE("a tail keeps reading the files it found when the log rotates meanwhile", "[logs][R89]") {
  TempDir dir;
  const auto log = dir.path / "amsa.out";
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
  write(log, text);
  TailReader reader(log, 1, 100000, 1 << 20);
  const auto first = reader.next(100);
  fs::rename(log, dir.path / "amsa.out.1");
  write(log, "new file\n");
  CHECK(first + read_all(reader, 4096) == text);
}

}  // namespace
}  // namespace supd::daemon
