// TESTPLAN R64: hostile config sizes through the real `supd --check` under a 1 MiB stack
// (`ulimit -s 1024`): a 10 MB config, nesting 10 000 deep, 100 000 jobs. Each ends in a clean
// exit, 0 or 1 with file:line:col errors, never a signal or a sanitizer report. The unit tests
// (tests/unit/config/errors_test, load_file_test) check the messages; this checks the binary.
// In the normal build the address space is capped too (`ulimit -v`), so "bounded memory" is
// checked; not under ASan, whose shadow memory reserves terabytes of address space.
#include <sys/wait.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kLimits = "ulimit -s 1024";
#else
constexpr const char* kLimits = "ulimit -s 1024 && ulimit -v 1048576";  // 1 MiB stack, 1 GiB address space
#endif

// `supd --check --config FILE` with the limits above applied by the shell that execs it.
RunResult check_limited(const TestDaemon& d, const fs::path& config) {
  const std::string script = std::string(kLimits) + " && exec \"$0\" \"$@\"";
  return run_process({"/bin/sh", "-c", script, SUPD_BIN, "--check", "--config", config.string()}, d.env(), 120s);
}

std::string many_jobs(int n, std::size_t pad) {
  std::string text;
  text.reserve(static_cast<std::size_t>(n) * (60 + pad));
  const std::string padding(pad, 'x');
  for (int i = 0; i < n; ++i) {
    text += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\nautostart = false\n";
    if (pad > 0) text += "environment = { PAD = \"" + padding + "\" }\n";
  }
  return text;
}

std::string repeat(std::string_view piece, int n) {
  std::string out;
  out.reserve(piece.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// A clean exit: the wanted code, no signal, no sanitizer report; a refusal says file:line:col.
void check_clean(const RunResult& r, const fs::path& config, int wanted) {
  INFO("exit " << r.exit_code << (r.signaled ? " (signal)" : "") << "\nstderr (first 2000 bytes): "
                << r.err.substr(0, 2000));
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == wanted);
  CHECK_FALSE(contains(r.err, "Sanitizer"));
  CHECK_FALSE(contains(r.err, "stack-overflow"));
  if (wanted == 1) CHECK(contains(r.err, config.string() + ":1:"));
}

}  // namespace

TEST_CASE("R64 supd --check under a 1 MiB stack: 10 MB config, nesting 10000 deep, 100000 jobs",
          "[integration][daemon][R64]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("", opts);
  constexpr int kDeep = 10000;
  const auto file = d.dir() / "big.toml";

  SECTION("100 000 jobs load") {
    write_file(file, many_jobs(100000, 0));
    check_clean(check_limited(d, file), file, 0);
  }
  SECTION("a 10 MB config loads") {
    const std::string text = many_jobs(40000, 200);
    REQUIRE(text.size() > 10'000'000);
    write_file(file, text);
    check_clean(check_limited(d, file), file, 0);
  }
  SECTION("arrays nested 10 000 deep are refused") {
    write_file(file, "x = " + std::string(kDeep, '[') + std::string(kDeep, ']') + "\n");
    const auto r = check_limited(d, file);
    check_clean(r, file, 1);
    CHECK(contains(r.err, "nested more than 16 levels deep"));
  }
  SECTION("inline tables nested 10 000 deep are refused") {
    write_file(file, "x = " + repeat("{ a = ", kDeep) + "1" + repeat(" }", kDeep) + "\n");
    check_clean(check_limited(d, file), file, 1);
  }
  SECTION("a dotted key of 10 000 parts is refused") {
    write_file(file, "a" + repeat(".a", kDeep - 1) + " = 1\n");
    check_clean(check_limited(d, file), file, 1);
  }
  SECTION("a table header of 10 000 parts is refused") {
    write_file(file, "[jobs" + repeat(".\"a\"", kDeep - 1) + "]\n");
    check_clean(check_limited(d, file), file, 1);
  }
}
