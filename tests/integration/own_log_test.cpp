// supd's own log (TESTPLAN R85 and issue 15's small items): it never blocks the loop, it
// cannot be forged by what a user passes, and it says who asked for a shutdown.
#include <cctype>
#include <cstdlib>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// Tiny shape checks instead of <regex>: g++ 12 warns falsely on <regex> under the sanitizers.
// Skips a run of digits at `i`; false when there is none.
bool skip_digits(const std::string& s, std::size_t& i, std::size_t at_least = 1) {
  const std::size_t from = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i - from >= at_least;
}

bool skip_text(const std::string& s, std::size_t& i, std::string_view text) {
  if (s.compare(i, text.size(), text) != 0) return false;
  i += text.size();
  return true;
}

// "2026-12-04 10:11:12.345 supd[42] info: ..." or "supd: 7 log lines dropped (...)".
bool whole_log_line(const std::string& line) {
  std::size_t i = 0;
  if (skip_text(line, i, "supd: ")) {
    return skip_digits(line, i) &&
           (skip_text(line, i, " log lines dropped") || skip_text(line, i, " log line dropped")) &&
           skip_text(line, i, " (stderr was not being read)") && i == line.size();
  }
  for (const char* sep : {"-", "-", " ", ":", ":", "."})
    if (!skip_digits(line, i) || !skip_text(line, i, sep)) return false;
  if (!skip_digits(line, i, 3) || !skip_text(line, i, " supd[") || !skip_digits(line, i) ||
      !skip_text(line, i, "] "))
    return false;
  const std::size_t word = i;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
  return i > word && skip_text(line, i, ":");
}

constexpr const char* kCrashLoop = R"(
[jobs.crashy]
command = ["@HELPERS@/crasher", "exit", "1"]
start_retries = 1000000
backoff_initial = "5ms"
backoff_max = "5ms"
)";

// The job's restarts, asked with a short deadline: a frozen supd answers nothing.
int restarts_of(TestDaemon& d, const std::string& job) {
  const auto r = d.ctl({"--json", "status", job}, 5s);
  if (r.exit_code != kOk) return -1;
  try {
    const auto doc = json::parse(r.out);
    for (const auto& row : doc.at("jobs"))
      if (row.at("name") == job) return row.at("restarts").get<int>();
  } catch (...) {
  }
  return -1;
}

// The open file description's flags of `fd` in `pid` (fdinfo's "flags:", octal).
long fd_flags(pid_t pid, int fd) {
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd))))
    if (line.rfind("flags:", 0) == 0) return std::stol(trim(line.substr(6)), nullptr, 8);
  return -1;
}

// Everything the FIFO holds now, without waiting.
std::string drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

struct Fifo {
  TempDir dir{"supd-fifo-"};
  int read_end = -1;
  int write_end = -1;
  Fifo() {
    const auto path = dir.path() / "stderr";
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    read_end = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // held, and not read
    write_end = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(read_end >= 0);
    REQUIRE(write_end >= 0);
    // The smallest pipe: full after a few dozen log lines, so the test stays short.
    ::fcntl(write_end, F_SETPIPE_SZ, 4096);
  }
  ~Fifo() {
    if (write_end >= 0) ::close(write_end);
    if (read_end >= 0) ::close(read_end);
  }
};

}  // namespace

