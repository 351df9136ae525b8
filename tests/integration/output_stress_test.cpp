// Output capture under load, the variants of issue 4's 200 MiB test: stderr in its own file,
// timestamps = "prefix", a job killed mid-line, and a grandchild that keeps the pipe after
// the job exited. What is in the files is exactly what the job wrote: every line once, in
// order, none split across files. Tagged [stress]: ctest label `stress`, run by `make test`.
#include "common/time_format.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

std::size_t rotated_count(const fs::path& live, int keep) {
  std::size_t n = 0;
  for (int k = 1; k <= keep; ++k) n += fs::exists(live.string() + "." + std::to_string(k)) ? 1 : 0;
  return n;
}

// Lines "<n> xxx...\n" of `len` bytes from 1 on; a last partial line must be the start of
// the next one. Returns the count of whole lines, or -1 (with `why`) when something is off.
long long count_sequence(std::string_view text, std::size_t len, std::string& why, bool allow_partial = false) {
  long long want = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (!allow_partial) {
        why = "a partial line at the end";
        return -1;
      }
      const auto tail = text.substr(pos);
      const auto expect_prefix = std::to_string(want) + " ";
      if (tail.size() >= expect_prefix.size() ? !tail.starts_with(expect_prefix)
                                              : !std::string_view(expect_prefix).starts_with(tail)) {
        why = "the partial last line is not line " + std::to_string(want);
        return -1;
      }
      break;
    }
    const auto line = text.substr(pos, nl - pos);
    long long got = -1;
    try {
      got = std::stoll(std::string(line.substr(0, line.find(' '))));
    } catch (...) {
    }
    if (got != want || line.size() + 1 != len) {
      why = "expected line " + std::to_string(want) + ", got: " + std::string(line.substr(0, 40));
      return -1;
    }
    ++want;
    pos = nl + 1;
  }
  return want - 1;
}

std::string spew_argv(long long count, int len) {
  return "\"" + helper("seqspew") + "\", \"" + std::to_string(count) + "\", \"" + std::to_string(len) + "\"";
}

}  // namespace

TEST_CASE("output stress: stdout and stderr in their own files, both rotating, each line once",
          "[integration][logs][stress][R31][R36]") {
  constexpr long long kLines = 400'000;  // 40 MB a stream
  TestDaemon d("[jobs.two]\ncommand = [\"sh\", \"-c\", \"" + helper("seqspew") + " " + std::to_string(kLines) +
               " 100 & " + helper("seqspew") + " " + std::to_string(kLines) +
               " 100 >&2; wait\"]\nrestart = \"never\"\nstderr = \"two.err\"\nlog_max_size = \"1MiB\"\n"
               "log_keep = 1000\n");
  REQUIRE(d.wait_state("two", "exited", 300s));
  for (const auto& file : {d.log_file("two"), d.log_dir() / "two.err"}) {
    INFO(file);
    std::string why;
    CHECK(count_sequence(read_rotated_logs(file, 1000), 100, why) == kLines);
    CHECK(why == "");
    CHECK(rotated_count(file, 1000) >= 30);
  }
  d.finish();
}

TEST_CASE("output stress: timestamps = prefix through rotation, every line stamped once",
          "[integration][logs][stress][R37]") {
  constexpr long long kLines = 300'000;
  TestDaemon d("[jobs.p]\ncommand = [" + spew_argv(kLines, 60) +
               ", \"\", \"777\"]\nrestart = \"never\"\ntimestamps = \"prefix\"\nlog_max_size = \"1MiB\"\n"
               "log_keep = 1000\n");
  REQUIRE(d.wait_state("p", "exited", 300s));
  const auto text = read_rotated_logs(d.log_file("p"), 1000);
  std::string unstamped;
  unstamped.reserve(text.size());
  bool stamped = true;
  for (const auto& line : split_lines(text)) {
    stamped = stamped && supd::common::parse_iso8601_utc_ms(line).has_value() &&
              line.size() > supd::common::kIsoTimeWidth && line[supd::common::kIsoTimeWidth] == ' ';
    if (!stamped) break;
    unstamped.append(line, supd::common::kIsoTimeWidth + 1).push_back('\n');
  }
  CHECK(stamped);
  std::string why;
  CHECK(count_sequence(unstamped, 60, why) == kLines);
  CHECK(why == "");
  d.finish();
}

TEST_CASE("output stress: a job killed mid-line leaves whole lines and then its partial one, nothing more",
          "[integration][logs][stress][R34]") {
  // Endless numbered lines through an odd buffer size, so writes end mid-line; SIGKILL.
  TestDaemon d("[jobs.k]\ncommand = [" + spew_argv(1'000'000'000, 100) +
               ", \"\", \"4093\"]\nrestart = \"never\"\nstop_signal = \"KILL\"\nlog_max_size = \"1MiB\"\n"
               "log_keep = 1000\n");
  REQUIRE(d.wait_running("k") > 0);
  REQUIRE(eventually([&] { return rotated_count(d.log_file("k"), 1000) >= 20; }, 120s));
  REQUIRE(d.ctl({"stop", "k"}).exit_code == kOk);
  std::string why;
  const auto whole = count_sequence(read_rotated_logs(d.log_file("k"), 1000), 100, why, true);
  CHECK(why == "");
  CHECK(whole > 200'000);
  d.finish();
}

TEST_CASE("output stress: a grandchild that keeps the pipe after the job exited is read to its end",
          "[integration][logs][stress]") {
  // The job exits at once; its grandchild (in a session of its own, so the job's leftover
  // kill does not reach it) writes 20 MB into the inherited pipe afterwards.
  constexpr long long kLines = 200'000;
  // The job waits until its grandchild is in its own session (g.ready), else the leftover
  // kill at the job's exit could catch the grandchild before its setsid(). Where supd gives the
  // job a cgroup of its own, that kill reaches the whole cgroup (as systemd's does), so the
  // grandchild first moves back to the test's own cgroup: a process the job no longer owns.
  std::string leave_cgroup;
  for (const auto& line : split_lines(read_file("/proc/self/cgroup")))
    if (line.rfind("0::", 0) == 0)
      for (const char* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"})
        if (fs::exists(fs::path(mount) / "cgroup.controllers") && leave_cgroup.empty())
          leave_cgroup = "echo 0 > " + (fs::path(mount) / fs::path(line.substr(3)).relative_path() / "cgroup.procs").string() +
                         " 2>/dev/null; ";
  TestDaemon d("[jobs.g]\ncommand = [\"sh\", \"-c\", \"rm -f g.ready; setsid sh -c '" + leave_cgroup +
               "touch g.ready; sleep 0.5; exec " +
               helper("seqspew") + " " + std::to_string(kLines) +
               " 100' & while [ ! -e g.ready ]; do sleep 0.01; done; exit 0\"]\nrestart = \"never\"\n"
               "start_secs = 0\nlog_max_size = \"1MiB\"\nlog_keep = 1000\n");
  REQUIRE(d.wait_state("g", "exited", 60s));
  const auto want = static_cast<std::size_t>(kLines) * 100;
  REQUIRE(eventually([&] { return read_rotated_logs(d.log_file("g"), 1000).size() >= want; }, 120s));
  REQUIRE(eventually([&] { return d.tagged().empty(); }, 30s));  // the grandchild is done
  std::string why;
  CHECK(count_sequence(read_rotated_logs(d.log_file("g"), 1000), 100, why) == kLines);
  CHECK(why == "");
  d.finish();
}
