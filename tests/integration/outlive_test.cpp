// Jobs outlive supd with their output (issue 9): the fd holder keeps every output pipe, so a
// job writing while no supd runs neither dies of SIGPIPE nor loses a line; `shutdown
// --leave-running` hands the jobs to the next supd; `upgrade` re-execs supd in place.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <set>

#include "common/time_format.hpp"
#include "tests/support/ctl_follower.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// n jobs w0..w{n-1}, each writing "w<i> <seq>" every `period_ms` (0: as fast as it can);
// `defaults`: more lines for [defaults].
std::string writers(int n, int period_ms, const std::string& defaults = "") {
  std::string toml = "[defaults]\nstart_secs = 0\nrestart = \"never\"\n" + defaults;
  for (int i = 0; i < n; ++i)
    toml += "\n[jobs.w" + std::to_string(i) + "]\ncommand = [\"@HELPERS@/seqslow\", \"" + std::to_string(period_ms) +
            "\", \"w" + std::to_string(i) + "\"]\n";
  return toml;
}

std::string name(int i) { return "w" + std::to_string(i); }

// Bytes the process has written so far (/proc/PID/io wchar).
unsigned long long written_by(pid_t pid) {
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/io")))
    if (line.rfind("wchar:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

// The log holds "<job> 1" .. "<job> N" in order, each once and whole, N >= 1; with `stamped`,
// each line after one timestamp and a blank. The pipe's bytes go into the file by splice(2),
// which takes from the pipe what the file got, so a kill -9 of supd anywhere loses and doubles
// none (docs/design-decisions.md). "" or what is wrong. Logs of many MB: no copy per line.
std::string check_sequence(std::string_view log, std::string_view job, bool stamped = false) {
  unsigned long long expect = 1;
  for (std::size_t pos = 0; pos < log.size();) {
    const auto nl = log.find('\n', pos);
    if (nl == std::string_view::npos) return "a partial last line: '" + std::string(log.substr(pos, 200)) + "'";
    std::string_view line = log.substr(pos, nl - pos);
    pos = nl + 1;
    const std::string shown(line.substr(0, 200));
    if (stamped) {
      if (line.size() <= supd::common::kIsoTimeWidth || line[supd::common::kIsoTimeWidth] != ' ' ||
          !supd::common::parse_iso8601_utc_ms(line.substr(0, supd::common::kIsoTimeWidth)))
        return "line " + std::to_string(expect) + " without one timestamp: '" + shown + "'";
      line.remove_prefix(supd::common::kIsoTimeWidth + 1);
    }
    if (line.size() <= job.size() || line.substr(0, job.size()) != job || line[job.size()] != ' ')
      return "a foreign or torn line where " + std::to_string(expect) + " was expected: '" + shown + "'";
    const auto digits = line.substr(job.size() + 1);
    unsigned long long seq = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size())
      return "a torn line where " + std::to_string(expect) + " was expected: '" + shown + "'";
    if (seq < expect) return "line " + std::to_string(expect) + " expected, got " + std::to_string(seq) + " (doubled)";
    if (seq > expect)
      return "lines " + std::to_string(expect) + " to " + std::to_string(seq - 1) + " lost";
    ++expect;
  }
  return expect > 1 ? "" : "no line at all";
}

std::map<std::string, pid_t> running_pids(TestDaemon& d, int n) {
  std::map<std::string, pid_t> pids;
  for (int i = 0; i < n; ++i) pids[name(i)] = d.wait_running(name(i));
  return pids;
}

// supd is gone: the jobs write on into their pipes, which the holder keeps open.
void kill_supd_and_let_jobs_write(TestDaemon& d, const std::map<std::string, pid_t>& pids) {
  std::map<pid_t, unsigned long long> before;
  for (const auto& [job, pid] : pids) before[pid] = written_by(pid);
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  for (const auto& [job, pid] : pids) {
    INFO(job);
    CHECK(eventually([&, pid = pid] { return written_by(pid) > before[pid] + 200; }));
    CHECK(process_alive(pid));  // no SIGPIPE
  }
}

void expect_adopted(TestDaemon& d, const std::map<std::string, pid_t>& pids) {
  const auto st = d.status_json();
  REQUIRE(st);
  for (const auto& row : (*st)["jobs"]) {
    const auto job = row["name"].get<std::string>();
    INFO(row.dump());
    CHECK(row["state"] == "running");
    CHECK(row["pid"] == pids.at(job));
  }
  std::set<pid_t> expected;
  for (const auto& [job, pid] : pids) expected.insert(pid);
  const auto procs = d.tagged();
  CHECK(std::set<pid_t>(procs.begin(), procs.end()) == expected);  // no job twice
}

void stop_and_check_logs(TestDaemon& d, int n, bool stamped = false) {
  const auto stop = d.ctl({"stop", "all"});
  INFO(stop.out << stop.err);
  REQUIRE(stop.exit_code == kOk);
  for (int i = 0; i < n; ++i) {
    INFO(name(i));
    CHECK(check_sequence(d.read_log(name(i)), name(i), stamped) == "");
  }
}

// Kills supd while it copies: once every job's log grew by `bytes` since supd started, so the
// kill lands in the middle of the copying (jobs writing without pause keep it busy).
void kill_while_copying(TestDaemon& d, int n, std::uintmax_t bytes) {
  std::vector<std::uintmax_t> before;
  for (int i = 0; i < n; ++i) before.push_back(fs::file_size(d.log_file(name(i))));
  REQUIRE(eventually([&] {
    for (int i = 0; i < n; ++i)
      if (fs::file_size(d.log_file(name(i))) < before[static_cast<std::size_t>(i)] + bytes) return false;
    return true;
  }));
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
}

// `rounds` kill -9s of supd, each while it copies (`bytes` more of every log), then the next
// supd adopts the same processes.
void kill_rounds_while_copying(TestDaemon& d, const std::map<std::string, pid_t>& pids, int n, int rounds,
                               std::uintmax_t bytes) {
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    kill_while_copying(d, n, bytes);
    d.start();
    expect_adopted(d, pids);
  }
}

pid_t holder_of(const TestDaemon& d) {
  for (pid_t p : tagged_pids(d.tag()))
    if (is_fd_holder(p)) return p;
  return 0;
}

// supd run from a copy of its binary, so that the test can install another one over it.
fs::path start_from_copy(TestDaemon& d) {
  const auto bin = d.dir() / "supd-copy";
  fs::copy_file(SUPD_BIN, bin);
  d.set_binary(bin.string());
  d.start();
  return bin;
}

}  // namespace

