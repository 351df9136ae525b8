// timestamps = "prefix" across a change of supd (issue 15, TESTPLAN R88): a line in progress
// when supd re-execs (`supctl upgrade`) or is killed with SIGKILL is finished by the next supd
// without a second timestamp in its middle, since that supd reads whether the file ends mid-line.
#include "common/time_format.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// Writes half a line, waits for <dir>/go, then writes the rest and lives on.
constexpr const char* kHalfLine = R"([jobs.h]
command = ["sh", "-c", "printf 'half '; while [ ! -e '@DIR@/go' ]; do sleep 0.02; done; printf 'rest\\n'; exec sleep 1000"]
restart = "never"
timestamps = "prefix"
)";

// "" when the log is exactly one line "<time> half rest"; else what is wrong with it.
std::string one_stamped_line(const std::string& log) {
  const auto lines = split_lines(log);
  if (lines.size() != 1 || log.back() != '\n') return "not one whole line: '" + log + "'";
  const auto& line = lines[0];
  if (!supd::common::parse_iso8601_utc_ms(line)) return "no time at the start of: '" + line + "'";
  const auto rest = line.substr(std::min(line.size(), supd::common::kIsoTimeWidth + 1));
  return rest == "half rest" ? "" : "not 'half rest' after the time: '" + line + "'";
}

void finish_the_line(TestDaemon& d) {
  write_file(d.dir() / "go", "");
  REQUIRE(eventually([&] { return contains(d.read_log("h"), "rest\n"); }));
}

}  // namespace

TEST_CASE("R88 prefix: a line in progress across `supctl upgrade` gets one timestamp",
          "[integration][logs][timestamps][upgrade][R88]") {
  TestDaemon d(kHalfLine);
  REQUIRE(d.wait_running("h") > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("h"), "half "); }));
  const auto r = d.ctl({"upgrade"});
  INFO(r.out << r.err << "\nsupd output:\n" << d.supd_output());
  REQUIRE(r.exit_code == kOk);
  finish_the_line(d);
  CHECK(one_stamped_line(d.read_log("h")) == "");
  d.finish();
}

TEST_CASE("R88 prefix: a line in progress across kill -9 of supd gets one timestamp",
          "[integration][logs][timestamps][adopt][R88]") {
  TestDaemon d(kHalfLine);
  const pid_t job = d.wait_running("h");
  REQUIRE(job > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("h"), "half "); }));
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  // The rest goes into the pipe while no supd runs; the next one adopts the job and reads it.
  write_file(d.dir() / "go", "");
  d.start();
  CHECK(d.job_pid("h") == job);
  REQUIRE(eventually([&] { return contains(d.read_log("h"), "rest\n"); }));
  CHECK(one_stamped_line(d.read_log("h")) == "");
  d.finish();
}
