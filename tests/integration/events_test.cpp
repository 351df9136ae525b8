// The event history (supctl events [-f]), the post-mortem (supctl why) and the slow retry
// after FATAL (fatal_retry_after), against a real supd.
#include <unistd.h>

#include "tests/support/ctl_follower.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kSleeper = R"(
[jobs.a]
command = ["sh", "-c", "echo hello from a; exec sleep 1000"]
restart = "never"
start_secs = 0
)";

std::optional<json> why_json(TestDaemon& d, const std::string& job) {
  const auto r = d.ctl({"--json", "why", job});
  if (r.exit_code != kOk) return std::nullopt;
  const auto j = json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

}  // namespace

TEST_CASE("why: a kill -9 from outside is an external kill, not sent by supd", "[integration][why]") {
  TestDaemon d(kSleeper);
  const pid_t pid = d.wait_running("a");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("a"), "hello from a"); }));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(d.wait_state("a", "exited"));

  const auto r = d.ctl({"why", "a"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "a: killed by SIGKILL"));
  CHECK(contains(r.out, "not sent by supd"));
  CHECK(contains(r.out, "core dump:  no"));
  CHECK(contains(r.out, "hello from a"));
  CHECK(contains(r.out, "EXITED"));

  const auto j = why_json(d, "a");
  REQUIRE(j);
  CHECK((*j)["exited"] == true);
  CHECK((*j)["exit"]["signal"] == "KILL");
  CHECK((*j)["exit_pid"] == pid);
  CHECK((*j)["cause"]["kind"] == "external");
  CHECK((*j)["cause"]["who"].is_null());
  CHECK((*j)["last_lines"] == json::array({"hello from a"}));
  d.finish();
}

TEST_CASE("why: after supctl stop it names the stop request and its sender", "[integration][why]") {
  TestDaemon d(kSleeper);
  REQUIRE(d.wait_running("a") > 0);
  REQUIRE(d.ctl({"stop", "a"}).exit_code == kOk);

  const auto r = d.ctl({"why", "a"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "a: killed by SIGTERM"));
  CHECK(contains(r.out, "stop requested by uid " + std::to_string(::getuid()) + " pid "));
  CHECK(contains(r.out, "(supctl)"));
  CHECK(contains(r.out, "STOPPED"));

  const auto j = why_json(d, "a");
  REQUIRE(j);
  CHECK((*j)["cause"]["kind"] == "stop");
  const auto& who = (*j)["cause"]["who"];
  CHECK(who["kind"] == "peer");
  CHECK(who["uid"] == ::getuid());
  CHECK(who["pid"].get<int>() > 0);
  CHECK(who["exe"].get<std::string>().ends_with("/supctl"));
  d.finish();
}

TEST_CASE("why: supctl signal names its sender, a self exit says exited N", "[integration][why]") {
  TestDaemon d(R"(
[jobs.a]
command = ["sh", "-c", "echo hello from a; exec sleep 1000"]
restart = "never"
start_secs = 0
[jobs.b]
command = ["sh", "-c", "echo bye; exit 3"]
restart = "never"
start_secs = 0
)");
  REQUIRE(d.wait_running("a") > 0);
  REQUIRE(d.ctl({"signal", "a", "USR1"}).exit_code == kOk);
  REQUIRE(d.wait_state("a", "exited"));
  auto r = d.ctl({"why", "a"});
  INFO(r.out << r.err);
  CHECK(contains(r.out, "a: killed by SIGUSR1"));
  CHECK(contains(r.out, "SIGUSR1 sent with supctl signal by uid " + std::to_string(::getuid())));

  REQUIRE(d.wait_state("b", "exited"));
  r = d.ctl({"why", "b"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "b: exited 3"));
  CHECK(contains(r.out, "the job exited by itself"));
  CHECK(contains(r.out, "bye"));
  d.finish();
}

TEST_CASE("why: a job that never exited says so, an unknown job is exit 1", "[integration][why]") {
  TestDaemon d(kSleeper);
  REQUIRE(d.wait_running("a") > 0);
  auto r = d.ctl({"why", "a"});
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "a has not exited since supd started it"));
  const auto j = why_json(d, "a");
  REQUIRE(j);
  CHECK((*j)["exited"] == false);
  CHECK((*j)["exit"].is_null());

  r = d.ctl({"why", "nope"});
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(d.ctl({"why"}).exit_code == kUsage);
  d.finish();
}

TEST_CASE("events: transitions, signals and exits with who caused them", "[integration][events][R8][R12]") {
  TestDaemon d(kSleeper);
  REQUIRE(d.wait_running("a") > 0);
  REQUIRE(d.ctl({"stop", "a"}).exit_code == kOk);

  const auto r = d.ctl({"events", "a"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, " a stopped -> starting: start requested"));
  CHECK(contains(r.out, " a running -> stopping: stop requested by uid " + std::to_string(::getuid())));
  CHECK(contains(r.out, " a signal: SIGTERM to process group "));
  CHECK(contains(r.out, " a exit: pid "));
  CHECK(contains(r.out, " a stopping -> stopped"));

  const auto js = d.ctl({"--json", "events"});
  REQUIRE(js.exit_code == kOk);
  std::vector<std::string> kinds;
  std::uint64_t last_seq = 0;
  for (const auto& line : split_lines(js.out)) {
    const auto e = json::parse(line, nullptr, false);
    REQUIRE(e.is_object());
    CHECK(e["seq"].get<std::uint64_t>() > last_seq);  // merged in the order they happened
    last_seq = e["seq"].get<std::uint64_t>();
    CHECK(e["time"].get<std::string>().ends_with("Z"));
    kinds.push_back(e["kind"]);
    if (e["kind"] == "exit") CHECK(e["exit"]["signal"] == "TERM");
  }
  for (const char* k : {"state", "spawn", "signal", "exit"})
    CHECK(std::find(kinds.begin(), kinds.end(), k) != kinds.end());

  CHECK(split_lines(d.ctl({"events", "a", "-n", "2"}).out).size() == 2);
  CHECK(d.ctl({"events", "nope"}).exit_code == kRefused);
  d.finish();
}

