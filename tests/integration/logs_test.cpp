// Output capture, rotation and `supctl logs`: what is in the files is exactly what the job
// wrote, rotation never splits a line, and the tail/follow views match the files.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "tests/support/ctl_follower.hpp"
#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// "" when `text` is the lines "<first> x..." .. "<last> x..." in order, each whole, each
// `len` bytes with its '\n' (0: any length); else what is wrong.
std::string check_sequence(std::string_view text, long long first, long long last, std::size_t len = 0) {
  long long want = first;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return "a partial line at the end: " + std::string(text.substr(pos, 40));
    const auto line = text.substr(pos, nl - pos);
    const auto sp = line.find(' ');
    long long got = -1;
    try {
      got = std::stoll(std::string(line.substr(0, sp)));
    } catch (...) {
    }
    if (got != want) return "expected line " + std::to_string(want) + ", got: " + std::string(line.substr(0, 40));
    if (len != 0 && line.size() + 1 != len) return "line " + std::to_string(want) + " has the wrong length";
    ++want;
    pos = nl + 1;
  }
  if (want != last + 1) return "the text ends at line " + std::to_string(want - 1) + ", not " + std::to_string(last);
  return "";
}

bool ends_with_newline(const fs::path& file) {
  const auto text = read_file(file);
  return !text.empty() && text.back() == '\n';
}

std::string spew(long long count, int len, const std::string& tail = "") {
  std::string cmd = "[\"" + helper("seqspew") + "\", \"" + std::to_string(count) + "\", \"" + std::to_string(len) + "\"";
  if (!tail.empty()) cmd += ", \"" + tail + "\"";
  return cmd + "]";
}

}  // namespace

TEST_CASE("logs: rotation keeps log_keep files, each ending in a whole line, with no gap", "[integration][logs][R36]") {
  // TESTPLAN R36: 20 MiB at full speed, 64 KiB files, log_keep = 5.
  constexpr long long kLines = 209'716;  // 100-byte lines: 20 MiB
  TestDaemon d("[jobs.s]\ncommand = " + spew(kLines, 100) +
               "\nrestart = \"never\"\nlog_max_size = \"64KiB\"\nlog_keep = 5\n");
  REQUIRE(d.wait_state("s", "exited", 60s));
  const auto live = d.log_file("s");
  CHECK(fs::exists(live.string() + ".5"));
  CHECK_FALSE(fs::exists(live.string() + ".6"));  // at most 6 files
  std::vector<fs::path> files{live};
  for (int k = 1; k <= 5; ++k) files.emplace_back(live.string() + "." + std::to_string(k));
  for (const auto& f : files) {
    INFO(f);
    CHECK(ends_with_newline(f));
    CHECK(fs::file_size(f) <= 64 * 1024 + 99);  // past the limit by the rest of a partial line at most
  }
  for (int k = 1; k <= 4; ++k)
    CHECK(fs::file_size(files[k]) > 64 * 1024 - 100);  // rotated only when the next line did not fit
  const auto text = read_rotated_logs(live, 5);
  const long long first = kLines - static_cast<long long>(text.size() / 100) + 1;
  CHECK(text.size() % 100 == 0);
  CHECK(check_sequence(text, first, kLines, 100) == "");  // no gap, the newest line last
  d.finish();
}

TEST_CASE("logs: a line longer than log_max_size is kept whole and a partial last line is written", "[integration][logs][R32][R34]") {
  TestDaemon d(R"(
[jobs.long]
command = ["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a; echo; echo after"]
restart = "never"
log_max_size = "1KiB"
log_keep = 2
[jobs.part]
command = )" + spew(5, 300, "partial-tail") + R"(
restart = "never"
log_max_size = "1KiB"
log_keep = 5
)");
  REQUIRE(d.wait_state("long", "exited"));
  REQUIRE(d.wait_state("part", "exited"));
  const auto lng = d.log_file("long");
  CHECK(read_file(lng.string() + ".1") == std::string(5000, 'a') + "\n");
  CHECK(d.read_log("long") == "after\n");
  const auto part = d.log_file("part");
  // 300-byte lines, 1 KiB files: three lines per file, the tail after the last.
  CHECK(check_sequence(read_file(part.string() + ".1"), 1, 3, 300) == "");
  const auto last = d.read_log("part");
  CHECK(last.ends_with("partial-tail"));
  CHECK(check_sequence(last.substr(0, last.size() - 12), 4, 5, 300) == "");
  d.finish();
}

