// Child hygiene (TESTPLAN R1-R5): what a job inherits from supd, and what it must not.
#include <map>

#include <fcntl.h>
#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// probe's "key: value" lines; fds as "fd: N target".
struct ProbeReport {
  std::multimap<std::string, std::string> values;
  std::string get(const std::string& key) const {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  }
};

std::optional<ProbeReport> read_probe(const fs::path& file) {
  const std::string text = read_file(file);
  if (!contains(text, "probe-end")) return std::nullopt;
  ProbeReport r;
  for (const auto& line : split_lines(text)) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) r.values.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  return r;
}

std::optional<ProbeReport> wait_probe(const fs::path& file) {
  std::optional<ProbeReport> r;
  eventually([&] { return (r = read_probe(file)).has_value(); }, 10s);
  return r;
}

}  // namespace

TEST_CASE("R1 a job starts with HUP ignored and nothing blocked in its own session without a tty", "[integration][hygiene][R1]") {
  TestDaemon d(R"(
[jobs.probe]
command = ["@HELPERS@/probe", "-o", "@DIR@/probe.txt"]
directory = "@HOME@"
)");
  const pid_t pid = d.wait_running("probe");
  REQUIRE(pid > 0);
  const auto report = wait_probe(d.dir() / "probe.txt");
  REQUIRE(report);

  CHECK(signal_mask(pid, "SigBlk") == std::uint64_t{0});
  CHECK(signal_mask(pid, "SigIgn") == sig_bit(SIGHUP));
  const auto st = proc_stat(pid);
  REQUIRE(st);
  CHECK(st->sid == pid);
  CHECK(st->pgid == pid);
  CHECK(st->tty_nr == 0);
  CHECK(cwd_of(pid) == (d.dir() / "home").string());

  CHECK(report->get("pid") == std::to_string(pid));
  CHECK(report->get("sid") == std::to_string(pid));
  CHECK(report->get("pgid") == std::to_string(pid));
  CHECK(report->get("SigBlk") == "0000000000000000");
  CHECK(report->get("SigIgn") == "0000000000000001");
  CHECK(contains(report->get("tty"), "none"));
  CHECK(report->get("stdin") == "eof");
  CHECK(report->get("cwd") == (d.dir() / "home").string());
  d.finish();
}

TEST_CASE("R2 ignore_signals sets exactly the ignored set", "[integration][hygiene][R2]") {
  struct Case {
    const char* setting;
    std::uint64_t expected;
  };
  const auto c = GENERATE(Case{"[]", 0}, Case{R"(["HUP", "PIPE"])", sig_bit(SIGHUP) | sig_bit(SIGPIPE)});
  DYNAMIC_SECTION("ignore_signals = " << c.setting) {
    TestDaemon d(std::string(R"(
[jobs.probe]
command = ["@HELPERS@/probe"]
ignore_signals = )") + c.setting + "\n");
    const pid_t pid = d.wait_running("probe");
    REQUIRE(pid > 0);
    CHECK(signal_mask(pid, "SigIgn") == c.expected);
    CHECK(signal_mask(pid, "SigBlk") == std::uint64_t{0});  // supd's own mask never leaks
    CHECK(cwd_of(pid) == d.dir().string());  // no `directory`: the config file's directory
    d.finish();
  }
}

TEST_CASE("R3 a job holds exactly fds 0 1 2 and fd 0 is /dev/null", "[integration][hygiene][R3]") {
  int extra[2];
  REQUIRE(::pipe2(extra, O_CLOEXEC) == 0);
  DaemonOptions opts;
  opts.keep_fds = {{5, extra[1]}};  // supd starts with an extra open fd 5
  TestDaemon d(R"(
[jobs.a]
command = ["sleep", "1000"]
[jobs.b]
command = ["sleep", "1000"]
[jobs.c]
command = ["sleep", "1000"]
[jobs.probe]
command = ["@HELPERS@/probe", "-o", "@DIR@/probe.txt"]
autostart = false
)",
               opts);
  ::close(extra[1]);
  for (const char* name : {"a", "b", "c"}) CHECK(d.wait_running(name) > 0);
  RawClient c1(d.socket()), c2(d.socket());  // two clients connected meanwhile
  REQUIRE(c1.connected());
  REQUIRE(c2.connected());
  CHECK(c1.request({{"id", 1}, {"method", "status"}, {"params", json::object()}}));
  CHECK(c2.request({{"id", 1}, {"method", "status"}, {"params", json::object()}}));

  const auto start = d.ctl({"start", "probe"});
  INFO(start.err);
  REQUIRE(start.exit_code == kOk);
  const pid_t pid = d.job_pid("probe");
  REQUIRE(pid > 0);
  const auto fds = list_fds(pid);
  std::string listing;
  for (const auto& [fd, target] : fds) listing += std::to_string(fd) + " -> " + target + "\n";
  INFO("fds of the job:\n" << listing);
  INFO("fds of supd:\n" << [&] {
    std::string s;
    for (const auto& [fd, target] : list_fds(d.pid())) s += std::to_string(fd) + " -> " + target + "\n";
    return s;
  }());
  CHECK(fds.size() == 3);
  CHECK(fds.count(0) == 1);
  CHECK(fds.count(1) == 1);
  CHECK(fds.count(2) == 1);
  CHECK(fds.count(5) == 0);
  if (fds.count(0)) CHECK(fds.at(0) == "/dev/null");
  const auto report = wait_probe(d.dir() / "probe.txt");
  REQUIRE(report);
  CHECK(report->get("stdin") == "eof");
  CHECK(report->values.count("fd") == 3);
  ::close(extra[0]);
  d.finish();
}

