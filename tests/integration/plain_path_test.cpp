// The real supctl's plain path (ctl/plain_cli.hpp) against its full one: `--timeout 10s`
// (the default for these commands) sends the same line through CLI11, and the two must print
// the same stdout and stderr and exit alike, for good lines and bad ones.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// Jobs whose answers do not change between two calls: b and c stay stopped (no uptime).
constexpr const char* kPlainPathConfig = R"(
[jobs.a]
command = ["sleep", "1000"]
[jobs.b]
command = ["sleep", "1000"]
autostart = false
[jobs.c]
command = ["sleep", "1000"]
autostart = false
)";

std::string shown(const std::vector<std::string>& args) {
  std::string out = "supctl";
  for (const auto& a : args) out += " " + a;
  return out;
}

}  // namespace

TEST_CASE("supctl's plain path and its full path print and exit alike", "[integration][ctl][plain]") {
  TestDaemon d(kPlainPathConfig);
  REQUIRE(d.wait_running("a") > 0);
  const std::vector<std::vector<std::string>> cases = {
      // plain
      {"status", "b"},
      {"list", "b", "c"},
      {"status", "c", "--json"},
      {"status", "nosuch"},
      {"pid", "a"},
      {"pid", "b"},
      {"signal", "a", "CONT"},
      {"signal", "--group", "a", "cont"},
      {"signal", "b", "CONT"},
      {"signal", "nosuch", "CONT"},
      {"stop", "--no-wait", "c"},
      {"start", "--no-wait", "nosuch"},
      // left to the full path: usage errors
      {"signal", "a"},
      {"signal", "a", "SIGFOO"},
      {"signal", "CONT", "a"},
      {"status", "--no-such-flag"},
      {"status", "a/b"},
      {"frobnicate"},
  };
  for (const auto& args : cases) {
    INFO(shown(args));
    const auto plain = d.ctl(args);
    std::vector<std::string> full_args = {"--timeout", "10s"};
    full_args.insert(full_args.end(), args.begin(), args.end());
    const auto full = d.ctl(full_args);
    CHECK(plain.exit_code == full.exit_code);
    CHECK(plain.out == full.out);
    CHECK(plain.err == full.err);
  }
  CHECK(d.ctl({"pid", "a"}).exit_code == kOk);
  CHECK(d.ctl({"status", "nosuch"}).exit_code == kRefused);
  CHECK(d.ctl({"signal", "a", "SIGFOO"}).exit_code == kUsage);
  d.finish();
}
