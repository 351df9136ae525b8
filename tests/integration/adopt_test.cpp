// Jobs outlive supd (issue 9): a supd killed with SIGKILL leaves its jobs running, and the next
// supd on the same socket adopts them (same pid, running, uptime and restarts kept) instead of
// starting them a second time; a record whose PID now names another process is never adopted.
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

bool kernel_at_least(int major, int minor) {
  utsname u{};
  int ma = 0, mi = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

constexpr const char* kThreeJobs = R"(
[defaults]
start_secs = 0

[jobs.a]
command = ["sleep", "1000"]

[jobs.b]
command = ["sleep", "1001"]

[jobs.c]
command = ["sleep", "1002"]
restart = "never"
)";

fs::path records_dir(const TestDaemon& d) { return fs::path(d.socket().string() + ".jobs"); }

// The record supd keeps for `job` in its journal (<socket>.jobs/records: the last line that
// names the job wins, a removal line forgets it), or nullopt when it keeps none.
std::optional<json> recorded(const TestDaemon& d, const std::string& job) {
  std::optional<json> out;
  for (const auto& line : split_lines(read_file(records_dir(d) / "records"))) {
    const auto doc = json::parse(line, nullptr, false);
    if (!doc.is_object() || doc.value("name", "") != job) continue;
    out = doc.value("removed", false) ? std::nullopt : std::optional<json>(doc);
  }
  return out;
}

// Every live process running `sleep <arg>` among the test's processes: a job twice shows here.
std::size_t instances(const TestDaemon& d, const std::string& arg) {
  std::size_t n = 0;
  for (pid_t p : tagged_pids(d.tag())) {
    const auto cmd = read_file("/proc/" + std::to_string(p) + "/cmdline");
    if (cmd == std::string("sleep\0", 6) + arg + std::string(1, '\0')) ++n;
  }
  return n;
}

void kill_supd(TestDaemon& d) {
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
}

}  // namespace

TEST_CASE("after kill -9 of supd the next supd adopts every job with its pid, uptime and restarts",
          "[integration][adopt]") {
  TestDaemon d(kThreeJobs);
  std::map<std::string, pid_t> pids;
  for (const char* job : {"a", "b", "c"}) {
    pids[job] = d.wait_running(job);
    REQUIRE(pids[job] > 0);
  }
  REQUIRE(d.ctl({"restart", "b"}).exit_code == kOk);  // restarts = 1, to see it kept
  pids["b"] = d.wait_running("b");
  const auto before = d.status_json();
  REQUIRE(before);
  for (const char* job : {"a", "b", "c"}) CHECK(recorded(d, job));

  kill_supd(d);
  for (const auto& [job, pid] : pids) CHECK(process_alive(pid));  // nohup's promise
  d.start();

  for (const auto& [job, pid] : pids) {
    INFO(job);
    const auto row = d.job(job);
    REQUIRE(row);
    INFO(row->dump());
    CHECK((*row)["state"] == "running");
    CHECK((*row)["pid"] == pid);
    for (const auto& old : (*before)["jobs"])
      if (old["name"] == job) {
        CHECK((*row)["restarts"] == old["restarts"]);
        CHECK((*row)["uptime_s"].get<double>() >= old["uptime_s"].get<double>() - 0.5);
      }
  }
  CHECK((*d.job("b"))["restarts"] == 1);
  CHECK(instances(d, "1000") == 1);
  CHECK(instances(d, "1001") == 1);
  CHECK(instances(d, "1002") == 1);
  CHECK(contains(d.supd_output(), "adopted pid " + std::to_string(pids["a"])));
  // The adoption is a transition like any other, in the history and its JSON.
  const auto events = d.ctl({"events", "b"});
  INFO(events.out << events.err);
  CHECK(contains(events.out, "b stopped -> running: adopted"));
  const auto events_json = d.ctl({"--json", "events", "b"});
  bool adopted_event = false;
  for (const auto& line : split_lines(events_json.out)) {
    const auto e = json::parse(line, nullptr, false);
    adopted_event = adopted_event || (e.is_object() && e.value("kind", "") == "state" &&
                                      e.value("reason", "") == "adopted" && e.value("to", "") == "running");
  }
  CHECK(adopted_event);

  // The adopted jobs answer as before: signal, pid, stop, start.
  CHECK(d.ctl({"pid", "a"}).out == std::to_string(pids["a"]) + "\n");
  CHECK(d.ctl({"signal", "a", "CONT"}).exit_code == kOk);
  const auto stop = d.ctl({"stop", "a"});
  INFO(stop.out << stop.err);
  CHECK(stop.exit_code == kOk);
  CHECK(d.state("a") == "stopped");
  CHECK_FALSE(process_alive(pids["a"]));
  CHECK_FALSE(recorded(d, "a"));
  CHECK(d.ctl({"start", "a"}).exit_code == kOk);
  CHECK(d.job_pid("a") != pids["a"]);
  d.finish();
}

