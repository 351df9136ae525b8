// The lecture, end to end: the ticking amsa job supervised, greeted with USR1, stopped,
// started, restarted, found by pid, and immune to SIGHUP.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kAmsaConfig = R"(
[jobs.amsa]
command = ["@AMSA@"]
stop_timeout = "5s"
)";

}  // namespace

TEST_CASE("lecture: amsa runs and status shows it", "[integration][lecture]") {
  TestDaemon d(kAmsaConfig);
  const pid_t pid = d.wait_running("amsa");
  REQUIRE(pid > 0);
  CHECK(process_alive(pid));

  const auto table = d.ctl({"status"});
  INFO(table.out << table.err);
  CHECK(table.exit_code == kOk);
  const auto lines = split_lines(table.out);
  REQUIRE_FALSE(lines.empty());
  CHECK(split_words(lines[0]) == std::vector<std::string>{"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT"});
  const auto row = table_row(table.out, "amsa");
  REQUIRE(row.size() >= 5);
  CHECK(row[1] == "RUNNING");
  CHECK(row[2] == std::to_string(pid));
  CHECK(row[4] == "0");

  const auto list = d.ctl({"list"});
  CHECK(list.exit_code == kOk);
  CHECK(table_row(list.out, "amsa").size() >= 3);

  const auto j = d.job("amsa");
  REQUIRE(j);
  INFO(j->dump());
  CHECK((*j)["name"] == "amsa");
  CHECK((*j)["state"] == "running");
  CHECK((*j)["pid"] == pid);
  REQUIRE((*j)["uptime_s"].is_number());
  CHECK((*j)["uptime_s"].get<double>() >= 0.0);
  CHECK((*j)["restarts"] == 0);
  CHECK((*j)["last_exit"].is_null());
  CHECK((*j)["error"].is_null());

  CHECK(eventually([&] { return contains(d.read_log("amsa"), "Tick 1"); }, 10s));
  d.finish();
}

TEST_CASE("lecture: signal USR1 makes amsa say Hello world", "[integration][lecture]") {
  TestDaemon d(kAmsaConfig);
  const pid_t pid = d.wait_running("amsa");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("amsa"), "Tick 0"); }));
  const auto r = d.ctl({"signal", "amsa", "USR1"});
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  CHECK(eventually([&] { return contains(d.read_log("amsa"), "Hello world"); }));
  CHECK(d.job_pid("amsa") == pid);
  CHECK(process_alive(pid));
  d.finish();
}

TEST_CASE("lecture: pid prints only the main pid", "[integration][lecture]") {
  TestDaemon d(kAmsaConfig);
  const pid_t pid = d.wait_running("amsa");
  REQUIRE(pid > 0);
  const auto r = d.ctl({"pid", "amsa"});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == std::to_string(pid) + "\n");
  CHECK(r.err.empty());
  d.finish();
}

TEST_CASE("lecture: stop start and restart amsa", "[integration][lecture]") {
  TestDaemon d(kAmsaConfig);
  const pid_t first = d.wait_running("amsa");
  REQUIRE(first > 0);
  const auto first_id = ProcId::of(first);

  const auto stop = d.ctl({"stop", "amsa"});
  INFO("stop: " << stop.out << stop.err);
  CHECK(stop.exit_code == kOk);
  CHECK_FALSE(first_id.alive());  // stop waits until the job is gone
  CHECK(d.state("amsa") == "stopped");
  CHECK(d.job_pid("amsa") == 0);
  CHECK(eventually([&] { return contains(d.read_log("amsa"), "Bye"); }));  // TERM, a graceful stop

  const auto pid_when_stopped = d.ctl({"pid", "amsa"});
  CHECK(pid_when_stopped.exit_code == kRefused);
  CHECK(pid_when_stopped.out.empty());
  CHECK(is_one_line(pid_when_stopped.err));

  const auto start = d.ctl({"start", "amsa"});
  INFO("start: " << start.out << start.err);
  CHECK(start.exit_code == kOk);
  CHECK(d.state("amsa") == "running");  // start waits until the job is running
  const pid_t second = d.job_pid("amsa");
  CHECK(second > 0);
  CHECK(second != first);
  const auto second_id = ProcId::of(second);

  const auto restart = d.ctl({"restart", "amsa"});
  INFO("restart: " << restart.out << restart.err);
  CHECK(restart.exit_code == kOk);
  CHECK(d.state("amsa") == "running");
  const pid_t third = d.job_pid("amsa");
  CHECK(third > 0);
  CHECK(third != second);
  CHECK_FALSE(second_id.alive());
  CHECK(process_alive(third));
  d.finish();
}

TEST_CASE("lecture: shutdown stops amsa and supd", "[integration][lecture][R17]") {
  TestDaemon d(kAmsaConfig);
  const pid_t pid = d.wait_running("amsa");
  REQUIRE(pid > 0);
  const auto id = ProcId::of(pid);
  d.finish();  // supctl shutdown: 0, supd exited 0, socket gone, nothing tagged, then exit 3
  CHECK_FALSE(id.alive());
  CHECK(contains(d.read_log("amsa"), "Bye"));
}

TEST_CASE("lecture: SIGHUP sent straight to a job does not kill it", "[integration][lecture][R1]") {
  TestDaemon d(kAmsaConfig);
  const pid_t pid = d.wait_running("amsa");
  REQUIRE(pid > 0);
  const auto ign = signal_mask(pid, "SigIgn");
  REQUIRE(ign);
  CHECK((*ign & sig_bit(SIGHUP)) != 0);

  REQUIRE(::kill(pid, SIGHUP) == 0);  // an ignored signal is discarded when sent
  // A positive sign of life after the HUP: amsa still handles USR1.
  REQUIRE(::kill(pid, SIGUSR1) == 0);
  CHECK(eventually([&] { return contains(d.read_log("amsa"), "Hello world"); }));
  CHECK(process_alive(pid));
  const auto j = d.job("amsa");
  REQUIRE(j);
  CHECK((*j)["state"] == "running");
  CHECK((*j)["pid"] == pid);
  CHECK((*j)["restarts"] == 0);
  d.finish();
}
