// supd itself: reachability, a second instance, a stale socket, --check, --detach, modes
// (TESTPLAN R24, R25, R28, R29, R59, R71).

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr const char* kIdleConfig = R"(
[jobs.idle]
command = ["sleep", "1000"]
autostart = false
)";

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode;
}

}  // namespace

TEST_CASE("supctl without a daemon exits 3 with one line", "[integration][daemon][R59]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kIdleConfig, opts);
  for (const auto& args : std::vector<std::vector<std::string>>{{"status"}, {"stop", "idle"}, {"shutdown"}}) {
    INFO(args[0]);
    const auto r = d.ctl(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == kUnreachable);
    CHECK(is_one_line(r.err));
    CHECK(r.out.empty());
  }
}

TEST_CASE("R59 supctl against a socket nobody listens on exits 3", "[integration][daemon][R59]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kIdleConfig, opts);
  // A socket file left behind: bound, never listening (connect gives ECONNREFUSED).
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d.socket().c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  REQUIRE(fs::exists(d.socket()));
  const auto r = d.ctl({"status"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kUnreachable);
  CHECK(is_one_line(r.err));
}

TEST_CASE("R59 a SIGSTOPped supd makes supctl exit 3 after its timeout and SIGCONT heals", "[integration][daemon][R59]") {
  TestDaemon d(kIdleConfig);
  d.kill_daemon(SIGSTOP);
  REQUIRE(eventually([&] {
    const auto s = proc_stat(d.pid());
    return s && s->state == 'T';
  }));
  const auto r = d.ctl({"--timeout", "1s", "status"});
  INFO(r.out << r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == kUnreachable);
  CHECK(is_one_line(r.err));
  d.kill_daemon(SIGCONT);
  CHECK(eventually([&] { return d.ctl({"status"}).exit_code == kOk; }));
  d.finish();
}

TEST_CASE("R24 a stale socket left by a SIGKILLed supd is replaced", "[integration][daemon][R24]") {
  TestDaemon d(kIdleConfig);
  const pid_t first = d.pid();
  d.kill_daemon(SIGKILL);
  REQUIRE(d.wait_daemon_exit(10s));
  CHECK(fs::exists(d.socket()));  // nobody removed it
  CHECK(d.ctl({"status"}).exit_code == kUnreachable);
  d.start();
  CHECK(d.pid() != first);
  CHECK(d.ctl({"status"}).exit_code == kOk);
  CHECK(d.ctl({"start", "idle"}).exit_code == kOk);
  d.finish();
}

TEST_CASE("started by hand, supd does not load libsystemd", "[integration][daemon]") {
  // notify.cpp loads it only when systemd passed WATCHDOG_USEC or LISTEN_FDS (memory: the
  // library and the six it pulls in); the systemd test covers the loaded side.
  TestDaemon d(kIdleConfig);
  REQUIRE(d.ctl({"start", "idle"}).exit_code == kOk);
  const std::string maps = read_file("/proc/" + std::to_string(d.pid()) + "/maps");
  REQUIRE_FALSE(maps.empty());
  CHECK(maps.find("libsystemd") == std::string::npos);
  d.finish();
}

TEST_CASE("R25 a second supd on a live socket refuses and names the running one", "[integration][daemon][R25]") {
  TestDaemon d(R"(
[jobs.once]
command = ["sh", "-c", "echo x >> @DIR@/starts; exec sleep 1000"]
)");
  const pid_t job = d.wait_running("once");
  REQUIRE(job > 0);
  struct stat before {};
  REQUIRE(::stat(d.socket().c_str(), &before) == 0);

  const auto second = d.run_supd(d.supd_flags(), 30s);
  INFO("second supd: exit " << second.exit_code << "\nout: " << second.out << "\nerr: " << second.err);
  CHECK_FALSE(second.timed_out);
  CHECK(second.exit_code != 0);
  CHECK(is_one_line(second.err));
  CHECK((contains(second.err, d.socket().string()) || contains(second.err, std::to_string(d.pid()))));

  struct stat after {};
  REQUIRE(::stat(d.socket().c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(d.ctl({"status"}).exit_code == kOk);
  CHECK(d.job_pid("once") == job);
  CHECK(split_lines(read_file(d.dir() / "starts")).size() == 1);
  CHECK(d.tagged() == std::vector<pid_t>{job});  // the second supd started nothing
  d.finish();
}

TEST_CASE("R28 supd --check accepts a valid config and reports every error as file:line:col", "[integration][daemon][R28][R61]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kIdleConfig, opts);
  const auto ok = d.run_supd({"--check", "--config", d.config_path().string()});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  // An autostart job in a valid config: --check opens no socket and starts nothing.
  write_file(d.dir() / "good.toml", "[jobs.a]\ncommand = [\"sleep\", \"1000\"]\n");
  const auto good = d.run_supd({"--check", "--config", (d.dir() / "good.toml").string(), "--socket",
                                d.socket().string(), "--log-dir", d.log_dir().string()});
  INFO(good.out << good.err);
  CHECK(good.exit_code == 0);
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.tagged().empty());

  const auto bad_path = d.dir() / "bad.toml";
  write_file(bad_path,
             "[jobs.a]\n"
             "command = [\"sleep\", \"1\"]\n"
             "restrat = \"always\"\n"
             "stop_timeout = \"10 parsecs\"\n");
  const auto bad = d.run_supd({"--check", "--config", bad_path.string()});
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 1);
  // "bad.toml:LINE:COL: message" (no <regex>: g++ 12 warns falsely on it under the sanitizers)
  const auto located = [](const std::string& line) {
    const auto at = line.find("bad.toml:");
    if (at == std::string::npos) return false;
    std::size_t i = at + 9;
    for (int field = 0; field < 2; ++field) {
      const std::size_t digits = i;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
      if (i == digits || i >= line.size() || line[i] != ':') return false;
      ++i;
    }
    return line.compare(i, 1, " ") == 0 && i + 1 < line.size();
  };
  std::size_t located_lines = 0;
  for (const auto& line : split_lines(bad.err + bad.out))
    if (located(line)) ++located_lines;
  CHECK(located_lines >= 2);  // both problems, in one pass
  CHECK(contains(bad.err + bad.out, "bad.toml:3:"));
  CHECK(contains(bad.err + bad.out, "bad.toml:4:"));

  // supd without --check refuses the same file and starts nothing.
  const auto refused = d.run_supd({"--config", bad_path.string(), "--socket", d.socket().string(), "--log-dir",
                                   d.log_dir().string()});
  CHECK(refused.exit_code != 0);
  CHECK_FALSE(refused.timed_out);
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.tagged().empty());
}

