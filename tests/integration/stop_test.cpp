// Stopping jobs and supd (TESTPLAN R11, R12, R13, R16, R17).
#include <map>

#include <sys/wait.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// unkillable's pidfile: "main PID\nchild PID\n".
std::map<std::string, pid_t> read_pidfile(const fs::path& file) {
  std::map<std::string, pid_t> out;
  for (const auto& line : split_lines(read_file(file)))
    if (auto w = split_words(line); w.size() == 2) out[w[0]] = std::stoi(w[1]);
  return out;
}

}  // namespace

TEST_CASE("R12 a job that ignores TERM and has a grandchild is killed after stop_timeout", "[integration][stop][R12]") {
  TestDaemon d(R"(
[jobs.stubborn]
command = ["@HELPERS@/unkillable", "-g", "-p", "@DIR@/pids"]
stop_timeout = "1s"
)");
  const pid_t pid = d.wait_running("stubborn");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return fs::exists(d.dir() / "pids"); }));
  const auto pids = read_pidfile(d.dir() / "pids");
  REQUIRE(pids.count("main"));
  REQUIRE(pids.count("child"));
  CHECK(pids.at("main") == pid);
  const auto main_id = ProcId::of(pid), child_id = ProcId::of(pids.at("child"));
  REQUIRE(main_id.alive());
  REQUIRE(child_id.alive());

  const auto r = d.ctl({"stop", "stubborn"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK_FALSE(main_id.alive());
  CHECK_FALSE(child_id.alive());
  CHECK(session_members(pid).empty());
  const auto j = d.job("stubborn");
  REQUIRE(j);
  INFO(j->dump());
  CHECK((*j)["state"] == "stopped");
  CHECK((*j)["pid"].is_null());
  // The events: TERM to the group, then (after stop_timeout) KILL to the group, then stopped.
  const auto ev = d.ctl({"events", "stubborn"});
  INFO(ev.out);
  const auto term = ev.out.find("stubborn signal: SIGTERM to process group");
  const auto kill = ev.out.find("stubborn signal: SIGKILL to process group");
  const auto stopped = ev.out.find("stubborn stopping -> stopped");
  CHECK(term != std::string::npos);
  CHECK(kill != std::string::npos);
  CHECK(stopped != std::string::npos);
  CHECK(term < kill);
  CHECK(kill < stopped);
  d.finish();
}

TEST_CASE("R11 stop ends every process of a job with pipelines in the background", "[integration][stop][R11]") {
  TestDaemon d(R"(
[jobs.pipes]
command = ["sh", "-c", "sleep 1000 | cat & sleep 1000 | cat >&2; wait"]
)");
  const pid_t pid = d.wait_running("pipes");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return session_members(pid).size() >= 5; }));
  std::vector<ProcId> members;
  for (pid_t p : session_members(pid)) members.push_back(ProcId::of(p));

  const auto r = d.ctl({"stop", "pipes"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  for (const auto& m : members) {
    INFO("pid " << m.pid);
    CHECK_FALSE(m.alive());  // gone when supctl returns
  }
  CHECK(d.state("pipes") == "stopped");
  d.finish();
}

TEST_CASE("R13 stop sends exactly the configured stop_signal", "[integration][stop][R13]") {
  struct Case {
    const char* name;
    int signo;
  };
  const auto c = GENERATE(Case{"HUP", SIGHUP}, Case{"INT", SIGINT}, Case{"QUIT", SIGQUIT}, Case{"USR1", SIGUSR1},
                          Case{"USR2", SIGUSR2}, Case{"TERM", SIGTERM}, Case{"WINCH", SIGWINCH},
                          Case{"RTMIN+1", SIGRTMIN + 1});
  DYNAMIC_SECTION("stop_signal = " << c.name) {
    TestDaemon d(std::string(R"(
[jobs.rec]
command = ["@HELPERS@/sigrecord", "-e", ")") +
                 std::to_string(c.signo) + R"(", "@DIR@/rec.txt"]
stop_signal = ")" + c.name + R"("
stop_timeout = "10s"
)");
    const pid_t pid = d.wait_running("rec");
    REQUIRE(pid > 0);
    REQUIRE(eventually([&] { return contains(d.read_log("rec"), "ready"); }));
    const auto r = d.ctl({"stop", "rec"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kOk);
    CHECK(read_file(d.dir() / "rec.txt") == std::to_string(pid) + " " + std::to_string(c.signo) + "\n");
    const auto j = d.job("rec");
    REQUIRE(j);
    CHECK((*j)["state"] == "stopped");
    d.finish();
  }
}

TEST_CASE("R16 TERM or INT to supd stops all jobs in parallel and exits 0", "[integration][stop][R16]") {
  const int signo = GENERATE(SIGTERM, SIGINT);
  DYNAMIC_SECTION("signal " << signo) {
    std::string toml;
    for (int i = 1; i <= 5; ++i)
      toml += "[jobs.stubborn" + std::to_string(i) + "]\ncommand = [\"@HELPERS@/unkillable\", \"-i\", \"500\"]\n" +
              "stop_timeout = \"4s\"\n";
    for (int i = 1; i <= 10; ++i) toml += "[jobs.plain" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\n";
    TestDaemon d(toml);
    std::vector<ProcId> jobs;
    CHECK(eventually(
        [&] {
          const auto st = d.status_json();
          if (!st) return false;
          jobs.clear();
          for (const auto& row : (*st)["jobs"]) {
            if (row["state"] != "running") return false;
            jobs.push_back(ProcId::of(row["pid"].get<pid_t>()));
          }
          return jobs.size() == 15;
        },
        20s));
    d.check_invariants();
    d.kill_daemon(signo);
    // Five 4 s escalations one after another would take 20 s; in parallel they take 4.
    const auto st = d.wait_daemon_exit(12s);
    INFO("supd output:\n" << d.supd_output());
    REQUIRE(st);
    CHECK(WIFEXITED(*st));
    CHECK(exit_code_of(*st) == 0);
    CHECK_FALSE(fs::exists(d.socket()));
    for (const auto& j : jobs) {
      INFO("job pid " << j.pid);
      CHECK_FALSE(j.alive());
    }
    const auto left = d.tagged();
    INFO(describe_processes(left));
    CHECK(left.empty());
    CHECK(d.ctl({"status"}).exit_code == kUnreachable);
    // Every stop is in supd's log.
    const auto log = d.supd_output();
    for (int i = 1; i <= 5; ++i) CHECK(contains(log, "stubborn" + std::to_string(i) + " stopping -> stopped"));
    for (int i = 1; i <= 10; ++i) CHECK(contains(log, "plain" + std::to_string(i) + " stopping -> stopped"));
  }
}

TEST_CASE("R17 shutdown returns after every job stopped and supd exited", "[integration][stop][R17]") {
  TestDaemon d(R"(
[jobs.stubborn]
command = ["@HELPERS@/unkillable", "-g", "-p", "@DIR@/pids"]
stop_timeout = "1s"
[jobs.plain]
command = ["sleep", "1000"]
[jobs.idle]
command = ["sleep", "1000"]
autostart = false
)");
  const pid_t a = d.wait_running("stubborn");
  const pid_t b = d.wait_running("plain");
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  REQUIRE(eventually([&] { return fs::exists(d.dir() / "pids"); }));
  const auto child = ProcId::of(read_pidfile(d.dir() / "pids")["child"]);
  const auto a_id = ProcId::of(a), b_id = ProcId::of(b);
  const pid_t supd = d.pid();

  d.check_invariants();
  const auto r = d.ctl({"shutdown"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  // When supctl returns, supd has exited (it is our child: reaped at once) and no job is left.
  CHECK_FALSE(a_id.alive());
  CHECK_FALSE(b_id.alive());
  CHECK_FALSE(child.alive());
  const auto st = d.wait_daemon_exit(1s);
  REQUIRE(st);
  CHECK(exit_code_of(*st) == 0);
  CHECK_FALSE(process_alive(supd));
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.tagged().empty());
  const auto after = d.ctl({"status"});
  CHECK(after.exit_code == kUnreachable);
  CHECK(is_one_line(after.err));
}

TEST_CASE("R14 stop gives a definite answer in every state", "[integration][stop][R14]") {
  TestDaemon d(R"(
[jobs.idle]
command = ["sleep", "1000"]
autostart = false
[jobs.slow]
command = ["sleep", "1000"]
start_secs = 60
autostart = false
[jobs.stub]
command = ["@HELPERS@/unkillable"]
stop_timeout = "2s"
[jobs.done]
command = ["@HELPERS@/crasher", "exit", "0"]
restart = "never"
start_secs = 0
[jobs.ghost]
command = ["/nonexistent/prog"]
)");
  auto definite = [](const CtlResult& r) {
    return r.exit_code == kOk || (r.exit_code == kRefused && is_one_line(r.err));
  };
  REQUIRE(d.wait_running("stub") > 0);
  REQUIRE(d.wait_state("done", "exited"));
  REQUIRE(d.wait_state("ghost", "fatal"));

  SECTION("stopped") {
    CHECK(definite(d.ctl({"stop", "idle"})));
    CHECK(d.state("idle") == "stopped");
  }
  SECTION("starting") {
    REQUIRE(d.ctl({"start", "--no-wait", "slow"}).exit_code == kOk);
    REQUIRE(d.state("slow") == "starting");
    const pid_t pid = d.job_pid("slow");
    const auto r = d.ctl({"stop", "slow"});
    INFO(r.err);
    CHECK(r.exit_code == kOk);
    CHECK(d.state("slow") == "stopped");
    CHECK_FALSE(process_alive(pid));
  }
  SECTION("stopping") {
    const pid_t pid = d.job_pid("stub");
    REQUIRE(d.ctl({"stop", "--no-wait", "stub"}).exit_code == kOk);
    const auto r = d.ctl({"stop", "stub"});  // a second stop during the escalation
    INFO(r.err);
    CHECK(r.exit_code == kOk);
    CHECK(d.state("stub") == "stopped");
    CHECK_FALSE(process_alive(pid));
  }
  SECTION("exited") {
    CHECK(definite(d.ctl({"stop", "done"})));
    const auto s = d.state("done");
    CHECK((s == "exited" || s == "stopped"));
  }
  SECTION("fatal") {
    CHECK(definite(d.ctl({"stop", "ghost"})));
    const auto s = d.state("ghost");
    CHECK((s == "fatal" || s == "stopped"));
  }
  d.finish();
}
