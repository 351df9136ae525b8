// Issue 15, what supd trusts in its log dir (TESTPLAN R84, R87; docs/trust.md): a FIFO, a
// symlink or another user's file where a log goes is refused, naming it; so is a log dir another
// user owns or may write; subdirectories of a log path are made safely; a deleted live log is
// made again at once; `run --stdout` cannot write into another job's file. Tests that need a
// second user run as root and create (and remove) one.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/harness.hpp"
#include "tests/support/temp_user.hpp"

using namespace supd::test;

namespace {

// supd's flags with `log_dir` instead of the harness's own.
std::vector<std::string> flags_with_log_dir(const TestDaemon& d, const fs::path& log_dir) {
  return {"--config", d.config_path().string(), "--socket", d.socket().string(), "--log-dir", log_dir.string()};
}

std::string error_of(TestDaemon& d, std::string_view job) {
  const auto j = d.job(job);
  return j && (*j)["error"].is_string() ? (*j)["error"].get<std::string>() : "";
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

constexpr const char* kChatty = R"(
[jobs.f]
command = ["sh", "-c", """i=0; while [ $i -lt 3000 ]; do echo 'a line of output that fills a pipe soon enough'
i=$((i+1)); done; sleep 1000"""]
autostart = false
[jobs.fine]
command = ["sh", "-c", "echo fine; exec sleep 1000"]
)";

}  // namespace

TEST_CASE("R84 a FIFO where a job's log goes fails that job's start naming it, and supd keeps answering",
          "[integration][output][security][R84]") {
  TestDaemon d(kChatty);
  REQUIRE(d.wait_running("fine") > 0);
  const auto fifo = d.log_file("f");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

  const auto r = d.ctl({"start", "f"}, 20s);
  INFO(r.out << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, fifo.string() + " is a FIFO, not a regular file"));
  CHECK(contains(error_of(d, "f"), fifo.string()));
  CHECK(d.ctl({"status"}, 10s).exit_code == kOk);  // the loop never blocked in a write
  CHECK(d.tagged().size() == 1);                   // only `fine`: the refused job left nothing

  // The fix it names works: a regular file there, and the job writes into it.
  fs::remove(fifo);
  REQUIRE(d.ctl({"start", "f"}, 20s).exit_code == kOk);
  CHECK(eventually([&] { return count_occurrences(d.read_log("f"), "fills a pipe") == 3000; }, 20s));
  d.finish();
}

TEST_CASE("R87 a symlink or another user's file where a job's log goes is refused, nothing written through it",
          "[integration][output][security][R87]") {
  TestDaemon d(R"(
[jobs.link]
command = ["sh", "-c", "echo secret; exec sleep 1000"]
autostart = false
[jobs.theirs]
command = ["sh", "-c", "echo secret; exec sleep 1000"]
autostart = false
[jobs.sub]
command = ["sh", "-c", "echo secret; exec sleep 1000"]
stdout = "into/sub.out"
autostart = false
)");
  const auto target = d.dir() / "target";
  write_file(target, "");
  fs::create_symlink(target, d.log_file("link"));
  fs::create_directory(d.dir() / "elsewhere");
  fs::create_directory_symlink(d.dir() / "elsewhere", d.log_dir() / "into");
  struct Case {
    const char* job;
    fs::path named;
    const char* why;
  };
  std::vector<Case> cases{{"link", d.log_file("link"), "is a symlink"},
                          {"sub", d.log_dir() / "into", "is a symlink"}};
  std::optional<TempUser> other;
  if (is_root()) {
    other.emplace();
    write_file(d.log_file("theirs"), "");
    other->owns(d.log_file("theirs"));
    cases.push_back({"theirs", d.log_file("theirs"), "belongs to uid"});
  } else {
    WARN("SKIP: another user's file needs root to make");
  }
  for (const auto& c : cases) {
    const auto r = d.ctl({"start", c.job}, 20s);
    INFO(c.job << ": " << r.out << r.err);
    CHECK(r.exit_code == kRefused);
    CHECK(is_one_line(r.err));
    CHECK(contains(r.err, c.named.string() + " " + c.why));
  }
  CHECK(read_file(target).empty());
  CHECK(fs::is_empty(d.dir() / "elsewhere"));
  if (other) CHECK(read_file(d.log_file("theirs")).empty());
  CHECK(d.tagged().empty());
  d.finish();
}