TEST_CASE("the fd holder shows in ps as supd: fd holder and not as a second supd", "[integration][holder]") {
  TestDaemon d(writers(1, 50));
  REQUIRE(running_pids(d, 1).size() == 1);
  pid_t holder = 0;
  REQUIRE(eventually([&] { return (holder = holder_of(d)) > 0; }));
  CHECK(cmdline_of(holder) == "supd: fd holder");  // what `ps -o args` shows
  CHECK(comm_of(holder) == "supd-fdholder");       // what `ps -o comm` and pgrep show
  CHECK(contains(cmdline_of(d.pid()), "--config"));  // supd's own argv untouched
  d.finish();
}

TEST_CASE("kill -9 of supd: jobs write on, the next supd adopts them and no line is lost or doubled",
          "[integration][adopt][holder]") {
  constexpr int kJobs = 5;
  TestDaemon d(writers(kJobs, 2));
  const auto pids = running_pids(d, kJobs);
  const pid_t holder = holder_of(d);
  REQUIRE(holder > 0);
  const auto hs = proc_stat(holder);
  REQUIRE(hs);
  CHECK(hs->sid == holder);  // its own session: a Ctrl-C meant for supd does not reach it
  for (const auto& [fd, target] : list_fds(holder)) {
    INFO(fd << " -> " << target);
    CHECK((fd < 3 ? target == "/dev/null" : (target.rfind("pipe:", 0) == 0 || target.rfind("socket:", 0) == 0)));
  }

  kill_supd_and_let_jobs_write(d, pids);
  CHECK(process_alive(holder));
  d.start();
  expect_adopted(d, pids);
  CHECK(holder_of(d) == holder);  // the same holder serves the new supd
  stop_and_check_logs(d, kJobs);
  d.finish();
  CHECK_FALSE(process_alive(holder));  // shutdown ends it too
}

