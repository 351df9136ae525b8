// supctl's command line: exit codes, one-line errors, option placement, --json.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kCtlConfig = R"(
[jobs.a]
command = ["sleep", "1000"]
[jobs.b]
command = ["sleep", "1000"]
autostart = false
)";

}  // namespace

TEST_CASE("supctl usage errors exit 2 with one line", "[integration][ctl]") {
  TestDaemon d(kCtlConfig);
  REQUIRE(d.wait_running("a") > 0);
  const pid_t a = d.job_pid("a");
  d.record_fd_baseline();
  const std::vector<std::vector<std::string>> cases = {
      {},                            // no command
      {"frobnicate"},                // unknown command
      {"signal", "a"},               // missing argument
      {"signal", "a", "SIGFOO"},     // unknown signal
      {"pid"},                       // missing job
      {"status", "--no-such-flag"},  // unknown option
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a_ : args) shown += " " + a_;
    INFO("supctl" << shown);
    const auto r = d.ctl(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kUsage);
    CHECK(is_one_line(r.err));
  }
  CHECK(d.job_pid("a") == a);  // nothing happened to the job
  d.finish();
}

TEST_CASE("supctl on an unknown job exits 1 with one line", "[integration][ctl]") {
  TestDaemon d(kCtlConfig);
  REQUIRE(d.wait_running("a") > 0);
  d.record_fd_baseline();
  const std::vector<std::vector<std::string>> cases = {
      {"start", "nosuch"}, {"stop", "nosuch"},         {"restart", "nosuch"},
      {"pid", "nosuch"},   {"signal", "nosuch", "USR1"}, {"status", "nosuch"},
  };
  for (const auto& args : cases) {
    INFO("supctl " << args[0]);
    const auto r = d.ctl(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kRefused);
    CHECK(is_one_line(r.err));
    CHECK(contains(r.err, "nosuch"));
    CHECK(r.out.empty());
  }
  d.finish();
}

TEST_CASE("supctl options go before or after positional arguments", "[integration][ctl]") {
  TestDaemon d(kCtlConfig);
  const pid_t a = d.wait_running("a");
  REQUIRE(a > 0);

  const auto stop = d.ctl({"stop", "a", "--no-wait"});
  INFO(stop.err);
  CHECK(stop.exit_code == kOk);
  CHECK(d.wait_state("a", "stopped"));

  const auto start = d.ctl({"start", "--no-wait", "b"});
  INFO(start.err);
  CHECK(start.exit_code == kOk);
  CHECK(d.wait_state("b", "running"));

  const auto group = d.ctl({"signal", "--group", "b", "CONT"});
  INFO(group.err);
  CHECK(group.exit_code == kOk);
  const auto group_after = d.ctl({"signal", "b", "CONT", "--group"});
  CHECK(group_after.exit_code == kOk);
  d.finish();
}

TEST_CASE("supctl start all and stop all act on every job", "[integration][ctl][R22]") {
  TestDaemon d(kCtlConfig);
  REQUIRE(d.wait_running("a") > 0);
  const auto start = d.ctl({"start", "all"});
  INFO(start.err);
  CHECK(start.exit_code == kOk);
  CHECK(d.state("a") == "running");
  CHECK(d.state("b") == "running");
  const auto stop = d.ctl({"stop", "all"});
  INFO(stop.err);
  CHECK(stop.exit_code == kOk);
  CHECK(d.state("a") == "stopped");
  CHECK(d.state("b") == "stopped");
  CHECK(d.tagged().empty());
  d.finish();
}

TEST_CASE("supctl --json status is one document with lower case states", "[integration][ctl]") {
  TestDaemon d(kCtlConfig);
  const pid_t a = d.wait_running("a");
  REQUIRE(a > 0);
  const auto r = d.ctl({"--json", "status"});
  CHECK(r.exit_code == kOk);
  const auto j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  REQUIRE(j["jobs"].is_array());
  REQUIRE(j["jobs"].size() == 2);
  for (const auto& row : j["jobs"]) {
    INFO(row.dump());
    for (const char* key : {"name", "state", "pid", "uptime_s", "restarts", "last_exit", "error"})
      CHECK(row.contains(key));
  }
  CHECK(j["jobs"][0]["name"] == "a");  // in config order
  CHECK(j["jobs"][0]["state"] == "running");
  CHECK(j["jobs"][0]["pid"] == a);
  CHECK(j["jobs"][1]["name"] == "b");
  CHECK(j["jobs"][1]["state"] == "stopped");
  CHECK(j["jobs"][1]["pid"].is_null());

  const auto one = d.ctl({"--json", "status", "b"});
  CHECK(one.exit_code == kOk);
  const auto jb = json::parse(one.out, nullptr, false);
  REQUIRE_FALSE(jb.is_discarded());
  REQUIRE(jb["jobs"].size() == 1);
  CHECK(jb["jobs"][0]["name"] == "b");

  const auto table = d.ctl({"status"});
  const auto row = table_row(table.out, "b");
  REQUIRE(row.size() >= 2);
  CHECK(row[1] == "STOPPED");
  d.finish();
}

TEST_CASE("supctl stop on a stopped job and start on a running one give definite answers", "[integration][ctl][R14]") {
  TestDaemon d(kCtlConfig);
  // R14: 0, or 1 with a reason; never a hang, never a change.
  const auto stop_stopped = d.ctl({"stop", "b"});
  INFO(stop_stopped.err);
  CHECK((stop_stopped.exit_code == kOk || (stop_stopped.exit_code == kRefused && is_one_line(stop_stopped.err))));
  CHECK(d.state("b") == "stopped");
  REQUIRE(d.wait_running("a") > 0);
  const pid_t a = d.job_pid("a");
  const auto start_running = d.ctl({"start", "a"});
  INFO(start_running.err);
  CHECK((start_running.exit_code == kOk || (start_running.exit_code == kRefused && is_one_line(start_running.err))));
  CHECK(d.job_pid("a") == a);
  d.finish();
}
