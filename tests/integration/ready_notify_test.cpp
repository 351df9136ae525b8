// ready = "notify" (issue 5): the job gets its own NOTIFY_SOCKET and counts as running on
// READY=1, not after start_secs. The notifier helper sends READY=1 when the test creates a
// file, so the test decides when readiness comes.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

// The value of NAME in /proc/PID/environ, "" when it is not set.
std::string environ_value(pid_t pid, const std::string& name) {
  const auto env = read_file("/proc/" + std::to_string(pid) + "/environ");
  std::size_t begin = 0;
  while (begin < env.size()) {
    const auto end = std::min(env.find('\0', begin), env.size());
    const auto kv = env.substr(begin, end - begin);
    if (kv.rfind(name + "=", 0) == 0) return kv.substr(name.size() + 1);
    begin = end + 1;
  }
  return {};
}

// Sends one datagram to a Unix socket path, as sd_notify does; the sender is this test.
bool send_datagram(const std::string& path, const std::string& text) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
                  static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("ready = notify: starting until READY=1, then running", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.svc]
command = ["@HELPERS@/notifier", "-w", "@DIR@/go", "-s", "listening on 8080"]
ready = "notify"
start_secs = "100ms"  # long passed while it still waits: start_secs plays no part
)");
  REQUIRE(eventually([&] { return contains(d.read_log("svc"), "waiting"); }));
  const pid_t pid = d.job_pid("svc");
  REQUIRE(pid > 0);
  CHECK(d.state("svc") == "starting");

  // The socket: in a 0700 directory beside the control socket, named after the job.
  const auto socket_path = environ_value(pid, "NOTIFY_SOCKET");
  CHECK(socket_path == d.socket().string() + ".notify/svc");
  struct stat st {};
  REQUIRE(::lstat((d.socket().string() + ".notify").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(socket_path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));

  // READY=1 from a process outside the job (this test) is ignored, and says so in the events.
  REQUIRE(send_datagram(socket_path, "READY=1"));
  CHECK(eventually([&] { return contains(d.ctl({"events", "svc"}).out, "not a process of the job"); }));
  CHECK(d.state("svc") == "starting");

  write_file(d.dir() / "go", "");
  CHECK(d.wait_state("svc", "running"));
  CHECK(contains(d.read_log("svc"), "sent READY=1"));
  CHECK(d.job_pid("svc") == pid);
  const auto j = d.job("svc");
  REQUIRE(j);
  INFO(j->dump());
  CHECK((*j)["status_text"] == "listening on 8080");
  CHECK(contains(d.ctl({"events", "svc"}).out, "starting -> running: started (READY=1)"));
  d.check_invariants();
  d.finish();
  CHECK_FALSE(fs::exists(socket_path));  // supd removes its sockets when it exits
  CHECK_FALSE(fs::exists(d.socket().string() + ".notify"));
}

TEST_CASE("ready = notify: supctl start returns once READY=1 came", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.svc]
command = ["@HELPERS@/notifier", "-d", "300"]
ready = "notify"
autostart = false
start_secs = "0"
)");
  const auto r = d.ctl({"start", "svc"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  // Settled means READY=1: by the time start answered, the job had sent it.
  CHECK(d.state("svc") == "running");
  // The helper prints its line after sending READY=1, so the line may reach the log a moment
  // after supd saw the notification.
  CHECK(eventually([&] { return contains(d.read_log("svc"), "sent READY=1"); }));
  d.finish();
}

TEST_CASE("ready = notify: READY=1 from another process of the job's group counts", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.svc]
command = ["@HELPERS@/notifier", "-c", "-w", "@DIR@/go"]
ready = "notify"
)");
  REQUIRE(eventually([&] { return contains(d.read_log("svc"), "waiting"); }));
  CHECK(d.state("svc") == "starting");
  write_file(d.dir() / "go", "");
  CHECK(d.wait_state("svc", "running"));
  CHECK(contains(d.read_log("svc"), "sent READY=1 from a child"));
  d.finish();
}

TEST_CASE("ready = notify: an exit before READY=1 is a failed start", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.svc]
command = ["@HELPERS@/notifier", "-w", "@DIR@/go", "-e", "0"]
ready = "notify"
autostart = false
start_retries = 1
backoff_initial = "50ms"
)");
  write_file(d.dir() / "go", "");  // each run exits 0 at once, never having sent READY=1
  const auto r = d.ctl({"start", "svc"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_one_line(r.err));
  const auto j = d.job("svc");
  REQUIRE(j);
  INFO(j->dump());
  CHECK((*j)["state"] == "fatal");
  CHECK(contains((*j)["error"].get<std::string>(), "exited 0 before READY=1"));
  CHECK((*j)["restarts"] == 1);
  d.finish();
}

TEST_CASE("NOTIFY_SOCKET is set only for notify jobs", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.plain]
command = ["@HELPERS@/probe", "-o", "@DIR@/plain.txt", "NOTIFY_SOCKET"]
start_secs = "0"

[jobs.noisy]
command = ["@HELPERS@/probe", "-o", "@DIR@/noisy.txt", "NOTIFY_SOCKET"]
ready = "notify"
)");
  REQUIRE(eventually([&] { return fs::exists(d.dir() / "plain.txt") && fs::exists(d.dir() / "noisy.txt"); }));
  CHECK(contains(read_file(d.dir() / "plain.txt"), "env: NOTIFY_SOCKET unset"));
  CHECK(contains(read_file(d.dir() / "noisy.txt"), "env: NOTIFY_SOCKET=" + d.socket().string() + ".notify/noisy"));
  CHECK(d.state("plain") == "running");
  CHECK(d.state("noisy") == "starting");  // the probe never says READY=1
  d.finish();
}

TEST_CASE("ready: a bad value is a config error naming the allowed ones", "[integration][notify]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(R"(
[jobs.svc]
command = ["sleep", "1000"]
ready = "sd_notify"
)", opts);
  const auto r = d.run_supd({"--check", "--config", d.config_path().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "supd.toml:4:9: ready: unknown mode \"sd_notify\" (use \"start_secs\", \"notify\" or \"listen\")"));
}

TEST_CASE("reload: changing ready restarts the job", "[integration][notify]") {
  TestDaemon d(R"(
[jobs.svc]
command = ["@HELPERS@/notifier"]
start_secs = "0"
)");
  const pid_t before = d.wait_running("svc");
  REQUIRE(before > 0);
  CHECK(environ_value(before, "NOTIFY_SOCKET").empty());
  write_file(d.config_path(), d.expand(R"(
[jobs.svc]
command = ["@HELPERS@/notifier"]
start_secs = "0"
ready = "notify"
)"), fs::perms(0600));
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "ready"));
  const pid_t after = d.wait_new_pid("svc", before);  // it sends READY=1 at once
  REQUIRE(after > 0);
  CHECK(environ_value(after, "NOTIFY_SOCKET") == d.socket().string() + ".notify/svc");
  d.finish();
}