TEST_CASE("an adopted job's exit is recorded with its real status where the kernel tells it, and its restart "
          "policy applies",
          "[integration][adopt]") {
  TestDaemon d(kThreeJobs);
  const pid_t a = d.wait_running("a");  // restart = on-failure (the default)
  const pid_t c = d.wait_running("c");  // restart = never
  REQUIRE(a > 0);
  REQUIRE(c > 0);
  kill_supd(d);
  d.start();
  REQUIRE(d.job_pid("c") == c);

  ::kill(c, SIGTERM);  // not supd's child now: its parent reaps it, its pidfd may tell the status
  REQUIRE(d.wait_state("c", "exited"));
  const auto row = d.job("c");
  REQUIRE(row);
  INFO(row->dump());
  if (kernel_at_least(6, 15)) {  // PIDFD_GET_INFO with PIDFD_INFO_EXIT
    CHECK((*row)["last_exit"]["description"] == "killed by SIGTERM");
    CHECK((*row)["last_exit"]["signal"] == "TERM");
    CHECK(contains(d.ctl({"why", "c"}).out, "SIGTERM"));
  } else {  // known only if supd saw it as a zombie, before its parent reaped it
    const auto said = (*row)["last_exit"]["description"];
    CHECK((said == "exited, status unknown (adopted)" || said == "killed by SIGTERM"));
  }
  // Its group is gone once its parent (not supd) has reaped it: supd looks every 100 ms.
  CHECK(eventually([&] { return !recorded(d, "c"); }));

  ::kill(a, SIGKILL);  // an unknown status counts as a failure: on-failure restarts it
  const pid_t again = d.wait_new_pid("a", a);
  CHECK(again > 0);
  CHECK((*d.job("a"))["restarts"] == 1);
  d.finish();
}

TEST_CASE("a record whose pid now belongs to another process is not adopted", "[integration][adopt]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.a]
command = ["sleep", "1000"]
start_secs = 0

[jobs.gone]
command = ["sleep", "1001"]
start_secs = 0
)",
               opts);
  // Another process of ours holds a pid a record names: its start time tells it apart.
  SpawnOptions so;
  so.env = d.env();
  const pid_t stranger = spawn_process({"/bin/sleep", "1000"}, so);
  const auto start = proc_stat(stranger);
  REQUIRE(start);
  fs::create_directories(records_dir(d));
  fs::permissions(records_dir(d), fs::perms::owner_all, fs::perm_options::replace);
  const auto record = [](const std::string& name, pid_t pid, unsigned long long starttime) {
    return json{{"version", 1}, {"name", name},        {"pid", pid},   {"pgid", pid},
                {"starttime", starttime}, {"spawned_at_ms", 1}, {"spawns", 4}, {"argv", {"sleep", "1000"}}}
        .dump();
  };
  write_file(records_dir(d) / "a.json", record("a", stranger, start->starttime + 1));
  // And one for a pid that is free now (our own child, reaped).
  const pid_t dead = spawn_process({"/bin/true"}, so);
  REQUIRE(wait_exit(dead, 10s));
  write_file(records_dir(d) / "gone.json", record("gone", dead, 1));
  write_file(records_dir(d) / "junk.json", "{not json");

  d.start();
  const pid_t a = d.wait_running("a");
  CHECK(a > 0);
  CHECK(a != stranger);
  CHECK((*d.job("a"))["restarts"] == 0);  // a fresh job, nothing of the record kept
  CHECK(process_alive(stranger, start->starttime));  // untouched
  const pid_t gone = d.wait_running("gone");
  CHECK(gone > 0);
  CHECK(gone != dead);
  CHECK(contains(d.supd_output(), "now belongs to another process"));
  CHECK_FALSE(fs::exists(records_dir(d) / "junk.json"));
  // The one-file-a-job records of an older supd are folded into the journal and removed, and
  // the journal now names the new processes.
  CHECK_FALSE(fs::exists(records_dir(d) / "a.json"));
  CHECK_FALSE(fs::exists(records_dir(d) / "gone.json"));
  CHECK(eventually([&] {
    const auto r = recorded(d, "a");
    return r && (*r)["pid"] == a;
  }));

  ::kill(stranger, SIGKILL);
  REQUIRE(wait_exit(stranger, 10s));
  d.finish();
}

TEST_CASE("a job left running that is no longer in the config is left alone and reported",
          "[integration][adopt]") {
  TestDaemon d(kThreeJobs);
  const pid_t b = d.wait_running("b");
  REQUIRE(b > 0);
  kill_supd(d);
  write_file(d.config_path(), d.expand(R"(
[defaults]
start_secs = 0

[jobs.a]
command = ["sleep", "1000"]

[jobs.c]
command = ["sleep", "1002"]
restart = "never"
)"));
  d.start();
  CHECK_FALSE(d.job("b"));
  CHECK(process_alive(b));
  CHECK(contains(d.supd_output(), "job b (pid " + std::to_string(b) + ") was started by a previous supd"));
  CHECK(recorded(d, "b"));  // kept for a supd whose config names it again
  ::kill(-b, SIGKILL);
  REQUIRE(eventually([&] { return !process_alive(b); }));
  d.finish();
}