TEST_CASE("R85 supd's stderr on a FIFO nobody reads: supd answers, stops on TERM, counts its dropped lines",
          "[integration][own_log][R85]") {
  Fifo fifo;
  DaemonOptions opts;
  opts.keep_fds = {{2, fifo.write_end}};  // supd's stderr is the FIFO; its stdout stays supd.output
  TestDaemon d(kCrashLoop, opts);
  ::close(fifo.write_end);
  fifo.write_end = -1;

  // Each restart logs a few lines: 400 are far more than the pipe and supd's 64 KiB backlog.
  int restarts = 0;
  CHECK(eventually([&] { return (restarts = restarts_of(d, "crashy")) >= 400; }, 60s));
  INFO("restarts seen: " << restarts);
  REQUIRE(restarts >= 400);
  const auto status = d.ctl({"status"}, 5s);
  CHECK(status.exit_code == kOk);
  // O_NONBLOCK is on supd's own description of the FIFO, not on the one it shares with us.
  const long flags = fd_flags(d.pid(), 2);
  CHECK(flags >= 0);
  CHECK((flags & O_NONBLOCK) == 0);

  // Reading again: what was kept comes out, then the count of what was not.
  std::string text;
  CHECK(eventually([&] {
    text += drain(fifo.read_end);
    return contains(text, "log lines dropped (stderr was not being read)");
  }, 20s));
  std::size_t torn = 0;
  for (const auto& line : split_lines(text)) torn += whole_log_line(line) ? 0 : 1;
  CHECK(torn == 0);

  // Unread again until the pipe and the backlog are full once more; SIGTERM still works.
  const int before = restarts_of(d, "crashy");
  CHECK(eventually([&] { return restarts_of(d, "crashy") >= before + 400; }, 60s));
  d.kill_daemon(SIGTERM);
  const auto st = d.wait_daemon_exit(20s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(exit_code_of(*st) == 0);
  CHECK_FALSE(fs::exists(d.socket()));
}

TEST_CASE("a newline in a run's arguments or directory cannot forge a line of supd's log",
          "[integration][own_log][issue15]") {
  TestDaemon d("");
  const auto dir = d.dir() / "odd\nsupd[1] error: forged dir";
  fs::create_directory(dir);
  const auto r = d.ctl({"run", "forge", "--directory", dir.string(), "--restart", "never", "--", "echo",
                        "a\nsupd[1] error: forged arg"});
  INFO(r.err);
  CHECK(r.exit_code == kOk);
  CHECK(eventually([&] { return contains(d.supd_output(), "forged arg"); }, 10s));
  const std::string out = d.supd_output();
  INFO("supd output:\n" << out);
  for (const auto& line : split_lines(out)) {
    CHECK_FALSE(line.rfind("supd[1] error: forged", 0) == 0);
  }
  CHECK(contains(out, "a\\x0asupd[1] error: forged arg"));
  CHECK(contains(out, "odd\\x0asupd[1] error: forged dir"));
  d.finish();
}

TEST_CASE("the shutdown line says who asked", "[integration][own_log][issue15]") {
  TestDaemon d("");
  const auto r = d.ctl({"shutdown"});
  CHECK(r.exit_code == kOk);
  REQUIRE(d.wait_daemon_exit(10s));
  const std::string out = d.supd_output();
  INFO(out);
  const std::string said = "shutdown requested by uid " + std::to_string(::getuid()) + " pid ";
  const auto at = out.find(said);
  REQUIRE(at != std::string::npos);
  std::size_t i = at + said.size();
  CHECK(skip_digits(out, i));
  CHECK(skip_text(out, i, " (supctl)"));
}

TEST_CASE("a foreground supd whose terminal closes goes on logging into the state dir's supd.log",
          "[integration][own_log][issue17]") {
  const auto [master, slave] = open_pty();
  REQUIRE(slave >= 0);
  DaemonOptions opts;
  opts.keep_fds = {{2, slave}};  // supd's stderr is a terminal, as when run by hand
  TestDaemon d("[jobs.j]\ncommand = [\"sleep\", \"1000\"]\n", opts);
  ::close(slave);
  REQUIRE(d.wait_running("j") > 0);
  ::close(master);  // the terminal window closes: writes to it fail with EIO from now on

  CHECK(d.ctl({"reload"}).exit_code == kOk);  // something supd logs
  const fs::path log = d.dir() / "state" / "supd" / "supd.log";
  CHECK(eventually([&] {
    const auto text = read_file(log);
    return contains(text, "its terminal is gone") && contains(text, "reload");
  }));
  CHECK(d.ctl({"status"}).exit_code == kOk);
  d.finish();
}