TEST_CASE("logs -n N returns the last N lines across a rotation", "[integration][logs][R44]") {
  // 100-byte lines, 1 KiB files of ten lines: lines 1001-1003 live, 991-1000 in .1.
  TestDaemon d("[jobs.t]\ncommand = " + spew(1003, 100) +
               "\nrestart = \"never\"\nlog_max_size = \"1KiB\"\nlog_keep = 5\n");
  REQUIRE(d.wait_state("t", "exited"));
  d.record_fd_baseline();
  auto r = d.ctl({"logs", "t", "-n", "5"});
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  CHECK(check_sequence(r.out, 999, 1003, 100) == "");
  r = d.ctl({"logs", "-n", "0", "t"});
  CHECK(r.exit_code == kOk);
  CHECK(r.out.empty());
  r = d.ctl({"logs", "t"});  // 10 by default
  CHECK(check_sequence(r.out, 994, 1003, 100) == "");
  r = d.ctl({"logs", "t", "-n", "100000"});  // everything that is kept
  CHECK(check_sequence(r.out, 951, 1003, 100) == "");  // 3 live + 5 files of 10
  r = d.ctl({"--json", "logs", "t", "-n", "1"});
  CHECK(r.out == "{\"text\":\"1003 " + std::string(94, 'x') + "\\n\"}\n");
  d.finish();
}

TEST_CASE("logs -n on a job with no output is empty with exit 0", "[integration][logs][R44]") {
  TestDaemon d(R"(
[jobs.mute]
command = ["sleep", "1000"]
[jobs.never]
command = ["sleep", "1000"]
autostart = false
)");
  REQUIRE(d.wait_running("mute") > 0);
  for (const char* job : {"mute", "never"}) {  // a file with nothing in it, and no file at all
    INFO(job);
    const auto r = d.ctl({"logs", job, "-n", "10"});
    INFO(r.err);
    CHECK(r.exit_code == kOk);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
  }
  d.finish();
}

TEST_CASE("logs on an unknown job, or --stderr without a stderr file, exits 1 with one line", "[integration][logs][R44]") {
  TestDaemon d("[jobs.a]\ncommand = [\"sleep\", \"1000\"]\n");
  REQUIRE(d.wait_running("a") > 0);
  auto r = d.ctl({"logs", "nosuch"});
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "nosuch"));
  r = d.ctl({"logs", "a", "--stderr"});
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  r = d.ctl({"logs"});
  CHECK(r.exit_code == kUsage);
  d.finish();
}

TEST_CASE("logs --stderr reads the job's own stderr file", "[integration][logs]") {
  TestDaemon d(R"(
[jobs.e]
command = ["sh", "-c", "echo out; echo err >&2"]
restart = "never"
stderr = "e.err"
)");
  REQUIRE(d.wait_state("e", "exited"));
  CHECK(d.ctl({"logs", "e"}).out == "out\n");
  CHECK(d.ctl({"logs", "e", "--stderr"}).out == "err\n");
  d.finish();
}

TEST_CASE("logs -f started before the output sees every line once, across rotations", "[integration][logs]") {
  TestDaemon d("[jobs.f]\ncommand = " + spew(3000, 100) +
               "\nrestart = \"never\"\nautostart = false\nlog_max_size = \"4KiB\"\nlog_keep = 2\n");
  write_file(d.log_file("f"), "start\n", fs::perms(0640));
  const auto out = d.dir() / "follow.out";
  CtlFollower follower(d, {"logs", "f", "-f", "-n", "1"}, out);
  // The tail comes first: once it is there, the follower is registered.
  REQUIRE(eventually([&] { return read_file(out) == "start\n"; }));
  REQUIRE(d.ctl({"start", "f"}).exit_code == kOk);
  REQUIRE(eventually([&] { return contains(read_file(out), "\n3000 "); }, 30s));
  REQUIRE(eventually([&] { return read_file(out).size() == 6 + 3000 * 100; }));
  const auto text = read_file(out);
  CHECK(check_sequence(std::string_view(text).substr(6), 1, 3000, 100) == "");
  d.finish();
}

TEST_CASE("logs -f ends with exit 0 when supd shuts down", "[integration][logs]") {
  TestDaemon d("[jobs.a]\ncommand = [\"sh\", \"-c\", \"echo hello; exec sleep 1000\"]\n");
  REQUIRE(d.wait_running("a") > 0);
  const auto out = d.dir() / "follow.out";
  CtlFollower follower(d, {"logs", "a", "-f"}, out);
  REQUIRE(eventually([&] { return read_file(out) == "hello\n"; }));
  d.finish();
  const auto st = follower.wait(15s);
  REQUIRE(st.has_value());
  CHECK(exit_code_of(*st) == 0);
}

