// Issue 7, security: who may talk to supd, which files it trusts, and what one client can do
// to the others. A real supd in a temp dir each; tests that need root say SKIP otherwise.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/support/harness.hpp"
#include "tests/support/temp_user.hpp"

using namespace supd::test;

namespace {

constexpr const char* kSecurityConfig = R"(
[jobs.j]
command = ["sleep", "1000"]
)";

constexpr uid_t kNobody = 65534;

std::vector<std::string> concat_flags(std::vector<std::string> flags, const std::string& more) {
  flags.push_back(more);
  return flags;
}

// supd's flags with another config or socket than the harness's own.
std::vector<std::string> flags_for(const TestDaemon& d, const fs::path& config, const fs::path& socket) {
  return {"--config", config.string(), "--socket", socket.string(), "--log-dir", d.log_dir().string()};
}

std::string status_line(int id) { return R"({"id":)" + std::to_string(id) + R"(,"method":"status"})" "\n"; }

// What a client running as uid 65534 saw: "connect: <errno name>" or the first line supd sent
// (or "eof" / "timeout"). Forked, so the test process keeps its own uid.
std::string as_nobody_connect_and_ask(const fs::path& socket) {
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto report = [&](const std::string& what) {
      [[maybe_unused]] auto n = ::write(pipe_fds[1], what.data(), what.size());
      ::_exit(0);
    };
    if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) report("setuid failed");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      report(std::string("connect: ") + (errno == EACCES ? "EACCES" : std::strerror(errno)));
    const std::string req = status_line(1);
    [[maybe_unused]] auto w = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string got;
    pollfd p{fd, POLLIN, 0};
    char buf[4096];
    while (got.find('\n') == std::string::npos && ::poll(&p, 1, 10000) == 1) {
      const auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) report(got.empty() ? "eof" : got);
      got.append(buf, static_cast<std::size_t>(n));
    }
    report(got.empty() ? "timeout" : got.substr(0, got.find('\n')));
  }
  ::close(pipe_fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return out;
}

// The server closed the connection (POLLHUP), found without reading a byte of what it sent.
bool hung_up(int fd) {
  pollfd p{fd, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

}  // namespace

TEST_CASE("a runtime dir other users can enter is refused, naming the path and the fix", "[integration][security]") {
  DaemonOptions opts;
  opts.start = false;
  opts.pass_socket = false;  // the XDG default: run/supd/ is supd's own dir, it must be 0700
  TestDaemon d(kSecurityConfig, opts);
  const fs::path run_dir = d.socket().parent_path();
  fs::create_directory(run_dir);
  fs::permissions(run_dir, fs::perms(0755));
  const auto r = d.run_supd(d.supd_flags());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "runtime dir " + run_dir.string() + " has mode 0755"));
  CHECK(contains(r.err, "chmod 700 " + run_dir.string()));
  CHECK_FALSE(fs::exists(d.socket()));

  // The fix it names works.
  fs::permissions(run_dir, fs::perms(0700));
  d.start();
  d.finish();
}

TEST_CASE("a --socket dir anyone may write is refused with the chmod that fixes it", "[integration][security]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kSecurityConfig, opts);
  const fs::path open_dir = d.dir() / "open";
  fs::create_directory(open_dir);
  fs::permissions(open_dir, fs::perms(0777));
  const auto r = d.run_supd(flags_for(d, d.config_path(), open_dir / "supd.sock"));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "socket dir " + open_dir.string() + " is writable by others"));
  CHECK(contains(r.err, "chmod go-w " + open_dir.string()));
  CHECK_FALSE(fs::exists(open_dir / "supd.sock"));
}

TEST_CASE("a client with another uid is refused with permission_denied, and supd logs it", "[integration][security][R72]") {
  if (!is_root()) {
    WARN("SKIP: needs root to run a client as uid 65534");
    return;
  }
  TestDaemon d(kSecurityConfig);
  REQUIRE(d.wait_running("j") > 0);

  // As set up, the modes alone keep uid 65534 out: it cannot even connect.
  CHECK(as_nobody_connect_and_ask(d.socket()) == "connect: EACCES");

  // Loosened by hand after start (supd checks the modes only then): SO_PEERCRED still refuses.
  fs::permissions(d.dir(), fs::perms(0711));
  fs::permissions(d.socket().parent_path(), fs::perms(0711));
  fs::permissions(d.socket(), fs::perms(0666));
  const std::string answer = as_nobody_connect_and_ask(d.socket());
  fs::permissions(d.socket(), fs::perms(0600));
  fs::permissions(d.socket().parent_path(), fs::perms(0700));
  fs::permissions(d.dir(), fs::perms(0700));
  INFO("uid 65534 got: " << answer);
  const auto reply = json::parse(answer, nullptr, false);
  REQUIRE(reply.is_object());
  CHECK(reply["ok"] == false);
  CHECK(reply["error"]["code"] == "permission_denied");
  CHECK(reply["id"].is_null());  // refused before any request was read
  CHECK(eventually([&] { return contains(d.supd_output(), "refused a client with uid 65534"); }));
  CHECK(d.job_pid("j") > 0);  // nothing happened to the job
  d.finish();
}

