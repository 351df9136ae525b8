// What several unit tests need: a temp dir, a file's bytes, a substring test. One definition
// for all of them, which the unity build also needs: it compiles several test files as one
// translation unit, where two files' helpers of the same name would clash.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

#include <catch2/catch.hpp>

namespace supd::test_unit {

// Under /tmp with a short name (a socket path in it must fit sun_path's 108 bytes), removed
// with all it holds.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const char* prefix = "supd-unit-") {
    std::string t = "/tmp/" + std::string(prefix) + "XXXXXX";
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// A file's bytes; "" when it is missing or unreadable.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline bool has(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

}  // namespace supd::test_unit
