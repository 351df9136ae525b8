// Output capture integrity (TESTPLAN R32, R33, R35, R38, R39, R41, R42): the bytes a job writes
// reach its file exactly, whatever the line lengths, write sizes, bytes or file accidents.
#include <cerrno>
#include <cstring>
#include <thread>

#include <sys/mount.h>
#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;
using namespace std::string_literals;

namespace {

// utime + stime of `pid` in clock ticks (fields 14 and 15 of /proc/PID/stat), -1 if gone.
long long cpu_ticks(pid_t pid) {
  const auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  const auto words = split_words(text.substr(paren + 2));  // words[0] is field 3 (state)
  if (words.size() < 13) return -1;
  return std::stoll(words[11]) + std::stoll(words[12]);
}

// "" when `text` is "<prefix>1\n<prefix>2\n"... up to `last` with nothing else; else what is off.
std::string numbered(std::string_view text, long long first, long long last) {
  long long want = first;
  for (const auto& line : split_lines(text)) {
    if (line != std::to_string(want)) return "expected " + std::to_string(want) + ", got '" + line.substr(0, 40) + "'";
    ++want;
  }
  if (!text.empty() && text.back() != '\n') return "a partial line at the end";
  return want == last + 1 ? "" : "ended at " + std::to_string(want - 1) + ", not " + std::to_string(last);
}

}  // namespace

TEST_CASE("R32 lines of 1 byte to 200 KiB written in pieces of 1 to 10000 bytes come out byte-exact",
          "[integration][output][R32]") {
  constexpr long kLimit = 256 * 1024;
  TestDaemon d(R"(
[jobs.v]
command = ["@HELPERS@/linespew", "7", "3000", "204800", "10000", "@DIR@/ref"]
restart = "never"
log_max_size = "256KiB"
log_keep = 1000
)");
  REQUIRE(d.wait_state("v", "exited", 120s));
  const auto ref = read_file(d.dir() / "ref");
  REQUIRE(ref.size() > 1'000'000);
  const auto live = d.log_file("v");
  const auto all = read_rotated_logs(live, 1000);
  CHECK(all.size() == ref.size());
  CHECK(all == ref);  // every line whole, in order, never split or merged with a neighbour
  // Each file ends a line, and passes the limit only by its last line (a long line alone).
  int files = 0;
  for (int k = 0; k <= 1000; ++k) {
    const fs::path f = k == 0 ? live : fs::path(live.string() + "." + std::to_string(k));
    if (!fs::exists(f)) continue;
    ++files;
    const auto text = read_file(f);
    INFO(f);
    if (text.empty()) continue;
    CHECK(text.back() == '\n');
    const auto before_last = text.rfind('\n', text.size() - 2);
    const std::size_t head = before_last == std::string::npos ? 0 : before_last + 1;
    CHECK(head <= static_cast<std::size_t>(kLimit));
  }
  CHECK(files > 10);
  d.finish();
}

TEST_CASE("R33 lines alternating between stdout and stderr interleave only at line boundaries",
          "[integration][output][R33]") {
  TestDaemon d(R"(
[jobs.alt]
command = ["sh", "-c", "i=1; while [ $i -le 4000 ]; do echo $i; i=$((i+1)); echo $i >&2; i=$((i+1)); done"]
restart = "never"
)");
  REQUIRE(d.wait_state("alt", "exited", 60s));
  // One pipe for both: the order is the order of the writes.
  CHECK(numbered(d.read_log("alt"), 1, 4000) == "");
  d.finish();
}

TEST_CASE("R35 NUL bytes, invalid UTF-8, CR and ANSI escapes are kept exactly", "[integration][output][R35]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.bin]
command = ["cat", "@DIR@/bytes"]
restart = "never"
start_secs = 0
)",
               opts);
  std::string bytes;
  for (int round = 0; round < 3; ++round)
    for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<char>(b));
  bytes += "nul\0inside\n"s;
  bytes += "bad utf-8 \xff\xfe\xc3\x28 \xed\xa0\x80\n";
  bytes += "cr\r\ncr alone\rhere\n";
  bytes += "\x1b[31mred\x1b[0m \x1b]0;title\x07\n";
  bytes += "no newline at the end \x1b[1m";
  write_file(d.dir() / "bytes", bytes);
  d.start();
  REQUIRE(d.wait_state("bin", "exited"));
  const auto got = d.read_log("bin");
  CHECK(got == bytes);  // the last partial line too, as written
  // supctl logs carries the text as JSON: the valid parts arrive unchanged.
  const auto r = d.ctl({"logs", "bin", "-n", "3"});
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "cr alone\rhere\n"));
  CHECK(contains(r.out, "\x1b[31mred\x1b[0m \x1b]0;title\x07\n"));
  d.finish();
}