TEST_CASE("logs --reopen and SIGUSR2 re-create a log file renamed away", "[integration][logs][R38]") {
  TestDaemon d(R"(
[jobs.r]
command = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done"]
)");
  REQUIRE(d.wait_running("r") > 0);
  const auto live = d.log_file("r");
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }));
  const fs::path moved1 = live.string() + ".moved1", moved2 = live.string() + ".moved2";
  fs::rename(live, moved1);
  const auto r = d.ctl({"logs", "--reopen"});
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "reopened"));
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }));
  fs::rename(live, moved2);
  d.kill_daemon(SIGUSR2);
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }));
  REQUIRE(d.ctl({"stop", "r"}).exit_code == kOk);
  const auto text = read_file(moved1) + read_file(moved2) + read_file(live);
  const auto lines = split_lines(text);
  REQUIRE(!lines.empty());
  CHECK(check_sequence(text, 1, static_cast<long long>(lines.size())) == "");
  d.finish();
}

TEST_CASE("logs: 200 MiB of numbered lines through rotation: every line once, in order", "[integration][logs][stress][R36]") {
  // 2,097,152 lines of 100 bytes, 1 MiB files: about 200 of them, all kept.
  constexpr long long kLines = 2'097'152;
  TestDaemon d("[jobs.big]\ncommand = " + spew(kLines, 100) +
               "\nrestart = \"never\"\nautostart = false\nlog_max_size = \"1MiB\"\nlog_keep = 1000\n");
  const auto out = d.dir() / "follow.out";
  write_file(d.log_file("big"), "start\n", fs::perms(0640));
  CtlFollower follower(d, {"logs", "big", "-f", "-n", "1"}, out);
  REQUIRE(eventually([&] { return read_file(out) == "start\n"; }));
  REQUIRE(d.ctl({"start", "big"}).exit_code == kOk);
  REQUIRE(d.wait_state("big", "exited", 300s));
  const auto text = read_rotated_logs(d.log_file("big"), 1000);
  REQUIRE(text.starts_with("start\n"));
  CHECK(check_sequence(std::string_view(text).substr(6), 1, kLines, 100) == "");
  // A follower that falls behind reads on from the files (all kept here): it is never cut
  // off, and gets the sequence from the start, with no gap and no repeat.
  const auto want = static_cast<std::uintmax_t>(kLines) * 100 + 6;
  REQUIRE(eventually([&] { return fs::file_size(out) >= want || follower.wait(0ms).has_value(); }, 120s));
  const auto seen = read_file(out);
  REQUIRE(seen.starts_with("start\n"));
  CHECK(check_sequence(std::string_view(seen).substr(6), 1, kLines, 100) == "");
  d.finish();
}

namespace {

// The text of a follow's pieces as a raw client reads them, until it holds `bytes` bytes (or
// nothing comes for 30 s); `skipped` adds up the pieces that say bytes were rotated away.
std::string read_follow(RawClient& client, std::size_t bytes, long long& skipped) {
  std::string text;
  while (text.size() < bytes) {
    const auto piece = client.read_json(30s);
    if (!piece) break;
    const auto& result = (*piece)["result"];
    if (result.contains("skipped")) skipped += result["skipped"].get<long long>();
    if (result.contains("text")) text += result["text"].get<std::string>();
  }
  return text;
}

}  // namespace

TEST_CASE("logs -f whose client reads nothing while 30 MiB are written is not dropped: every line once", "[integration][logs][issue17]") {
  // Far past what supd pushes to a follower (kFollowLag) and what it once held before cutting
  // one off (8 MiB): the rest is read from the files once the client reads again.
  constexpr long long kLines = 314'573;  // 100-byte lines: 30 MiB
  TestDaemon d("[jobs.big]\ncommand = " + spew(kLines, 100) +
               "\nrestart = \"never\"\nautostart = false\nlog_max_size = \"1MiB\"\nlog_keep = 100\n");
  RawClient client(d.socket());
  REQUIRE(client.connected());
  const auto first = client.request({{"id", 1}, {"method", "logs"}, {"params", {{"job", "big"}, {"follow", true}, {"lines", 0}}}});
  REQUIRE(first);  // the (empty) tail: the follow has begun
  REQUIRE((*first)["result"]["more"] == true);
  REQUIRE(d.ctl({"start", "big"}).exit_code == kOk);
  REQUIRE(d.wait_state("big", "exited", 120s));  // meanwhile the client reads nothing
  long long skipped = 0;
  const auto text = read_follow(client, static_cast<std::size_t>(kLines) * 100, skipped);
  CHECK(skipped == 0);
  CHECK(check_sequence(text, 1, kLines, 100) == "");
  // Caught up, it follows live again.
  REQUIRE(d.ctl({"start", "big"}).exit_code == kOk);
  long long again_skipped = 0;
  const auto again = read_follow(client, 100, again_skipped);
  CHECK(again.starts_with("1 "));
  d.finish();
}