TEST_CASE("R4 environment and directory reach the job and a missing directory fails the start", "[integration][hygiene][R4]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.env]
command = ["@HELPERS@/probe"]
environment = { A = "1", B = "x=y" }
directory = "~/w"

[jobs.nodir]
command = ["sleep", "1000"]
directory = "@DIR@/missing"
autostart = false
)",
               opts);
  fs::create_directory(d.dir() / "home" / "w");
  d.start();
  const pid_t pid = d.wait_running("env");
  REQUIRE(pid > 0);
  const auto env = environ_of(pid);
  CHECK(env.count("A") == 1);
  CHECK(env.count("B") == 1);
  if (env.count("A")) CHECK(env.at("A") == "1");
  if (env.count("B")) CHECK(env.at("B") == "x=y");
  if (env.count("SUPD_TEST_TAG")) CHECK(env.at("SUPD_TEST_TAG") == d.tag());  // inherited from supd
  CHECK(env.count("SUPD_TEST_TAG") == 1);
  CHECK(cwd_of(pid) == (d.dir() / "home" / "w").string());

  const auto r = d.ctl({"start", "nodir"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, (d.dir() / "missing").string()));
  CHECK(d.job_pid("env") == pid);  // the other job is untouched
  CHECK(d.state("env") == "running");
  d.finish();
}

TEST_CASE("R5 a command string is split like a shell would but with no shell involved", "[integration][hygiene][R5]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[defaults]
restart = "never"
start_secs = 0

[jobs.words]
command = '''printf '%s\n' 'a b' c'''

[jobs.literal]
command = "echo $(id); touch pwned"
directory = "@DIR@/lit"

[jobs.shell]
command = "echo $(id); touch pwned"
shell = true
directory = "@DIR@/sh"
)",
               opts);
  fs::create_directory(d.dir() / "lit");
  fs::create_directory(d.dir() / "sh");
  d.start();
  for (const char* name : {"words", "literal", "shell"}) {
    INFO(name);
    CHECK(d.wait_state(name, "exited"));
  }
  CHECK(d.read_log("words") == "a b\nc\n");
  CHECK(d.read_log("literal") == "$(id); touch pwned\n");
  CHECK_FALSE(fs::exists(d.dir() / "lit" / "pwned"));
  CHECK(contains(d.read_log("shell"), "uid="));
  CHECK(fs::exists(d.dir() / "sh" / "pwned"));
  d.finish();
}

TEST_CASE("R6 children a job leaves behind are reaped and no zombie remains", "[integration][hygiene][R6]") {
  TestDaemon d(R"(
[jobs.forker]
command = ["sh", "-c", "i=0; while [ $i -lt 100 ]; do /bin/true & i=$((i+1)); done; exit 0"]
restart = "never"
start_secs = 0
)");
  REQUIRE(d.wait_state("forker", "exited"));
  const pid_t supd = d.pid();
  const bool reaped = eventually(
      [&] {
        for (pid_t c : children_of(supd))
          if (auto s = proc_stat(c); s && s->state == 'Z') return false;
        return true;
      },
      5s);
  INFO(describe_processes(children_of(supd)));
  CHECK(reaped);
  const auto j = d.job("forker");
  REQUIRE(j);
  CHECK((*j)["last_exit"]["description"] == "exited 0");
  d.finish();
}

TEST_CASE("R6 an orphan that left its job's group is reaped while the job runs on", "[integration][hygiene][R6]") {
  // Its exit is named by no job's pidfd and empties no group supd waits on: the sweep after a
  // SIGCHLD that no pidfd explained reaps it (docs/design-decisions.md, "One event costs the same").
  TestDaemon d(R"(
[jobs.parent]
command = ["sh", "-c", "(setsid sh -c 'echo $$ > @DIR@/orphan.pid; while [ ! -e @DIR@/go ]; do sleep 0.05; done' &); exec sleep 1000"]
)");
  const pid_t main_pid = d.wait_running("parent");
  REQUIRE(main_pid > 0);
  const pid_t supd = d.pid();
  pid_t orphan = 0;
  REQUIRE(eventually([&] {
    const auto text = read_file(d.dir() / "orphan.pid");
    if (text.empty() || text.back() != '\n') return false;
    orphan = std::stoi(text);
    const auto s = proc_stat(orphan);
    return s && s->ppid == supd;  // its parent subshell is gone: supd, the sub-reaper, has it
  }));
  write_file(d.dir() / "go", "");
  const bool reaped = eventually([&] { return !proc_stat(orphan); }, 10s);  // a zombie still has a stat
  INFO(describe_processes(children_of(supd)));
  CHECK(reaped);
  CHECK(d.job("parent").value()["pid"] == main_pid);  // the job itself runs on
  d.finish();
}

TEST_CASE("every job gets PYTHONUNBUFFERED=1 unless its environment sets the name", "[integration][hygiene][issue17]") {
  TestDaemon d(R"(
[jobs.given]
command = ["sleep", "1000"]

[jobs.opted_out]
command = ["sleep", "1000"]
environment = { PYTHONUNBUFFERED = "" }
)");
  const pid_t given = d.wait_running("given"), opted_out = d.wait_running("opted_out");
  REQUIRE((given > 0 && opted_out > 0));
  auto env = environ_of(given);
  CHECK(env["PYTHONUNBUFFERED"] == "1");
  env = environ_of(opted_out);
  CHECK(env.count("PYTHONUNBUFFERED") == 1);
  CHECK(env["PYTHONUNBUFFERED"].empty());
  d.finish();
}
