// supctl inspect (the job's process as /proc shows it) and supctl signal --expect (send,
// then wait for a new output line), against a real supd and the lecture's amsa.
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr int kNoMatch = 4;

constexpr const char* kInspectConfig = R"(
[jobs.amsa]
command = ["@AMSA@"]
stop_timeout = "5s"

[jobs.family]
command = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]
stop_signal = "KILL"

[jobs.sleeper]
command = ["sleep", "1000"]
restart = "never"

[jobs.idle]
command = ["sleep", "1000"]
autostart = false
)";

// The value of the "label:" line of inspect's human output, "" when there is none.
std::string field(const std::string& text, const std::string& label) {
  for (const auto& line : split_lines(text))
    if (line.rfind(label + ":", 0) == 0) {
      const auto value = line.substr(label.size() + 1);
      return value.substr(std::min(value.size(), value.find_first_not_of(' ')));
    }
  return "";
}

bool has(const json& list, const std::string& name) {
  for (const auto& v : list)
    if (v == name) return true;
  return false;
}

// amsa has set up its handlers once it printed its first tick.
pid_t amsa_ticking(TestDaemon& d) {
  const pid_t pid = d.wait_running("amsa");
  if (pid > 0 && !eventually([&] { return contains(d.read_log("amsa"), "Tick 0"); })) return 0;
  return pid;
}

}  // namespace

TEST_CASE("inspect shows amsa's ids and that it ignores HUP and catches USR1", "[integration][inspect]") {
  TestDaemon d(kInspectConfig);
  const pid_t pid = amsa_ticking(d);
  REQUIRE(pid > 0);

  const auto r = d.ctl({"inspect", "amsa"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == kOk);
  CHECK(r.err.empty());
  CHECK(field(r.out, "job") == "amsa");
  CHECK(field(r.out, "pid") == std::to_string(pid));
  // supd setsid()s every job: the main process leads its own session and group.
  CHECK(field(r.out, "pgid") == std::to_string(pid));
  CHECK(field(r.out, "sid") == std::to_string(pid));
  CHECK(field(r.out, "ppid").rfind(std::to_string(d.pid()) + " ", 0) == 0);
  CHECK(field(r.out, "command") == AMSA_BIN);
  const auto signals = field(r.out, "signals");
  CHECK(contains(signals, "ignores HUP;"));
  // The caught list may name more (an ASan-instrumented amsa also catches BUS, FPE, SEGV).
  const auto caught_from = signals.find("catches ");
  REQUIRE(caught_from != std::string::npos);
  const auto caught = signals.substr(caught_from, signals.find(';', caught_from) - caught_from);
  CHECK(contains(caught, " USR1"));
  CHECK(field(r.out, "group") == "no other process");
  for (const char* label : {"state", "cwd", "fds", "threads", "cpu", "memory", "started", "pending"})
    CHECK_FALSE(field(r.out, label).empty());

  const auto j = d.ctl({"--json", "inspect", "amsa"});
  INFO(j.out << j.err);
  REQUIRE(j.exit_code == kOk);
  const auto doc = json::parse(j.out);
  CHECK(doc["pid"] == pid);
  CHECK(doc["pgid"] == pid);
  CHECK(doc["sid"] == pid);
  CHECK(doc["ppid"] == d.pid());
  CHECK(doc["signals"]["ignored"] == json{"HUP"});
  CHECK(has(doc["signals"]["caught"], "USR1"));
  CHECK(has(doc["signals"]["caught"], "TERM"));
  CHECK(doc["command"] == json{AMSA_BIN});
  CHECK(doc["threads"] == 1);
  CHECK(doc["fds"].get<int>() >= 3);
  CHECK(doc["rss_bytes"].get<long long>() > 0);
  CHECK(doc["group"] == json::array());
  d.finish();
}

TEST_CASE("inspect lists the other processes of the job's group", "[integration][inspect]") {
  TestDaemon d(kInspectConfig);
  const pid_t pid = d.wait_running("family");
  REQUIRE(pid > 0);
  json doc;
  CHECK(eventually([&] {
    const auto r = d.ctl({"--json", "inspect", "family"});
    if (r.exit_code != kOk) return false;
    doc = json::parse(r.out);
    return doc["group"].size() == 2;
  }));
  INFO(doc.dump());
  for (const auto& member : doc["group"]) {
    CHECK(member["command"] == "sleep 1000");
    const auto stat = proc_stat(member["pid"].get<pid_t>());
    REQUIRE(stat);
    CHECK(stat->pgid == pid);
    CHECK(stat->ppid == pid);
  }
  const auto r = d.ctl({"inspect", "family"});
  const auto lines = split_lines(r.out);
  const auto group = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("group:", 0) == 0; });
  REQUIRE(group != lines.end());
  REQUIRE(group + 1 != lines.end());
  CHECK(contains(*group, "sleep 1000"));
  CHECK(contains(*(group + 1), "sleep 1000"));
  CHECK((group + 1)->rfind("          ", 0) == 0);  // aligned under the first
  d.finish();
}