TEST_CASE("kill -9 of supd 50 times in a row with 20 writing jobs loses and doubles nothing",
          "[stress][adopt][holder]") {
  constexpr int kJobs = 20;
  TestDaemon d(writers(kJobs, 5));
  const auto pids = running_pids(d, kJobs);
  for (const auto& [job, pid] : pids) REQUIRE(pid > 0);
  // Under ASan every supd start costs ~20x: a part of the count, as for the other long loads
  // (the normal build runs all of it).
  constexpr int kRounds = kSanitizerBuild ? 20 : 50;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    d.kill_daemon(SIGKILL);
    REQUIRE(d.wait_daemon_exit(10s));
    d.start();
    expect_adopted(d, pids);
  }
  stop_and_check_logs(d, kJobs);
  d.finish();
}

TEST_CASE("kill -9 of supd 100 times in a row while jobs write as fast as they can loses and doubles no line",
          "[stress][adopt][holder]") {
  constexpr int kJobs = 4;
  TestDaemon d(writers(kJobs, 0, "log_max_size = 0\n"));
  const auto pids = running_pids(d, kJobs);
  kill_rounds_while_copying(d, pids, kJobs, kSanitizerBuild ? 25 : 100, 64 * 1024);  // as above
  stop_and_check_logs(d, kJobs);
  d.finish();
}

TEST_CASE("kill -9 of supd 30 times in a row with prefix timestamps loses and doubles no line and stamps each once",
          "[stress][adopt][holder][timestamps]") {
  constexpr int kJobs = 3;
  TestDaemon d(writers(kJobs, 0, "log_max_size = 0\ntimestamps = \"prefix\"\n"));
  const auto pids = running_pids(d, kJobs);
  kill_rounds_while_copying(d, pids, kJobs, kSanitizerBuild ? 10 : 30, 16 * 1024);  // as above
  stop_and_check_logs(d, kJobs, /*stamped=*/true);
  d.finish();
}

TEST_CASE("shutdown --leave-running leaves the jobs writing for the next supd", "[integration][adopt][holder]") {
  constexpr int kJobs = 3;
  TestDaemon d(writers(kJobs, 2));
  const auto pids = running_pids(d, kJobs);
  const auto r = d.ctl({"shutdown", "--leave-running"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "left 3 jobs running"));
  const auto st = d.wait_daemon_exit(10s);
  REQUIRE(st);
  CHECK(exit_code_of(*st) == 0);
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.ctl({"status"}).exit_code == kUnreachable);
  for (const auto& [job, pid] : pids) {
    const auto w = written_by(pid);
    CHECK(eventually([&, pid = pid] { return written_by(pid) > w + 200; }));
    CHECK(process_alive(pid));
  }
  d.start();
  expect_adopted(d, pids);
  stop_and_check_logs(d, kJobs);
  d.finish();
}