TEST_CASE("a config file group or others may write is refused, unless explicitly allowed", "[integration][security][R73]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kSecurityConfig, opts);
  const std::string config = d.config_path().string();

  for (const auto mode : {0664, 0646}) {
    fs::permissions(d.config_path(), fs::perms(mode));
    for (const bool check : {true, false}) {
      auto flags = d.supd_flags();
      if (check) flags.push_back("--check");
      const auto r = d.run_supd(flags);
      INFO("mode " << std::oct << mode << std::dec << (check ? " --check" : "") << "\n" << r.out << r.err);
      CHECK(r.exit_code == 1);
      const auto lines = split_lines(r.err);
      REQUIRE_FALSE(lines.empty());
      CHECK(contains(lines[0], config + ": writable by group or others"));
      CHECK(contains(lines[0], "chmod go-w " + config));
      CHECK_FALSE(fs::exists(d.socket()));
      CHECK(d.tagged().empty());
    }
  }
  // Root is not exempt (this test usually runs as root); the opt-out is a flag, never the file.
  d.spawn_supd({"--allow-insecure-config"});
  REQUIRE(d.wait_ready());
  CHECK(d.wait_running("j") > 0);
  d.finish();
}

TEST_CASE("a config file owned by another user is refused", "[integration][security][R73]") {
  if (!is_root()) {
    WARN("SKIP: needs root to give the config to uid 65534");
    return;
  }
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kSecurityConfig, opts);
  REQUIRE(::chown(d.config_path().c_str(), kNobody, kNobody) == 0);
  const auto r = d.run_supd(d.supd_flags());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, d.config_path().string() + ": owned by uid 65534"));
  CHECK(contains(r.err, "chown 0 " + d.config_path().string()));
}

TEST_CASE("job names and output files cannot leave the log dir", "[integration][security][R63]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d(kSecurityConfig, opts);
  struct Case {
    const char* toml;
    const char* message;
  };
  const Case cases[] = {
      {"[jobs.\"../escape\"]\ncommand = \"true\"\n", "job name \"../escape\""},
      {"[jobs.\"..\"]\ncommand = \"true\"\n", R"("." and ".." are reserved)"},
      {"[jobs.a]\ncommand = \"true\"\nstdout = \"../../etc/x\"\n", "stdout: must stay inside log_dir"},
      {"[jobs.a]\ncommand = \"true\"\nstderr = \"sub/../../x\"\n", "stderr: must stay inside log_dir"},
      {"[jobs.a]\ncommand = \"true\"\nstdout = \"/etc/x\"\n", "stdout: must be a file name relative to log_dir"},
  };
  for (const auto& c : cases) {
    const fs::path file = d.dir() / "escape.toml";
    write_file(file, c.toml);
    const auto r = d.run_supd(flags_for(d, file, d.socket()));
    INFO(c.toml << "\n" << r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, c.message));
    CHECK_FALSE(fs::exists(d.socket()));
  }
  CHECK_FALSE(fs::exists(d.dir() / "escape.out"));
  CHECK_FALSE(fs::exists(d.dir() / "x"));
}

