// `supctl stats` against a real supd: CPU, memory and the processes of each job's group.
#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace supd::test;

TEST_CASE("stats reads each job's whole group: CPU time and percent, RSS, processes", "[integration][stats]") {
  TestDaemon d(R"(
[jobs.busy]
command = ["sh", "-c", "while :; do :; done"]
[jobs.family]
command = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]
[jobs.idle]
command = "sleep 1000"
autostart = false
)");
  REQUIRE(d.wait_running("busy") > 0);
  REQUIRE(d.wait_running("family") > 0);
  const auto row_of = [&](const json& doc, std::string_view name) -> json {
    for (const auto& j : doc["jobs"])
      if (j["name"] == name) return j;
    return json();
  };
  // The busy loop has used CPU by the time it is asked twice; the shell and its two sleeps count.
  REQUIRE(eventually([&] {
    const auto r = d.ctl({"--json", "stats"});
    const auto doc = json::parse(r.out, nullptr, false);
    if (r.exit_code != kOk || doc.is_discarded()) return false;
    const auto busy = row_of(doc, "busy"), family = row_of(doc, "family");
    return busy.is_object() && busy["cpu_s"].get<double>() > 0.05 && family.is_object() &&
           family["processes"] == 3;
  }, 20s));
  const auto r = d.ctl({"--json", "stats", "busy", "idle"});
  REQUIRE(r.exit_code == kOk);
  const auto doc = json::parse(r.out);
  REQUIRE(doc["jobs"].size() == 2);
  const auto busy = row_of(doc, "busy");
  CHECK(busy["state"] == "running");
  CHECK(busy["pid"] == d.job_pid("busy"));
  CHECK(busy["processes"] == 1);
  CHECK(busy["rss_bytes"].get<std::uint64_t>() > 0);
  CHECK(busy["cpu_pct"].get<double>() > 0);
  CHECK(busy["cpu_window_s"].get<double>() > 0);
  const auto idle = row_of(doc, "idle");
  CHECK(idle["state"] == "stopped");
  CHECK(idle["pid"].is_null());
  CHECK(idle["processes"] == 0);
  CHECK(idle["cpu_pct"].is_null());

  const auto table = d.ctl({"stats"});
  CHECK(table.exit_code == kOk);
  CHECK(table.out.starts_with("NAME    STATE    PID"));
  CHECK(table.out.find("CPU%") != std::string::npos);
  CHECK(table.out.find("\nidle    STOPPED  -") != std::string::npos);

  const auto unknown = d.ctl({"stats", "nosuch"});
  CHECK(unknown.exit_code == kRefused);
  CHECK(is_one_line(unknown.err));
  d.finish();
}

TEST_CASE("stats of a thousand jobs comes whole", "[integration][stats][stress]") {
  std::string toml;
  for (int i = 0; i < 1000; ++i) toml += "[jobs.j" + std::to_string(i) + "]\ncommand = \"sleep 1000\"\nstart_secs = 0\n";
  TestDaemon d(toml);  // supd answers while the jobs spawn; they all run within 120 s even under ASan
  REQUIRE(eventually([&] {
    const auto s = d.status_json();
    if (!s) return false;
    for (const auto& j : (*s)["jobs"])
      if (j["state"] != "running") return false;
    return true;
  }, 120s));
  const auto r = d.ctl({"--json", "stats"}, 120s);
  REQUIRE(r.exit_code == kOk);
  const auto doc = json::parse(r.out);
  REQUIRE(doc["jobs"].size() == 1000);
  for (const auto& j : doc["jobs"]) CHECK(j["processes"] == 1);
  d.ctl({"stop", "all"}, 120s);
  d.finish();
}