TEST_CASE("R29 supd --detach returns once it answers and lives on its own", "[integration][daemon][R29]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.idle]
command = ["sleep", "1000"]
)",
               opts);
  auto flags = d.supd_flags();
  flags.push_back("--detach");
  const auto r = d.run_supd(flags, 30s);
  INFO(r.out << r.err);
  CHECK_FALSE(r.timed_out);  // it does not hold the caller's stdout/stderr open
  REQUIRE(r.exit_code == 0);
  CHECK(d.ctl({"status"}).exit_code == kOk);  // answering already

  const auto supd_exe = fs::canonical(SUPD_BIN).string();
  std::vector<pid_t> daemons;
  for (pid_t p : d.tagged())
    if (exe_of(p) == supd_exe) daemons.push_back(p);
  INFO(describe_processes(d.tagged()));
  REQUIRE(daemons.size() == 1);
  const pid_t supd = daemons[0];
  const auto st = proc_stat(supd);
  REQUIRE(st);
  CHECK(st->ppid != ::getpid());  // not our child
  CHECK(st->sid != proc_stat(::getpid())->sid);
  CHECK(st->tty_nr == 0);
  const auto fds = list_fds(supd);
  CHECK((fds.count(0) && fds.at(0) == "/dev/null"));

  CHECK(d.wait_running("idle") > 0);
  const auto down = d.ctl({"shutdown"});
  INFO(down.out << down.err);
  CHECK(down.exit_code == kOk);
  CHECK(eventually([&] { return !process_alive(supd); }));
  CHECK_FALSE(fs::exists(d.socket()));
  CHECK(d.tagged().empty());
}

TEST_CASE("R71 under umask 000 the runtime dir is 0700 the socket 0600 and logs not writable by others",
          "[integration][daemon][R71]") {
  DaemonOptions opts;
  opts.umask = 0;
  opts.pass_socket = false;   // the default: $XDG_RUNTIME_DIR/supd/supd.sock
  opts.pass_log_dir = false;  // the default: $XDG_STATE_HOME/supd/logs
  TestDaemon d(R"(
[jobs.hi]
command = ["echo", "hi"]
restart = "never"
start_secs = 0
)",
               opts);
  REQUIRE(d.wait_state("hi", "exited"));
  const auto rundir = d.dir() / "run" / "supd";
  CHECK((mode_of(rundir) & 07777) == 0700);
  CHECK(S_ISDIR(mode_of(rundir)));
  CHECK(S_ISSOCK(mode_of(d.socket())));
  CHECK((mode_of(d.socket()) & 0777) == 0600);
  struct stat st {};
  REQUIRE(::stat(d.socket().c_str(), &st) == 0);
  CHECK(st.st_uid == ::getuid());
  REQUIRE(fs::exists(d.log_file("hi")));
  CHECK((mode_of(d.log_file("hi")) & 0022) == 0);
  CHECK((mode_of(d.log_dir()) & 0022) == 0);
  CHECK(d.read_log("hi") == "hi\n");
  d.finish();
}

TEST_CASE("R65 supd --check on a FIFO a directory /dev/zero or a dangling symlink fails without hanging",
          "[integration][daemon][R65]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kIdleConfig, opts);
  const auto fifo = d.dir() / "fifo.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto dir = d.dir() / "dir.toml";
  fs::create_directory(dir);
  const auto zero = d.dir() / "zero.toml";
  fs::create_symlink("/dev/zero", zero);
  const auto dangling = d.dir() / "dangling.toml";
  fs::create_symlink(d.dir() / "nothing-here", dangling);
  for (const auto& path : {fifo, dir, zero, dangling}) {
    INFO(path);
    const auto r = d.run_supd({"--check", "--config", path.string()}, 15s);
    INFO(r.out << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, path.filename().string()));
  }
}