TEST_CASE("a client flooding requests does not starve another one", "[integration][security][R54]") {
  TestDaemon d(kSecurityConfig);
  REQUIRE(d.wait_running("j") > 0);
  constexpr int kFlood = 50000;
  RawClient flood(d.socket());
  REQUIRE(flood.connected());
  std::atomic<int> answered{0};
  std::atomic<bool> stop{false};
  // The flooder reads its answers (a heavy client, not a stuck one) and pipelines all requests.
  std::thread reader([&] {
    while (!stop && answered < kFlood && flood.read_line(30s)) ++answered;
  });
  std::thread writer([&] {
    std::string batch;
    for (int i = 1; i <= kFlood && !stop; ++i) {
      batch += status_line(i);
      if (batch.size() > 64 * 1024 || i == kFlood) {
        if (!flood.send(batch)) break;
        batch.clear();
      }
    }
  });
  REQUIRE(eventually([&] { return answered > 100; }));
  // Another client is served while the flood is still being answered.
  const auto r = d.ctl({"status"}, 30s);
  const int answered_then = answered;
  stop = true;
  ::shutdown(flood.fd(), SHUT_RDWR);  // wakes the writer and the reader
  writer.join();
  reader.join();
  flood.close();
  INFO(r.out << r.err << "flood answers when status returned: " << answered_then);
  CHECK(r.exit_code == kOk);
  CHECK(answered_then < kFlood);
  d.finish();
}

TEST_CASE("a client that never reads its replies cannot block supd, is dropped, and supd's RSS stays bounded",
          "[integration][security][R54]") {
  // Several jobs make each status reply a few KiB, so the unread outbox fills quickly.
  std::string config;
  for (int i = 0; i < 16; ++i) config += "[jobs.j" + std::to_string(i) + "]\ncommand = [\"sleep\", \"1000\"]\n";
  TestDaemon d(config);
  REQUIRE(d.wait_running("j15") > 0);
  const long rss_before = memory_kib(d.pid(), "VmRSS");
  RawClient stuck(d.socket());
  REQUIRE(stuck.connected());
  REQUIRE(::fcntl(stuck.fd(), F_SETFL, O_NONBLOCK) == 0);

  // Send requests until supd stops taking them (its outbox for us is full) or drops us.
  std::string pending;
  int id = 0;
  bool blocked = false;
  Deadline fill(60s);
  while (!fill.passed() && !hung_up(stuck.fd())) {
    if (pending.empty()) pending = status_line(++id);
    const auto n = ::send(stuck.fd(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      pending.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN) break;  // EPIPE: already dropped
    blocked = true;
    pollfd p{stuck.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 2000) == 0) break;  // supd reads no more from us
  }
  INFO("requests sent: " << id);
  CHECK(blocked);
  const long rss_blocked = memory_kib(d.pid(), "VmRSS");
  // supd goes on serving everyone else meanwhile...
  CHECK(d.ctl({"status"}, 10s).exit_code == kOk);
  CHECK(d.ctl({"pid", "j3"}, 10s).exit_code == kOk);
  // ...and drops the client that reads nothing (its stall timeout is 10 s).
  CHECK(eventually([&] { return hung_up(stuck.fd()); }, 40s));
  CHECK(eventually([&] { return contains(d.supd_output(), "disconnecting it"); }));
  // RSS bounded: the unread replies stop at the outbox cap (8 MiB) and the requests stay in
  // the kernel's socket buffer, so supd's peak stays within a generous 32 MiB of its start.
  const long peak = memory_kib(d.pid(), "VmHWM");
  INFO("supd RSS before " << rss_before << " KiB, while blocked " << rss_blocked << " KiB, peak " << peak << " KiB");
  CHECK(rss_before > 0);
  if (kRssMeasuresUse) CHECK(peak - rss_before < 32 * 1024);
  stuck.close();
  d.finish();
}

TEST_CASE("R73 a reload refuses a config file or directory others may write, and --check says so",
          "[integration][security][R73]") {
  TestDaemon d(kSecurityConfig);
  const pid_t job = d.wait_running("j");
  REQUIRE(job > 0);
  const std::string config = d.config_path().string();
  fs::permissions(d.config_path(), fs::perms(0666));
  const auto r = d.ctl({"reload"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == kRefused);
  CHECK(is_error_list(r.err));
  CHECK(contains(r.err, config + ": writable by group or others"));
  const auto check = d.run_supd(concat_flags(d.supd_flags(), "--check"));
  INFO(check.out << check.err);
  CHECK(check.exit_code == 1);
  CHECK(contains(check.err, config));
  fs::permissions(d.config_path(), fs::perms(0644));

  // The directory that holds it, writable by others: anyone could swap the file.
  fs::permissions(d.dir(), fs::perms(0777));
  const auto dir_reload = d.ctl({"reload"});
  fs::permissions(d.dir(), fs::perms(0700));
  INFO(dir_reload.out << dir_reload.err);
  CHECK(dir_reload.exit_code == kRefused);
  CHECK(contains(dir_reload.err, d.dir().string()));
  CHECK(d.job_pid("j") == job);
  d.finish();
}