TEST_CASE("events -f streams new events and ends with exit 0 when supd exits", "[integration][events]") {
  TestDaemon d(kSleeper);
  REQUIRE(d.wait_running("a") > 0);
  const auto out = d.dir() / "events.out";
  CtlFollower follower(d, {"events", "a", "-f", "-n", "100", "--json"}, out);  // -n: the history first
  REQUIRE(eventually([&] { return contains(read_file(out), "\"to\":\"running\""); }));
  REQUIRE(d.ctl({"restart", "a"}).exit_code == kOk);
  CHECK(eventually([&] { return contains(read_file(out), "\"reason\":\"restart requested\""); }));
  d.finish();
  const auto st = follower.wait(15s);
  REQUIRE(st.has_value());
  CHECK(exit_code_of(*st) == 0);
  for (const auto& line : split_lines(read_file(out))) CHECK(json::parse(line, nullptr, false).is_object());
}

TEST_CASE("events -f follows from now and -n N prints the last N first", "[integration][events]") {
  TestDaemon d(kSleeper);
  REQUIRE(d.wait_running("a") > 0);
  const auto out = d.dir() / "events.out";
  CtlFollower follower(d, {"events", "-f", "--json"}, out);
  // Following once a signal sent now shows up (sent again until it does: the follower may not
  // have asked yet); nothing from before it was printed.
  REQUIRE(eventually([&] {
    d.ctl({"signal", "a", "CONT"});
    return contains(read_file(out), "SIGCONT");
  }));
  const auto followed = read_file(out);
  INFO(followed);
  CHECK_FALSE(contains(followed, "\"kind\":\"spawn\""));
  CHECK_FALSE(contains(followed, "\"to\":\"running\""));
  for (const auto& line : split_lines(followed)) CHECK(contains(line, "\"kind\":\"signal\""));

  const auto out2 = d.dir() / "events2.out";
  CtlFollower last_two(d, {"events", "a", "-f", "-n", "2", "--json"}, out2);
  REQUIRE(eventually([&] { return split_lines(read_file(out2)).size() >= 2; }));
  CHECK(split_lines(read_file(out2)).size() == 2);  // the last two, then nothing new yet
  REQUIRE(d.ctl({"restart", "a"}).exit_code == kOk);
  CHECK(eventually([&] { return contains(read_file(out2), "\"reason\":\"restart requested\""); }));
  d.finish();
  CHECK(follower.wait(15s).has_value());
  CHECK(last_two.wait(15s).has_value());
}

TEST_CASE("fatal_retry_after retries a FATAL job and status shows the next try", "[integration][fatal_retry]") {
  TestDaemon d(R"(
[jobs.c]
command = ["sh", "-c", "exit 1"]
start_retries = 0
fatal_retry_after = "2s"
)");
  REQUIRE(d.wait_state("c", "fatal"));
  const auto row = d.job("c");
  REQUIRE(row);
  CHECK((*row)["next_try_s"].is_number());
  CHECK(contains(d.ctl({"status"}).out, "next try in"));
  // Retried after the delay: fatal again (it fails at once), with one more restart.
  CHECK(eventually([&] { auto j = d.job("c"); return j && (*j)["restarts"].get<int>() >= 1; }, 15s));
  REQUIRE(d.wait_state("c", "fatal"));
  CHECK(contains(d.ctl({"events", "c"}).out, "fatal -> starting: retrying after fatal_retry_after"));
  d.finish();
}

TEST_CASE("why: the last lines are those of the run that exited and it names where that run ran",
          "[integration][why][issue17]") {
  // Each run prints its own number; the third one keeps running after the second exits.
  TestDaemon d(R"(
[jobs.counted]
command = ["sh", "-c", "n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; echo run $n; if [ $n -eq 2 ]; then exit 3; fi; exec sleep 1000"]
directory = "@DIR@"
restart = "on-failure"
backoff_initial = "100ms"
)");
  const pid_t first = d.wait_running("counted");
  REQUIRE(first > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("counted"), "run 1\n"); }));
  ::kill(first, SIGKILL);  // run 2 exits 3 on its own, run 3 keeps going
  REQUIRE(eventually([&] { return contains(d.read_log("counted"), "run 3\n"); }));
  REQUIRE(d.wait_running("counted") > 0);

  const auto j = why_json(d, "counted");
  REQUIRE(j);
  INFO(j->dump());
  CHECK((*j)["exit"]["code"] == 3);
  CHECK((*j)["last_lines"] == json::array({"run 2"}));  // not run 1's, not run 3's
  CHECK((*j)["directory"] == d.dir().string());
  const auto r = d.ctl({"why", "counted"});
  INFO(r.out);
  CHECK(contains(r.out, "ran in:     " + d.dir().string() + "\n"));
  d.finish();
}