TEST_CASE("inspect of a job that is not running or unknown exits 1 with one line", "[integration][inspect]") {
  TestDaemon d(kInspectConfig);
  REQUIRE(d.wait_running("amsa") > 0);
  for (const char* job : {"idle", "nosuchjob"}) {
    INFO(job);
    const auto r = d.ctl({"inspect", job});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kRefused);
    CHECK(r.out.empty());
    CHECK(is_one_line(r.err));
  }
  CHECK(contains(d.ctl({"inspect", "idle"}).err, "not running"));
  CHECK(d.ctl({"inspect"}).exit_code == kUsage);
  d.finish();
}

TEST_CASE("signal --expect prints the matching new line and exits 0", "[integration][expect]") {
  TestDaemon d(kInspectConfig);
  const pid_t pid = amsa_ticking(d);
  REQUIRE(pid > 0);
  const auto r = d.ctl({"signal", "amsa", "USR1", "--expect", "^Hello w"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(r.out == "Hello world\n");
  CHECK(r.err.empty());

  const auto j = d.ctl({"--json", "signal", "--expect", "Hello", "amsa", "USR1"});
  INFO(j.out << j.err);
  CHECK(j.exit_code == kOk);
  const auto doc = json::parse(j.out);
  CHECK(doc["line"] == "Hello world");
  CHECK(doc["pid"] == pid);
  CHECK(doc["signal"] == "USR1");
  CHECK(d.job_pid("amsa") == pid);
  d.finish();
}

TEST_CASE("signal --expect exits 4 when nothing new matches in time", "[integration][expect]") {
  TestDaemon d(kInspectConfig);
  const pid_t pid = amsa_ticking(d);
  REQUIRE(pid > 0);
  // "Tick 0" is already in the log: only lines after the signal count.
  for (const char* pattern : {"nomatch", "^Tick 0$"}) {
    INFO(pattern);
    const auto r = d.ctl({"signal", "amsa", "USR1", "--expect", pattern, "--timeout", "1s"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kNoMatch);
    CHECK(r.out.empty());
    CHECK(is_one_line(r.err));
  }
  CHECK(d.job_pid("amsa") == pid);
  d.finish();
}

TEST_CASE("signal --expect exits 1 when the job exits first", "[integration][expect]") {
  TestDaemon d(kInspectConfig);
  const pid_t pid = d.wait_running("sleeper");
  REQUIRE(pid > 0);
  const auto r = d.ctl({"signal", "sleeper", "TERM", "--expect", "x", "--timeout", "30s"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(r.out.empty());
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "exited"));
  CHECK(d.wait_state("sleeper", "exited"));

  // Not running at all: refused before anything is sent.
  const auto idle = d.ctl({"signal", "idle", "USR1", "--expect", "x"});
  CHECK(idle.exit_code == kRefused);
  CHECK(is_one_line(idle.err));
  d.finish();
}

TEST_CASE("signal --expect sees the last line a job prints as it exits", "[integration][expect]") {
  TestDaemon d(kInspectConfig);
  REQUIRE(amsa_ticking(d) > 0);
  const auto r = d.ctl({"signal", "amsa", "TERM", "--expect", "^Bye$"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(r.out == "Bye\n");
  d.finish();
}

TEST_CASE("signal --expect assembles a line written in pieces", "[integration][expect]") {
  TestDaemon d(R"(
[jobs.slow]
command = ["sh", "-c", "trap 'printf Hel; sleep 0.3; printf \"lo\\n\"' USR1; echo ready; while :; do sleep 0.1; done"]
stop_signal = "KILL"
)");
  REQUIRE(d.wait_running("slow") > 0);
  REQUIRE(eventually([&] { return contains(d.read_log("slow"), "ready"); }));
  const auto r = d.ctl({"signal", "slow", "USR1", "--expect", "^Hello$"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(r.out == "Hello\n");
  d.finish();
}
