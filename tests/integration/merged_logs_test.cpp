// supctl logs A B and logs all: several jobs' logs as one, in time order, each line after its
// job's name, stderr files marked, colour only on a terminal without NO_COLOR.
#include <csignal>

#include "tests/support/ctl_follower.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/tmux_pane.hpp"

using namespace supd::test;

namespace {

// api and worker take turns, each writing its next line only once the other's last is in the
// log: supd has read it, so its time is earlier (the 10 ms keep the times apart): a1 w1 a2 w2.
constexpr const char* kTurns = R"(
[jobs.api]
command = ["sh", "-c", "echo a1; until grep -q w1 @DIR@/logs/worker.out 2>/dev/null; do sleep 0.02; done; sleep 0.01; echo a2; exec sleep 100000"]
[jobs.worker]
command = ["sh", "-c", "until grep -q a1 @DIR@/logs/api.out 2>/dev/null; do sleep 0.02; done; sleep 0.01; echo w1; until grep -q a2 @DIR@/logs/api.out 2>/dev/null; do sleep 0.02; done; sleep 0.01; echo w2; exec sleep 100000"]
)";

}  // namespace

TEST_CASE("logs A B: both jobs' lines merged in time order, each after its job's name", "[integration][logs]") {
  TestDaemon d(kTurns);
  REQUIRE(eventually([&] { return file_contains(d.log_file("worker"), "w2\n"); }));
  const auto r = d.ctl({"logs", "api", "worker"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(r.out == "api    | a1\nworker | w1\napi    | a2\nworker | w2\n");
  CHECK(r.out.find('\x1b') == std::string::npos);  // not a terminal: no colour

  const auto all = d.ctl({"logs", "all", "-n", "1"});
  CHECK(all.exit_code == kOk);
  CHECK(all.out == "api    | a2\nworker | w2\n");

  const auto timed = d.ctl({"logs", "api", "worker", "-t"});
  CHECK(split_lines(timed.out).size() == 4);
  CHECK(timed.out.rfind("api    | 20", 0) == 0);  // the time after the name

  const auto json = d.ctl({"--json", "logs", "api", "worker"});
  const auto lines = split_lines(json.out);
  REQUIRE(lines.size() == 4);
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["job"] == "api");
  CHECK(first["text"] == "a1\n");
  CHECK(first["stderr"] == false);
  CHECK(first["time"].is_string());

  const auto unknown = d.ctl({"logs", "api", "nosuch"});
  CHECK(unknown.exit_code == kRefused);
  CHECK(is_one_line(unknown.err));
  d.finish();
}

TEST_CASE("logs all -f: new lines of every job as they come, stderr files marked", "[integration][logs]") {
  TestDaemon d(R"(
[jobs.api]
command = ["sh", "-c", "trap 'echo api got usr1; echo api complains >&2' USR1; echo api up; while :; do sleep 0.05; done"]
stderr = "api.err"
[jobs.db]
command = ["sh", "-c", "trap 'echo db got usr1' USR1; echo db up; while :; do sleep 0.05; done"]
)");
  REQUIRE(eventually([&] { return file_contains(d.log_file("api"), "api up") && file_contains(d.log_file("db"), "db up"); }));
  const auto out = d.dir() / "follow.out";
  CtlFollower follower(d, {"logs", "all", "-f", "-n", "5"}, out);
  REQUIRE(eventually([&] { return file_contains(out, "api        | api up\n") && file_contains(out, "db         | db up\n"); }));
  CHECK(d.ctl({"signal", "db", "USR1"}).exit_code == kOk);
  CHECK(eventually([&] { return file_contains(out, "db         | db got usr1\n"); }));
  CHECK(d.ctl({"signal", "api", "USR1"}).exit_code == kOk);
  CHECK(eventually([&] {
    return file_contains(out, "api        | api got usr1\n") && file_contains(out, "api stderr | api complains\n");
  }));
  INFO(read_file(out));
  // supd shutting down ends the follow with exit 0.
  d.finish();
  const auto status = follower.wait(15s);
  REQUIRE(status);
  CHECK(exit_code_of(*status) == kOk);
}

TEST_CASE("logs A B on a terminal: each job in its colour, and none with NO_COLOR", "[integration][logs]") {
  if (!TmuxPane::available()) {
    WARN("skipped: no tmux (scripts/deps.sh installs it)");
    return;
  }
  TestDaemon d(kTurns);
  REQUIRE(eventually([&] { return file_contains(d.log_file("worker"), "w2\n"); }));
  TmuxPane tmux(d.dir(), d.env(), 120, 20);
  const std::string ctl = std::string(SUPCTL_BIN) + " --socket " + d.socket().string() + " logs api worker";
  tmux.type(ctl + "; echo done-1");
  tmux.keys({"Enter"});
  REQUIRE(tmux.wait_for([](const std::string& s) { return contains(s, "\ndone-1"); }));
  const auto coloured = tmux.screen_with_attributes();
  INFO(coloured);
  CHECK(contains(coloured, "\x1b["));
  tmux.type("clear; NO_COLOR=1 " + ctl + "; echo done-2");
  tmux.keys({"Enter"});
  REQUIRE(tmux.wait_for([](const std::string& s) { return contains(s, "\ndone-2"); }));
  const auto plain = tmux.screen_with_attributes();
  INFO(plain);
  CHECK(contains(plain, "worker | w2"));
  CHECK_FALSE(contains(plain, "\x1b["));
  tmux.close();
  d.finish();
}