TEST_CASE("shutdown --leave-running in --json says how many jobs it left", "[integration][adopt]") {
  TestDaemon d(writers(1, 50));
  REQUIRE(d.wait_running("w0") > 0);
  const auto r = d.ctl({"--json", "shutdown", "--leave-running"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  const auto j = json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j["left_running"] == 1);
  CHECK(j["stopped"] == 0);
  REQUIRE(d.wait_daemon_exit(10s));
  d.start();
  CHECK(d.state("w0") == "running");
  d.finish();
}

TEST_CASE("upgrade re-execs supd in place: same supd pid, same job pids, nothing restarts, no line lost",
          "[integration][upgrade]") {
  constexpr int kJobs = 3;
  TestDaemon d(writers(kJobs, 2) + R"(
[jobs.stopped]
command = ["sleep", "1000"]

[jobs.oneshot]
command = ["sh", "-c", "exit 3"]
)");
  const auto pids = running_pids(d, kJobs);
  REQUIRE(d.wait_state("oneshot", "exited"));
  REQUIRE(d.ctl({"stop", "stopped"}).exit_code == kOk);
  const pid_t supd = d.pid();

  const auto r = d.ctl({"upgrade"});
  INFO(r.out << r.err << "\nsupd output:\n" << d.supd_output());
  REQUIRE(r.exit_code == kOk);
  CHECK(contains(r.out, "as pid " + std::to_string(supd)));
  CHECK(d.pid() == supd);
  CHECK(d.running());
  for (const auto& [job, pid] : pids) CHECK(d.job_pid(job) == pid);
  CHECK(d.state("stopped") == "stopped");  // not autostarted by the new supd
  const auto oneshot = d.job("oneshot");
  REQUIRE(oneshot);
  CHECK((*oneshot)["state"] == "exited");
  CHECK((*oneshot)["last_exit"]["code"] == 3);
  // Still supd's children: an exit has its real status.
  for (const auto& [job, pid] : pids) {
    const auto s = proc_stat(pid);
    REQUIRE(s);
    CHECK(s->ppid == supd);
  }
  ::kill(pids.at("w0"), SIGTERM);
  REQUIRE(d.wait_state("w0", "exited"));
  CHECK((*d.job("w0"))["last_exit"]["description"] == "killed by SIGTERM");
  stop_and_check_logs(d, kJobs);
  d.finish();
}

TEST_CASE("upgrade runs the binary now at supd's path, and a broken one leaves supd running unchanged",
          "[integration][upgrade]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(writers(1, 20), opts);
  const auto bin = start_from_copy(d);
  const auto next = d.dir() / "supd-copy.new";
  const pid_t supd = d.pid();
  const pid_t job = d.wait_running("w0");
  REQUIRE(job > 0);

  // A broken binary installed over it: its check fails before any exec, supd runs on.
  write_file(next, "#!/bin/sh\necho this binary is broken >&2\nexit 1\n");
  fs::permissions(next, fs::perms::owner_all);
  fs::rename(next, bin);
  auto r = d.ctl({"upgrade"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "this binary is broken"));
  CHECK(d.pid() == supd);
  CHECK(d.running());
  CHECK(d.job_pid("w0") == job);
  CHECK(contains(exe_of(supd).value_or(""), "(deleted)"));

  // A good one: exec'd in place.
  fs::copy_file(SUPD_BIN, next);
  fs::rename(next, bin);
  r = d.ctl({"upgrade"});
  INFO(r.out << r.err << "\nsupd output:\n" << d.supd_output());
  CHECK(r.exit_code == kOk);
  CHECK(d.pid() == supd);
  CHECK(exe_of(supd) == fs::canonical(bin).string());
  CHECK(d.job_pid("w0") == job);
  stop_and_check_logs(d, 1);
  d.finish();
}

TEST_CASE("upgrade checks the new binary beside the loop: supd answers and supervises while the check runs",
          "[integration][upgrade]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(writers(1, 20), opts);
  const auto bin = start_from_copy(d);
  const auto real = d.dir() / "supd-real";
  const auto next = d.dir() / "supd-copy.new";
  const auto gate = d.dir() / "gate";
  const auto checking = d.dir() / "checking";
  const pid_t supd = d.pid();
  const pid_t job = d.wait_running("w0");
  REQUIRE(job > 0);

  // The next binary's --check says it has begun, then waits for the test before it checks;
  // otherwise it is the real supd.
  fs::copy_file(SUPD_BIN, real);
  REQUIRE(::mkfifo(gate.c_str(), 0600) == 0);
  write_file(next, "#!/bin/sh\nif [ \"$1\" = --check ]; then : > '" + checking.string() + "'; read _ < '" +
                       gate.string() + "'; fi\nexec '" + real.string() + "' \"$@\"\n");
  fs::permissions(next, fs::perms::owner_all);
  fs::rename(next, bin);
  CtlFollower upgrade(d, {"upgrade", "--timeout", "60"}, d.dir() / "upgrade.out");
  REQUIRE(eventually([&] { return fs::exists(checking); }));

  // Meanwhile supd serves other clients (a blocking check held them all for up to 10 s): a
  // status answers, and a second upgrade is told one is under way.
  auto r = d.ctl({"status", "w0"}, 5s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, std::to_string(job)));
  r = d.ctl({"upgrade"}, 5s);
  CHECK(r.exit_code != kOk);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "upgrading already"));

  {  // the check goes on: it passes, and supd execs in place
    const int fd = ::open(gate.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "go\n", 3) == 3);
    ::close(fd);
  }
  const auto status = upgrade.wait(60s);
  INFO("upgrade output:\n" << read_file(d.dir() / "upgrade.out") << "\nsupd output:\n" << d.supd_output());
  REQUIRE(status);
  CHECK(exit_code_of(*status) == kOk);
  CHECK(contains(read_file(d.dir() / "upgrade.out"), "as pid " + std::to_string(supd)));
  CHECK(d.pid() == supd);
  CHECK(exe_of(supd) == fs::canonical(real).string());
  CHECK(d.job_pid("w0") == job);
  stop_and_check_logs(d, 1);
  d.finish();
}
