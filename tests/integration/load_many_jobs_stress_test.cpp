// Load (TESTPLAN R77-R80): many jobs, many cycles, and idleness. Tagged [stress]: ctest runs
// them alone, under the label `stress`.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

std::string jobs_config(int n, const std::string& defaults, const char* command = R"(["sleep", "1000"])") {
  std::string config = "[defaults]\n" + defaults + "\n";
  config.reserve(static_cast<std::size_t>(n) * 48);
  for (int i = 1; i <= n; ++i) config += "[jobs.j" + std::to_string(i) + "]\ncommand = " + command + "\n";
  return config;
}

long status_number(pid_t pid, std::string_view field) {
  const auto v = status_field(pid, field);
  return v ? std::stol(*v) : -1;
}

// utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat).
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

std::size_t count_running(const json& status) {
  std::size_t n = 0;
  for (const auto& j : status["jobs"])
    if (j["state"] == "running") ++n;
  return n;
}

}  // namespace

TEST_CASE("R77 a thousand autostart jobs all run and status lists them all", "[integration][stress][R77]") {
  // supd answers after its first turn of spawns, and spawns the rest between requests: the
  // harness's usual wait for an answer is enough, and from the first answer every job is
  // starting or running, never shown stopped.
  TestDaemon d(jobs_config(1000, "start_secs = 0\n"));
  const auto first = d.status_json();
  REQUIRE(first);
  REQUIRE((*first)["jobs"].size() == 1000);
  for (const auto& j : (*first)["jobs"]) {
    INFO(j.dump());
    CHECK((j["state"] == "starting" || j["state"] == "running"));
  }
  CHECK(eventually(
      [&] {
        const auto st = d.status_json();
        return st && count_running(*st) == 1000;
      },
      120s));
  const auto table = d.ctl({"status"});
  REQUIRE(table.exit_code == kOk);
  CHECK(split_lines(table.out).size() == 1001);  // a header and a row each
  const auto js = d.ctl({"--json", "status"});
  REQUIRE(js.exit_code == kOk);
  CHECK(js.out.size() > 64 * 1024);
  const auto parsed = json::parse(js.out, nullptr, false);
  REQUIRE(parsed.is_object());
  CHECK(parsed["jobs"].size() == 1000);
  const long rss = rss_kib(d.pid());
  INFO("supd RSS with 1000 jobs: " << rss << " KiB");
  CHECK(rss > 0);
  if (kRssMeasuresUse) CHECK(rss < 200 * 1024);
  const auto stop = d.ctl({"stop", "all"}, 120s);
  INFO(stop.out << stop.err);
  CHECK(stop.exit_code == kOk);
  CHECK(eventually([&] { return d.tagged().empty(); }, 30s));
  d.finish();
}

TEST_CASE("R78 ten thousand start and stop cycles on one connection leave supd as it was",
          "[integration][stress][R78]") {
  TestDaemon d(R"(
[jobs.j]
command = ["sleep", "1000"]
autostart = false
start_secs = 0
)");
  // One cycle first: the fd holder is connected with the first job's pipe and stays.
  REQUIRE(d.ctl({"start", "j"}).exit_code == kOk);
  REQUIRE(d.ctl({"stop", "j"}).exit_code == kOk);
  d.record_fd_baseline();
  const std::size_t fds = d.supd_fd_count();
  RawClient c(d.socket());
  REQUIRE(c.connected());
  int id = 0, answered = 0, failed = 0;
  std::string first_failure;
  auto cycle = [&] {
    for (const char* method : {"start", "stop"}) {
      const auto r = c.request({{"id", ++id}, {"method", method}, {"params", {{"jobs", {"j"}}}}}, 30s);
      if (!r || (*r)["id"] != id) return false;
      ++answered;
      if ((*r)["ok"] != true) {
        if (failed++ == 0) first_failure = r->dump();
      }
    }
    return true;
  };
  // Each cycle costs several times more under ASan, and RSS says nothing there
  // (kRssMeasuresUse): the sanitizer build runs a fifth of the cycles and checks fds only.
  constexpr int kWarmup = 1000, kCycles = kSanitizerBuild ? 2000 : 10000;
  int done = 0;
  while (done < kWarmup && cycle()) ++done;
  const long rss_warm = rss_kib(d.pid());
  while (done < kCycles && cycle()) ++done;
  const long rss_end = rss_kib(d.pid());
  c.close();
  INFO("answered " << answered << " of " << 2 * kCycles << ", failed " << failed << ": " << first_failure);
  INFO("RSS after warm-up " << rss_warm << " KiB, at the end " << rss_end << " KiB");
  CHECK(done == kCycles);
  CHECK(answered == 2 * kCycles);
  CHECK(failed == 0);
  CHECK(d.state("j") == "stopped");  // the last one asked
  CHECK(eventually([&] { return d.supd_fd_count() == fds; }));
  if (kRssMeasuresUse) CHECK(rss_end <= rss_warm + rss_warm / 10);
  const auto ev = d.ctl({"--json", "events", "j", "-n", "100000"});
  REQUIRE(ev.exit_code == kOk);
  CHECK(split_lines(ev.out).size() == 1000);  // the per-job history cap
  d.finish();
}

TEST_CASE("R79 a hundred idle jobs cost supd almost no CPU and no periodic wakeups", "[integration][stress][R79]") {
  TestDaemon d(jobs_config(100, "start_secs = 0\n"));
  CHECK(eventually([&] {
    const auto st = d.status_json();
    return st && count_running(*st) == 100;
  }, 60s));
  // Let the start-up settle (the status requests above were traffic too).
  const pid_t pid = d.pid();
  const auto settle = Deadline(2s);
  while (!settle.passed()) ::usleep(100000);
  const long cpu0 = cpu_ticks(pid), ctx0 = status_number(pid, "voluntary_ctxt_switches");
  const auto idle = Deadline(20s);
  while (!idle.passed()) ::usleep(200000);
  const long cpu = cpu_ticks(pid) - cpu0, ctx = status_number(pid, "voluntary_ctxt_switches") - ctx0;
  const long hz = ::sysconf(_SC_CLK_TCK);
  INFO("20 s idle: " << cpu << " ticks of CPU (" << hz << "/s), " << ctx << " voluntary context switches");
  CHECK(cpu * 5 < hz);  // under 0.2 s
  CHECK(ctx < 25);      // no timer ticks: nothing is polled while nothing happens
  d.finish();
}

TEST_CASE("R80 status of five thousand stopped jobs arrives whole", "[integration][stress][R80]") {
  TestDaemon d(jobs_config(5000, "autostart = false\n"));
  const auto js = d.ctl({"--json", "status"}, 60s);
  REQUIRE(js.exit_code == kOk);
  const auto parsed = json::parse(js.out, nullptr, false);
  REQUIRE(parsed.is_object());
  CHECK(parsed["jobs"].size() == 5000);
  const auto table = d.ctl({"status"}, 60s);
  CHECK(table.exit_code == kOk);
  CHECK(split_lines(table.out).size() == 5001);
  d.finish();
}