TEST_CASE("supctl logs -f whose reader paused while files rotated away says how much it missed", "[integration][logs][issue17]") {
  constexpr long long kLines = 209'716;  // 100-byte lines: 20 MiB, with only 2 files of 1 MiB kept
  TestDaemon d("[jobs.big]\ncommand = " + spew(kLines, 100) +
               "\nrestart = \"never\"\nautostart = false\nlog_max_size = \"1MiB\"\nlog_keep = 1\n");
  write_file(d.log_file("big"), "start\n", fs::perms(0640));
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  SpawnOptions opts;
  opts.env = d.env();
  opts.stdout_file = (d.dir() / "follow.err").string();  // stderr (stdout is the pipe)
  opts.keep_fds = {{1, out[1]}};
  const pid_t pid = spawn_process({SUPCTL_BIN, "--socket", d.socket().string(), "logs", "big", "-f", "-n", "1"}, opts);
  ::close(out[1]);
  std::string seen;
  const auto read_until = [&](const std::function<bool()>& done) {
    return eventually([&] {
      pollfd p{out[0], POLLIN, 0};
      char buf[65536];
      while (::poll(&p, 1, 0) > 0) {
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        seen.append(buf, static_cast<std::size_t>(n));
      }
      return done();
    }, 60s);
  };
  REQUIRE(read_until([&] { return seen == "start\n"; }));
  REQUIRE(d.ctl({"start", "big"}).exit_code == kOk);
  REQUIRE(d.wait_state("big", "exited", 120s));  // the pipe is full meanwhile: supctl waits
  const std::string last_line = std::to_string(kLines) + " ";
  REQUIRE(read_until([&] { return seen.size() >= 100 && std::string_view(seen).substr(seen.size() - 100).starts_with(last_line); }));
  ::kill(pid, SIGTERM);
  REQUIRE(wait_exit(pid, 30s));
  ::close(out[0]);
  const auto err = read_file(d.dir() / "follow.err");
  INFO(err);
  REQUIRE(contains(err, "bytes of the log were rotated away before this follower read them"));
  const long long skipped = std::stoll(err.substr(err.find("supctl: ") + 8));
  CHECK(skipped > 0);
  // The lines after the gap: whole, in order, up to the last. Before it, whole lines from the
  // first, then at most one line the gap cut short, ended by supd's newline; nothing else.
  const std::string_view text = std::string_view(seen).substr(6);
  std::size_t cut = text.size();
  long long next = kLines;
  while (cut >= 100 && text.substr(cut - 100).starts_with(std::to_string(next) + " ")) {
    cut -= 100;
    --next;
  }
  const std::string_view head = text.substr(0, cut);
  const long long whole = static_cast<long long>(head.size() / 100);
  const std::size_t part = head.size() % 100;
  CHECK(check_sequence(head.substr(0, head.size() - part), 1, whole, 100) == "");
  if (part > 0) CHECK(head.ends_with("\n"));
  CHECK(next > whole + 1);  // there is a gap
  // Exactly the missing bytes are the ones reported (and supd's newline, if it added one).
  const long long extra = static_cast<long long>(text.size()) + skipped - kLines * 100;
  CHECK((extra == 0 || extra == 1));
  d.finish();
}

TEST_CASE("logs of a job that wrote nothing tells a person at a terminal why that may be", "[integration][logs][issue17]") {
  TestDaemon d("[jobs.mute]\ncommand = [\"sleep\", \"1000\"]\n");
  REQUIRE(d.wait_running("mute") > 0);
  const auto [master, slave] = open_pty();
  REQUIRE(slave >= 0);
  SpawnOptions opts;
  opts.env = d.env();
  opts.stdout_file = (d.dir() / "logs.stdout").string();
  opts.stderr_to_stdout = false;
  opts.keep_fds = {{2, slave}};  // stderr on a terminal, stdout not
  const pid_t pid = spawn_process({SUPCTL_BIN, "--socket", d.socket().string(), "logs", "mute"}, opts);
  ::close(slave);
  const auto status = wait_exit(pid, 30s);
  REQUIRE(status);
  CHECK(exit_code_of(*status) == kOk);
  CHECK(read_file(d.dir() / "logs.stdout").empty());
  std::string seen;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) seen.append(buf, static_cast<std::size_t>(n));
  ::close(master);
  INFO(seen);
  CHECK(contains(seen, "nothing in the job's log yet"));
  CHECK(contains(seen, "PYTHONUNBUFFERED=1"));
  d.finish();
}
