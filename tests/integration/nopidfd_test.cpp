// TESTPLAN R81, the fallback for kernels without pidfds (Linux before 5.3): supd runs under
// tests/helpers/nopidfd, a seccomp filter that makes pidfd_open, pidfd_send_signal and clone3
// fail with ENOSYS. supd then signals its children with kill(2) (safe: a child's pid is not
// reused before supd reaps it), and after a kill -9 of supd the next one must neither adopt a
// wrong process nor start a job a second time.
#include <csignal>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kNopidfdConfig = R"(
[defaults]
start_secs = 0
stop_timeout = "5s"

[jobs.rec]
command = ["@HELPERS@/sigrecord", "-e", "15", "@DIR@/rec.txt"]

[jobs.idle]
command = ["sleep", "1000"]
)";

DaemonOptions without_pidfd() {
  DaemonOptions opts;
  opts.wrapper = {helper("nopidfd")};
  return opts;
}

// supd runs under the filter and holds no pidfd (the filter really is in force).
void check_no_pidfd(const TestDaemon& d) {
  CHECK(status_field(d.pid(), "Seccomp") == std::optional<std::string>("2"));
  for (const auto& [fd, target] : list_fds(d.pid())) {
    INFO("fd " << fd << " -> " << target);
    CHECK_FALSE(contains(target, "pidfd"));
  }
}

// Live processes of the test running `sleep 1000`: a job started twice shows as 2.
std::size_t idle_instances(const TestDaemon& d) {
  std::size_t n = 0;
  for (pid_t p : tagged_pids(d.tag()))
    if (read_file("/proc/" + std::to_string(p) + "/cmdline") == std::string("sleep\0" "1000\0", 11)) ++n;
  return n;
}

}  // namespace

TEST_CASE("R81 without pidfds jobs start, take signals, stop and restart", "[integration][R81]") {
  TestDaemon d(kNopidfdConfig, without_pidfd());
  const pid_t rec = d.wait_running("rec");
  REQUIRE(rec > 0);
  REQUIRE(d.wait_running("idle") > 0);
  check_no_pidfd(d);

  // signal reaches the main process (kill(2) instead of pidfd_send_signal).
  const auto sig = d.ctl({"signal", "rec", "USR1"});
  INFO(sig.out << sig.err);
  CHECK(sig.exit_code == kOk);
  CHECK(eventually([&] { return contains(read_file(d.dir() / "rec.txt"), std::to_string(rec) + " 10\n"); }));

  // restart: the old process is gone before the new one runs.
  const auto old = ProcId::of(rec);
  CHECK(d.ctl({"restart", "rec"}).exit_code == kOk);
  const pid_t rec2 = d.wait_running("rec");
  CHECK(rec2 > 0);
  CHECK(rec2 != rec);
  CHECK_FALSE(old.alive());

  // stop ends it; start brings it back.
  const auto second = ProcId::of(rec2);
  CHECK(d.ctl({"stop", "rec"}).exit_code == kOk);
  CHECK(d.state("rec") == "stopped");
  CHECK_FALSE(second.alive());
  CHECK(d.ctl({"start", "rec"}).exit_code == kOk);
  CHECK(d.wait_running("rec") > 0);
  check_no_pidfd(d);
  d.finish();
}

TEST_CASE("R81 without pidfds, after kill -9 of supd the next supd runs each job once", "[integration][R81]") {
  TestDaemon d(kNopidfdConfig, without_pidfd());
  const pid_t idle = d.wait_running("idle");
  REQUIRE(idle > 0);
  REQUIRE(d.wait_running("rec") > 0);
  const auto first = ProcId::of(idle);
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  REQUIRE(first.alive());  // jobs outlive supd

  d.start();
  check_no_pidfd(d);
  const pid_t now = d.wait_running("idle");
  REQUIRE(now > 0);
  INFO("supd output:\n" << d.supd_output());
  // One instance: the old process adopted (same pid), never a second one beside it.
  CHECK(idle_instances(d) == 1);
  CHECK(now == idle);
  CHECK(first.alive());

  // The adopted job still takes signals, and its exit is noticed without a pidfd.
  CHECK(d.ctl({"stop", "idle"}).exit_code == kOk);
  CHECK(d.state("idle") == "stopped");
  CHECK_FALSE(first.alive());
  CHECK(idle_instances(d) == 0);
  CHECK(d.ctl({"start", "idle"}).exit_code == kOk);
  const pid_t fresh = d.wait_running("idle");
  CHECK(fresh > 0);
  // An adopted process that exits by itself is noticed too (by /proc, with no pidfd to poll).
  // `kill` of a non-child: supd learns it only by looking.
  const auto adopted = ProcId::of(fresh);
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  d.start();
  REQUIRE(d.wait_running("idle") == fresh);
  ::kill(fresh, SIGKILL);
  CHECK(eventually([&] { return !adopted.alive(); }));
  const pid_t restarted = d.wait_new_pid("idle", fresh, 15s);  // on-failure: an unknown exit is a failure
  CHECK(restarted > 0);
  CHECK(idle_instances(d) == 1);
  d.finish();
}
