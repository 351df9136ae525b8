// Sending signals to jobs (TESTPLAN R8, R9, R15).
#include <algorithm>

#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// sigrecord's "ready PID CHILD..." line in the job's log, as pids.
std::vector<pid_t> wait_ready_line(TestDaemon& d, const std::string& job) {
  std::vector<pid_t> pids;
  eventually(
      [&] {
        for (const auto& line : split_lines(d.read_log(job))) {
          auto w = split_words(line);
          if (w.size() >= 2 && w[0] == "ready") {
            pids.clear();
            for (std::size_t i = 1; i < w.size(); ++i) pids.push_back(std::stoi(w[i]));
            return true;
          }
        }
        return false;
      },
      10s);
  return pids;
}

std::vector<std::string> records(const TestDaemon& d) { return split_lines(read_file(d.dir() / "rec.txt")); }

std::string record(pid_t pid, int signo) { return std::to_string(pid) + " " + std::to_string(signo); }

}  // namespace

TEST_CASE("R8 signal accepts USR1 SIGUSR1 usr1 10 and RTMIN+2", "[integration][signal][R8]") {
  TestDaemon d(R"(
[jobs.rec]
command = ["@HELPERS@/sigrecord", "@DIR@/rec.txt"]
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("rec");
  REQUIRE(pid > 0);
  REQUIRE(wait_ready_line(d, "rec").size() == 1);
  struct Form {
    const char* text;
    int signo;
  };
  const Form forms[] = {{"USR1", SIGUSR1}, {"SIGUSR1", SIGUSR1}, {"usr1", SIGUSR1}, {"10", 10}, {"RTMIN+2", SIGRTMIN + 2}};
  std::size_t n = 0;
  for (const auto& f : forms) {
    INFO("signal rec " << f.text);
    const auto r = d.ctl({"signal", "rec", f.text});
    INFO(r.err);
    CHECK(r.exit_code == kOk);
    ++n;
    CHECK(eventually([&] { return records(d).size() >= n; }));
    const auto lines = records(d);
    REQUIRE(lines.size() == n);  // one delivery per request, in order
    CHECK(lines.back() == record(pid, f.signo));
  }
  // Each delivery is an event naming the signal, the target and the sender's uid and pid.
  const auto ev = d.ctl({"--json", "events", "rec"});
  REQUIRE(ev.exit_code == kOk);
  std::vector<json> signals;
  for (const auto& line : split_lines(ev.out)) {
    const auto e = json::parse(line, nullptr, false);
    if (e.is_object() && e["kind"] == "signal") signals.push_back(e);
  }
  INFO(ev.out);
  REQUIRE(signals.size() == 5);
  const char* names[] = {"USR1", "USR1", "USR1", "USR1", "RTMIN+2"};
  for (std::size_t i = 0; i < 5; ++i) {
    INFO(signals[i].dump());
    CHECK(signals[i]["signal"] == names[i]);
    CHECK(signals[i]["pid"] == pid);
    CHECK(signals[i]["who"]["kind"] == "peer");
    CHECK(signals[i]["who"]["uid"] == ::getuid());
    CHECK(signals[i]["who"]["pid"].get<int>() > 0);
  }
  const auto human = d.ctl({"events", "rec"}).out;
  CHECK(contains(human, "rec signal: SIGUSR1 to pid " + std::to_string(pid) + " by uid " + std::to_string(::getuid()) +
                            " pid "));
  d.finish();
}

TEST_CASE("R9 bad signal names are usage errors and deliver nothing", "[integration][signal][R9]") {
  TestDaemon d(R"(
[jobs.rec]
command = ["@HELPERS@/sigrecord", "@DIR@/rec.txt"]
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("rec");
  REQUIRE(pid > 0);
  REQUIRE(wait_ready_line(d, "rec").size() == 1);
  d.record_fd_baseline();
  RawClient raw(d.socket());
  REQUIRE(raw.connected());
  int id = 1;
  for (const char* bad : {"SIGFOO", "0", "-99", "65", "RTMIN+99", ""}) {
    INFO("signal rec '" << bad << "'");
    const auto r = d.ctl({"signal", "rec", bad});
    INFO(r.out << r.err);
    CHECK(r.exit_code == kUsage);
    CHECK(is_one_line(r.err));
    CHECK(contains(r.err, "RTMIN+N"));  // it lists the accepted forms
    const auto resp = raw.request({{"id", id}, {"method", "signal"}, {"params", {{"job", "rec"}, {"signal", bad}}}});
    REQUIRE(resp);
    INFO(resp->dump());
    CHECK((*resp)["id"] == id);
    CHECK((*resp)["ok"] == false);
    CHECK((*resp)["error"]["code"].is_string());
    ++id;
  }
  // The positive signal that nothing earlier was delivered: a good one arrives alone.
  CHECK(d.ctl({"signal", "rec", "USR2"}).exit_code == kOk);
  CHECK(eventually([&] { return !records(d).empty(); }));
  CHECK(records(d) == std::vector<std::string>{record(pid, SIGUSR2)});
  raw.close();
  d.finish();
}

TEST_CASE("R15 signal reaches the main process and with --group the whole group", "[integration][signal][R15]") {
  TestDaemon d(R"(
[jobs.rec]
command = ["@HELPERS@/sigrecord", "-g", "3", "@DIR@/rec.txt"]
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("rec");
  REQUIRE(pid > 0);
  const auto pids = wait_ready_line(d, "rec");
  REQUIRE(pids.size() == 4);
  REQUIRE(pids[0] == pid);

  CHECK(d.ctl({"signal", "rec", "TERM"}).exit_code == kOk);
  CHECK(d.ctl({"signal", "rec", "USR1"}).exit_code == kOk);  // the marker that TERM was handled
  CHECK(eventually([&] { return records(d).size() >= 2; }));
  CHECK(records(d) == std::vector<std::string>{record(pid, SIGTERM), record(pid, SIGUSR1)});

  const auto g = d.ctl({"signal", "--group", "rec", "TERM"});
  INFO(g.err);
  CHECK(g.exit_code == kOk);
  CHECK(eventually([&] { return records(d).size() >= 6; }));
  auto lines = records(d);
  REQUIRE(lines.size() == 6);
  std::vector<std::string> group(lines.begin() + 2, lines.end());
  std::sort(group.begin(), group.end());
  std::vector<std::string> expected;
  for (pid_t p : pids) expected.push_back(record(p, SIGTERM));
  std::sort(expected.begin(), expected.end());
  CHECK(group == expected);
  CHECK(d.job_pid("rec") == pid);
  d.finish();
}

TEST_CASE("R10 a signal supd receives is relayed to the jobs that forward it", "[integration][signal][R10]") {
  TestDaemon d(R"(
[jobs.a]
command = ["@HELPERS@/sigrecord", "@DIR@/a.txt"]
forward_signals = ["USR1"]
stop_signal = "KILL"

[jobs.b]
command = ["@HELPERS@/sigrecord", "@DIR@/b.txt"]
stop_signal = "KILL"
)");
  const pid_t a = d.wait_running("a");
  const pid_t b = d.wait_running("b");
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  REQUIRE(wait_ready_line(d, "a").size() == 1);
  REQUIRE(wait_ready_line(d, "b").size() == 1);
  d.kill_daemon(SIGUSR1);
  CHECK(eventually([&] { return !read_file(d.dir() / "a.txt").empty(); }));
  CHECK(read_file(d.dir() / "a.txt") == record(a, SIGUSR1) + "\n");
  // b's positive signal: a signal sent to it on purpose arrives alone.
  CHECK(d.ctl({"signal", "b", "USR2"}).exit_code == kOk);
  CHECK(eventually([&] { return !read_file(d.dir() / "b.txt").empty(); }));
  CHECK(read_file(d.dir() / "b.txt") == record(b, SIGUSR2) + "\n");
  CHECK(d.running());
  CHECK(eventually([&] { return contains(d.supd_output(), "received SIGUSR1"); }));  // supd logs it
  CHECK(d.job_pid("a") == a);
  CHECK(d.job_pid("b") == b);
  d.finish();
}

TEST_CASE("R8 a sender whose program path is not UTF-8 is named in events without breaking supd",
          "[integration][signal][events][R8]") {
  TestDaemon d(R"(
[jobs.rec]
command = ["@HELPERS@/sigrecord", "@DIR@/rec.txt"]
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("rec");
  REQUIRE(pid > 0);
  REQUIRE(wait_ready_line(d, "rec").size() == 1);
  // A copy of supctl in a directory whose name is not UTF-8: supd records its exe as the sender.
  const auto odd = d.dir() / "bin\xff\xfe";
  fs::create_directory(odd);
  fs::copy_file(SUPCTL_BIN, odd / "supctl");
  fs::permissions(odd / "supctl", fs::perms(0755));
  const auto sent = run_process({(odd / "supctl").string(), "--socket", d.socket().string(), "signal", "rec", "USR1"},
                                d.env());
  INFO(sent.err);
  REQUIRE(sent.exit_code == kOk);
  CHECK(eventually([&] { return records(d).size() == 1; }));
  for (const char* json_flag : {"", "--json"}) {
    std::vector<std::string> args{"events", "rec"};
    if (*json_flag) args.insert(args.begin(), json_flag);
    const auto r = d.ctl(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kOk);
    CHECK(contains(r.out, "USR1"));
  }
  CHECK(d.ctl({"why", "rec"}).exit_code == kOk);
  CHECK(d.running());
  d.finish();
}

TEST_CASE("a misspelt job gets did you mean and another tool's word order the right form", "[integration][signal]") {
  TestDaemon d("[jobs.amsa]\ncommand = [\"sleep\", \"1000\"]\n");
  REQUIRE(d.wait_running("amsa") > 0);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"signal", "ams", "USR1"}, {"pid", "ams"}, {"stop", "ams"}, {"logs", "ams"}, {"why", "ams"}}) {
    const auto r = d.ctl(args);
    INFO(args[0] << ": " << r.out << r.err);
    CHECK(r.exit_code == kRefused);  // unknown job: the same exit code as before
    CHECK(r.err == "supctl: no job named 'ams'; did you mean 'amsa'? see: supctl status\n");
  }
  const auto swapped = d.ctl({"signal", "USR1", "amsa"});
  CHECK(swapped.exit_code == kUsage);
  CHECK(swapped.err == "supctl: signal takes JOB then SIGNAL: supctl signal amsa USR1\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"signal", "amsa", "-USR1"}, {"signal", "-USR1", "amsa"}}) {
    const auto r = d.ctl(args);
    INFO(r.err);
    CHECK(r.exit_code == kUsage);
    CHECK(r.err == "supctl: signal takes JOB then SIGNAL, without a dash: supctl signal amsa USR1\n");
  }
  const auto stat = d.ctl({"stat"});
  CHECK(stat.exit_code == kUsage);
  CHECK(contains(stat.err, "did you mean 'status'?"));
  const auto help = d.ctl({"help", "signal"});
  CHECK(help.exit_code == kOk);
  CHECK(help.out == d.ctl({"signal", "--help"}).out);
  CHECK(d.ctl({"status", "amsa"}).exit_code == kOk);  // nothing above reached the job
  d.finish();
}
