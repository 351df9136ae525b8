// An XDG_RUNTIME_DIR left by `su` without `-`: judged from facts, named with its owner and the fix.
#include <catch2/catch.hpp>

#include <string>

#include "common/runtime_dir.hpp"
#include "tests/unit/shared.hpp"

using namespace supd::common;
using State = RuntimeDirFacts::State;

namespace {
using supd::test_unit::has;
}  // namespace

TEST_CASE("an XDG_RUNTIME_DIR of mine, or one I may create, is fine", "[runtime_dir]") {
  CHECK_FALSE(judge_runtime_dir("/run/user/1000", {State::Exists, 1000, true}, 1000));
  CHECK_FALSE(judge_runtime_dir("/tmp/x/run", {State::Missing, 0, true}, 1000));
  CHECK_FALSE(judge_runtime_dir("/run/user/0", {State::Exists, 0, true}, 0));
}

TEST_CASE("another user's XDG_RUNTIME_DIR names the variable and the fix", "[runtime_dir]") {
  const auto owned = judge_runtime_dir("/run/user/0", {State::Exists, 0, true}, 1000);
  REQUIRE(owned);
  CHECK(has(*owned, "XDG_RUNTIME_DIR=/run/user/0 belongs to root (uid 0), not to you, "));
  CHECK(has(*owned, "uid 1000"));
  CHECK(has(*owned, "unset XDG_RUNTIME_DIR"));
  CHECK(has(*owned, "su -"));
  CHECK(owned->find('\n') == std::string::npos);

  const auto forbidden = judge_runtime_dir("/run/user/0/x", {State::Forbidden, 0, true}, 1000);
  REQUIRE(forbidden);
  CHECK(has(*forbidden, "XDG_RUNTIME_DIR=/run/user/0/x is another user's"));
  CHECK(has(*forbidden, "unset XDG_RUNTIME_DIR"));

  const auto missing = judge_runtime_dir("/run/user/0", {State::Missing, 0, false}, 1000);
  REQUIRE(missing);
  CHECK(has(*missing, "XDG_RUNTIME_DIR=/run/user/0 does not exist and you, "));
  CHECK(has(*missing, "may not create it"));
  CHECK(has(*missing, "unset XDG_RUNTIME_DIR"));
}

TEST_CASE("an unset or relative XDG_RUNTIME_DIR is not judged", "[runtime_dir]") {
  const auto unset = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  CHECK_FALSE(foreign_runtime_dir(unset, 1000));
  const auto relative = [](std::string_view) -> std::optional<std::string> { return "run"; };
  CHECK_FALSE(foreign_runtime_dir(relative, 1000));
}