TEST_CASE("R87 a log dir that is a symlink, or that another user owns or may write, is refused at start",
          "[integration][security][R87]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("[jobs.j]\ncommand = [\"sh\", \"-c\", \"echo secret; exec sleep 1000\"]\n", opts);
  struct Case {
    fs::path log_dir;
    std::vector<std::string> says;
  };
  std::vector<Case> cases;

  const auto real = d.dir() / "real";
  fs::create_directory(real);
  fs::create_directory_symlink(real, d.dir() / "link");
  cases.push_back(
      {d.dir() / "link", {"log dir " + (d.dir() / "link").string() + " is a symlink (to " + real.string()}});

  const auto open = d.dir() / "open";
  fs::create_directory(open);
  fs::permissions(open, fs::perms(0777));
  cases.push_back({open, {"log dir " + open.string() + " is writable by group or others (mode 0777)",
                          "fix it with: chmod go-w " + open.string()}});

  std::optional<TempUser> other;
  if (is_root()) {
    other.emplace();
    // Their dir as the log dir: they could plant a FIFO and read the jobs' output.
    const auto theirs = d.dir() / "theirs";
    fs::create_directory(theirs);
    other->owns(theirs);
    cases.push_back({theirs, {"log dir " + theirs.string() + " belongs to uid " + std::to_string(other->uid()) +
                                  " (" + other->name() + ")",
                              "chown 0 " + theirs.string()}});
    // Their dir above it: they could rename ours away and put theirs in its place.
    const auto above = d.dir() / "above";
    fs::create_directories(above / "logs");
    other->owns(above);
    cases.push_back({above / "logs", {above.string() + " above it belongs to uid " + std::to_string(other->uid())}});
    // In a sticky dir (others cannot replace what is ours), a symlink they planted first.
    const auto sticky = d.dir() / "sticky";
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms(01777));
    fs::create_directory_symlink(real, sticky / "planted");
    other->owns(sticky / "planted");
    cases.push_back(
        {sticky / "planted" / "logs", {(sticky / "planted").string() + " above it is a symlink owned by uid"}});
  } else {
    WARN("SKIP: a log dir of another user's needs root to make");
  }

  for (const auto& c : cases) {
    const auto r = d.run_supd(flags_with_log_dir(d, c.log_dir), 10s);
    INFO(c.log_dir << ": " << r.out << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);
    CHECK(is_one_line(r.err));
    for (const auto& s : c.says) CHECK(contains(r.err, s));
    CHECK_FALSE(fs::exists(d.socket()));
  }
  CHECK(fs::is_empty(real));  // nothing was made or written through a link
}

TEST_CASE("R87 a sticky world-writable dir above the log dir is fine and what supd makes is 0700",
          "[integration][security][R87]") {
  DaemonOptions opts;
  opts.start = false;
  opts.pass_log_dir = false;  // the XDG default state/supd/logs, below a sticky, world-writable state/ (as /tmp)
  TestDaemon d("[jobs.j]\ncommand = [\"sh\", \"-c\", \"echo hello; exec sleep 1000\"]\n", opts);
  fs::permissions(d.dir() / "state", fs::perms(01777));
  d.start();
  CHECK(eventually([&] { return d.read_log("j") == "hello\n"; }));
  CHECK(mode_of(d.dir() / "state" / "supd") == 0700);
  CHECK(mode_of(d.log_dir()) == 0700);
  d.finish();
}

TEST_CASE("stdout in a subdirectory of the log dir: the subdirectories are made 0700 at start",
          "[integration][output][security]") {
  TestDaemon d(R"(
[jobs.deep]
command = ["sh", "-c", "echo deep; exec sleep 1000"]
stdout = "sub/deeper/deep.out"
)");
  const auto file = d.log_dir() / "sub" / "deeper" / "deep.out";
  CHECK(d.wait_running("deep") > 0);
  CHECK(eventually([&] { return read_file(file) == "deep\n"; }));
  CHECK(mode_of(d.log_dir() / "sub") == 0700);
  CHECK(mode_of(d.log_dir() / "sub" / "deeper") == 0700);
  d.finish();
}

TEST_CASE("a live log file deleted or moved out of the log dir is made again at once, and supd says so",
          "[integration][output][R38]") {
  // No rotation (log_max_size = 0): before, nothing made the file again until `logs --reopen`.
  TestDaemon d(R"(
[jobs.w]
command = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done"]
log_max_size = 0
stop_signal = "KILL"
)");
  const pid_t pid = d.wait_running("w");
  REQUIRE(pid > 0);
  const auto live = d.log_file("w");
  REQUIRE(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }));

  fs::remove(live);
  CHECK(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }, 10s));
  const auto said = live.string() + ": the live log file was deleted; created it again (written by job w)";
  CHECK(eventually([&] { return contains(d.supd_output(), said); }));

  const auto moved = d.dir() / "moved.out";  // outside the log dir
  fs::rename(live, moved);
  CHECK(eventually([&] { return fs::exists(live) && fs::file_size(live) > 0; }, 10s));
  CHECK(eventually([&] { return contains(d.supd_output(), "the live log file was moved out of the log dir"); }));
  CHECK(d.job_pid("w") == pid);  // the job never blocked nor restarted
  REQUIRE(d.ctl({"stop", "w"}).exit_code == kOk);
  // Every line is in the moved file or the new one, in order, none lost across the switch.
  const auto lines = split_lines(read_file(moved) + read_file(live));
  REQUIRE(!lines.empty());
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(i);
    REQUIRE(std::stol(lines[i]) == std::stol(lines[i - 1]) + 1);
  }
  d.finish();
}

TEST_CASE("run --stdout into a file another job writes is refused, naming that job",
          "[integration][run][security]") {
  TestDaemon d(R"(
[jobs.cfg]
command = ["sleep", "1000"]
autostart = false
[jobs.named]
command = ["sleep", "1000"]
stdout = "adhoc.out"
autostart = false
)");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{"run", "x", "--stdout", "cfg.out", "--", "sleep", "1000"}, "cfg.out is already written by job 'cfg'"},
      {{"run", "x", "--stdout", "./cfg.out", "--", "sleep", "1000"}, "cfg.out is already written by job 'cfg'"},
      {{"run", "adhoc", "--", "sleep", "1000"}, "adhoc.out is already written by job 'named'"},
  };
  for (const auto& c : cases) {
    const auto r = d.ctl(c.args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kRefused);
    CHECK(is_one_line(r.err));
    CHECK(contains(r.err, c.says));
  }
  CHECK(d.tagged().empty());
  CHECK_FALSE(d.job("x"));
  // A file of its own is fine.
  CHECK(d.ctl({"run", "x", "--stdout", "x-own.out", "--", "sleep", "1000"}).exit_code == kOk);
  d.finish();
}
