// write_file_atomically: the new text replaces the old whole, given at once or a block at a
// time, and no temp file is left beside it.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/atomic_file.hpp"
#include "tests/unit/shared.hpp"

namespace {

using supd::test_unit::slurp;
using supd::test_unit::TempDir;

std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a file written atomically holds the new text and keeps its mode", "[atomic_file]") {
  TempDir dir("supd-atomic-");
  const auto file = dir.path / "f";
  REQUIRE(supd::common::write_file_atomically(file, "old text\n", 0640).empty());
  CHECK(slurp(file) == "old text\n");
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  REQUIRE(supd::common::write_file_atomically(file, "new\n").empty());
  CHECK(slurp(file) == "new\n");
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(entries(dir.path) == 1);
}

TEST_CASE("a file written a block at a time holds the blocks in order", "[atomic_file]") {
  TempDir dir("supd-atomic-");
  const auto file = dir.path / "f";
  REQUIRE(supd::common::write_file_atomically(file, "old text that is longer\n").empty());
  const std::vector<std::string> blocks = {"one\n", std::string(20000, 'x'), "\nthree\n"};
  std::size_t i = 0;
  const auto next = [&]() -> std::string_view { return i < blocks.size() ? std::string_view(blocks[i++]) : ""; };
  REQUIRE(supd::common::write_file_atomically(file, next).empty());
  CHECK(slurp(file) == blocks[0] + blocks[1] + blocks[2]);
  CHECK(i == blocks.size());
  CHECK(entries(dir.path) == 1);
}
