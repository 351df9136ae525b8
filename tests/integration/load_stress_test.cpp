// supd under sustained load (TESTPLAN R21, R43): a crash loop beside steady jobs, and one job
// flooding its output beside slow loggers. Each runs 30-40 s: tagged [stress], ctest label
// `stress` (run alone, by `make test`).
#include <algorithm>
#include <map>
#include <thread>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// "" when `text` is 100-byte lines "<n> x..." counting up by one from wherever it starts,
// with at most a partial start of the next line at the end; else what is off.
std::string consecutive(std::string_view text, long long& first, long long& last) {
  first = last = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;  // the job was killed mid-line
    const auto line = text.substr(pos, nl - pos);
    long long n = -1;
    try {
      n = std::stoll(std::string(line.substr(0, line.find(' '))));
    } catch (...) {
    }
    if (line.size() != 99) return "a line of " + std::to_string(line.size() + 1) + " bytes after " + std::to_string(last);
    if (last != 0 && n != last + 1) return "line " + std::to_string(n) + " after " + std::to_string(last);
    if (first == 0) first = n;
    last = n;
    pos = nl + 1;
  }
  return last > 0 ? "" : "no line at all";
}

}  // namespace

TEST_CASE("R21 a crash loop beside 20 steady jobs spawns a handful of times in 40 s and harms nothing",
          "[integration][restart][stress][R21]") {
  std::string toml = R"(
[jobs.crash]
command = ["sh", "-c", "echo x >> @DIR@/spawns; exit 1"]
restart = "always"
start_retries = 1000
)";
  for (int i = 1; i <= 20; ++i) toml += "[jobs.steady" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\n";
  TestDaemon d(toml);
  std::map<std::string, pid_t> steady;
  for (int i = 1; i <= 20; ++i) {
    const auto name = "steady" + std::to_string(i);
    steady[name] = d.wait_running(name);
    REQUIRE(steady[name] > 0);
  }
  // fds are counted while the crash job waits in backoff (no pipe of its own open then). The first
  // wait is only 80 ms, so the count is taken in the second (1 s), and only if no spawn came between.
  const auto spawn_count = [&] { return split_lines(read_file(d.dir() / "spawns")).size(); };
  std::size_t fds_before = 0;
  REQUIRE(eventually([&] {
    const auto spawned = spawn_count();
    if (spawned < 2 || d.state("crash") != "backoff") return false;
    fds_before = d.supd_fd_count();
    return d.state("crash") == "backoff" && spawn_count() == spawned;
  }, 20s));
  const auto rss_before = rss_kib(d.pid());
  const auto log_before = split_lines(d.supd_output()).size();

  // 40 s in which status must answer every time it is asked.
  const auto end = Clock::now() + 40s;
  int asked = 0, answered = 0;
  while (Clock::now() < end) {
    ++asked;
    if (d.ctl({"status"}, 10s).exit_code == kOk) ++answered;
    std::this_thread::sleep_for(500ms);
  }
  CHECK(answered == asked);
  // 80 ms, then 1 s doubling to 60 s: spawns at about 0, 0.08, 1.08, 3.08, 7.08, 15.08, 31.08 s. A handful.
  const auto spawns = spawn_count();
  INFO("spawns in 40 s: " << spawns);
  CHECK(spawns >= 3);
  CHECK(spawns <= 9);
  // supd's log about it grows with the spawns, not with time.
  const auto log_lines = split_lines(d.supd_output()).size() - log_before;
  INFO("supd log lines: " << log_lines);
  CHECK(log_lines <= 10 * spawns + 20);
  for (const auto& [name, pid] : steady) {
    INFO(name);
    CHECK(d.job_pid(name) == pid);
  }
  CHECK(eventually([&] { return d.state("crash") == "backoff" && d.supd_fd_count() == fds_before; }, 70s));
  const auto rss_after = rss_kib(d.pid());
  INFO("supd RSS " << rss_before << " KiB -> " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 16 * 1024);
  d.finish();
}

TEST_CASE("R43 one job flooding for 30 s beside 20 slow loggers: status answers, every log is complete",
          "[integration][logs][stress][R43]") {
  std::string toml = R"(
[jobs.flood]
command = ["@HELPERS@/seqspew", "1000000000000", "100"]
restart = "never"
stop_signal = "KILL"
log_max_size = "4MiB"
log_keep = 3
)";
  // 300 lines, one every 0.1 s: about 30 s each.
  for (int i = 1; i <= 20; ++i)
    toml += "[jobs.slow" + std::to_string(i) +
            "]\ncommand = [\"sh\", \"-c\", \"i=1; while [ $i -le 300 ]; do echo $i; i=$((i+1)); sleep 0.1; done\"]\n"
            "restart = \"never\"\n";
  TestDaemon d(toml);
  REQUIRE(d.wait_running("flood") > 0);
  const auto rss_before = rss_kib(d.pid());
  long rss_max = rss_before;

  int asked = 0, answered = 0;
  const auto end = Clock::now() + 30s;
  while (Clock::now() < end) {
    ++asked;
    if (d.ctl({"status"}, 10s).exit_code == kOk) ++answered;
    rss_max = std::max(rss_max, rss_kib(d.pid()));
    std::this_thread::sleep_for(500ms);
  }
  CHECK(answered == asked);
  CHECK(d.state("flood") == "running");
  for (int i = 1; i <= 20; ++i) {
    const auto name = "slow" + std::to_string(i);
    INFO(name);
    REQUIRE(d.wait_state(name, "exited", 120s));
    std::string want;
    for (int n = 1; n <= 300; ++n) want += std::to_string(n) + "\n";
    CHECK(d.read_log(name) == want);
  }
  REQUIRE(d.ctl({"stop", "flood"}).exit_code == kOk);
  INFO("supd RSS " << rss_before << " KiB, at most " << rss_max << " KiB");
  if (kRssMeasuresUse) CHECK(rss_max < rss_before + 64 * 1024);
  long long first = 0, last = 0;
  const auto why = consecutive(read_rotated_logs(d.log_file("flood"), 3), first, last);
  INFO("flood lines " << first << " to " << last);
  CHECK(why == "");
  CHECK(last > 100'000);
  d.finish();
}