TEST_CASE("R38 a log file deleted or renamed while the job writes is created again at the next rotation",
          "[integration][output][R38]") {
  // About 100-byte lines every 5 ms: a 4 KiB file fills in about 0.2 s.
  TestDaemon d(R"(
[jobs.w]
command = ["sh", "-c", "i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); printf '%s %090d\n' $i 0; sleep 0.005; done"]
log_max_size = "4KiB"
log_keep = 2
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("w");
  REQUIRE(pid > 0);
  const auto live = d.log_file("w");
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }));

  fs::remove(live);
  CHECK(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }, 20s));
  const fs::path moved = live.string() + ".moved";
  fs::rename(live, moved);
  CHECK(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }, 20s));
  // The job never blocked: it is the same process, and the new file grows.
  CHECK(d.job_pid("w") == pid);
  const auto size = fs::file_size(live);
  CHECK(eventually([&] { return fs::exists(live) && fs::file_size(live) != size; }, 20s));
  // Every file holds whole consecutive lines: the re-created ones start at a line boundary.
  const fs::path first = live.string() + ".1";
  REQUIRE(d.ctl({"stop", "w"}).exit_code == kOk);
  for (const auto& f : {moved, first, live}) {
    if (!fs::exists(f)) continue;
    INFO(f);
    const auto text = read_file(f);
    long long prev = 0;
    bool whole = true;
    for (const auto& line : split_lines(text)) {
      const auto w = split_words(line);
      whole = whole && w.size() == 2 && line.size() == 91 + w[0].size();
      if (!whole) break;
      const long long n = std::stoll(w[0]);
      whole = prev == 0 || n == prev + 1;
      prev = n;
    }
    CHECK(whole);
    CHECK((text.empty() || text.back() == '\n'));
  }
  d.finish();
}

TEST_CASE("R39 copy and truncate of the log while the job writes leaves no hole of NUL bytes",
          "[integration][output][R39]") {
  TestDaemon d(R"(
[jobs.w]
command = ["sh", "-c", "i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); printf '%s %090d\n' $i 0; sleep 0.002; done"]
stop_signal = "KILL"
)");
  REQUIRE(d.wait_running("w") > 0);
  const auto live = d.log_file("w");
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 50'000; }, 30s));
  fs::copy_file(live, live.string() + ".1");
  fs::resize_file(live, 0);  // cp j.out j.out.1 && truncate -s 0 j.out
  REQUIRE(eventually([&] { return fs::file_size(live) > 10'000; }, 30s));
  REQUIRE(d.ctl({"stop", "w"}).exit_code == kOk);
  const auto text = read_file(live);
  CHECK(text.find('\0') == std::string::npos);  // writes went on at the new end
  CHECK(text.size() < 50'000 + 100'000);
  d.finish();
}

TEST_CASE("R42 a job that closes stdout and stderr keeps running and supd does not spin",
          "[integration][output][R42]") {
  TestDaemon d(R"(
[jobs.quiet]
command = ["sh", "-c", "echo bye; exec >&- 2>&-; exec sleep 1000"]
)");
  const pid_t pid = d.wait_running("quiet");
  REQUIRE(pid > 0);
  REQUIRE(eventually([&] { return d.read_log("quiet") == "bye\n"; }));
  const auto fds = list_fds(pid);
  CHECK(fds.count(1) == 0);
  CHECK(fds.count(2) == 0);
  const long long before = cpu_ticks(d.pid());
  REQUIRE(before >= 0);
  std::this_thread::sleep_for(5s);  // the window in which a busy loop would show
  const long long after = cpu_ticks(d.pid());
  const long long ticks = ::sysconf(_SC_CLK_TCK);
  INFO("supd used " << (after - before) << " ticks of " << ticks << " per second in 5 s");
  CHECK(after - before < ticks / 2);  // under 0.5 s of CPU in 5 s
  CHECK(d.state("quiet") == "running");
  CHECK(d.job_pid("quiet") == pid);
  d.finish();
}

// A missing subdirectory is made at start (log_dir_trust_test); a file in its place is refused.
TEST_CASE("R41 a job whose log dir is not a dir fails naming the path, others carry on",
          "[integration][output][R41]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.lost]
command = ["sleep", "1000"]
stdout = "afile/lost.out"
[jobs.blocked]
command = ["sleep", "1000"]
stdout = "afile/blocked.out"
autostart = false
[jobs.fine]
command = ["sleep", "1000"]
)",
               opts);
  write_file(d.log_dir() / "afile", "not a directory\n");
  d.start();
  const pid_t fine = d.wait_running("fine");
  REQUIRE(fine > 0);
  CHECK(eventually([&] { return d.state("lost") == "fatal"; }));
  const auto j = d.job("lost");
  REQUIRE(j);
  INFO(j->dump());
  REQUIRE((*j)["error"].is_string());
  CHECK(contains((*j)["error"].get<std::string>(), (d.log_dir() / "afile").string() + " is not a directory"));

  const auto r = d.ctl({"start", "blocked"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, (d.log_dir() / "afile").string() + " is not a directory"));
  CHECK(d.tagged() == std::vector<pid_t>{fine});  // neither failed job left a process
  CHECK(d.job_pid("fine") == fine);
  CHECK(d.ctl({"status"}).exit_code == kOk);
  d.finish();
}

TEST_CASE("R41 a job whose log dir is not writable fails naming the path, others carry on",
          "[integration][output][R41]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.ro]
command = ["sleep", "1000"]
stdout = "ro/ro.out"
autostart = false
[jobs.fine]
command = ["sleep", "1000"]
)",
               opts);
  // A read-only bind mount refuses writes to root as well as to an ordinary user.
  const auto ro = d.log_dir() / "ro";
  fs::create_directories(ro);
  if (::mount(ro.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    WARN("cannot bind-mount here (" << std::strerror(errno) << "; needs root): the unwritable case did not run");
    return;
  }
  struct Unmount {
    fs::path dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{ro};
  REQUIRE(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0);
  d.start();
  const pid_t fine = d.wait_running("fine");
  REQUIRE(fine > 0);
  const auto r = d.ctl({"start", "ro"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, (ro / "ro.out").string()));
  CHECK(d.job_pid("fine") == fine);
  CHECK(d.tagged() == std::vector<pid_t>{fine});
  d.finish();
}
