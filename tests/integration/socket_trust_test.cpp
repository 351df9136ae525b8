// Issue 15 item 2 (R86): supctl sends nothing to a socket another user could have put there.
// A second user made for the test (and removed at the end) owns a directory with a listener
// of its own; supctl must refuse with one line naming the path and the owner, and the
// listener must receive zero bytes. Needs root (useradd, setuid); says SKIP otherwise.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/support/harness.hpp"
#include "tests/support/temp_user.hpp"

using namespace supd::test;

namespace {

// A directory removed when the guard goes (for paths outside a TempDir, like /tmp/supd-<uid>).
struct RemoveGuard {
  fs::path path;
  ~RemoveGuard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A listener on `socket`, run in a forked child as `uid`/`gid` (so SO_PEERCRED names that
// user), that accepts every connection and counts the bytes it is sent.
class Listener {
public:
  Listener(const fs::path& socket, uid_t uid, gid_t gid) {
    int ready[2], stop[2], result[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(stop, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(result, O_CLOEXEC) == 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(socket.string().size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, socket.c_str(), socket.string().size() + 1);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(stop[1]);
      ::close(result[0]);
      serve(addr, uid, gid, ready[1], stop[0], result[1]);
    }
    ::close(ready[1]);
    ::close(stop[0]);
    ::close(result[1]);
    stop_fd_ = stop[1];
    result_fd_ = result[0];
    char c = 0;
    pollfd p{ready[0], POLLIN, 0};
    const bool listening = ::poll(&p, 1, static_cast<int>(scaled(10s).count())) == 1 && ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    REQUIRE(listening);
    REQUIRE(c == 'r');
  }
  ~Listener() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stop_fd_ >= 0) ::close(stop_fd_);
    if (result_fd_ >= 0) ::close(result_fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  struct Tally {
    long connections = -1;
    long bytes = -1;
  };
  // Stops the listener after it read everything already sent; what it got in all.
  Tally stop() {
    ::close(stop_fd_);
    stop_fd_ = -1;
    Tally t;
    std::string text;
    char buf[64];
    pollfd p{result_fd_, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(scaled(10s).count())) == 1) {
      const auto n = ::read(result_fd_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
    if (std::sscanf(text.c_str(), "%ld %ld", &t.connections, &t.bytes) != 2) FAIL("the listener reported: " << text);
    return t;
  }

private:
  [[noreturn]] static void serve(const sockaddr_un& addr, uid_t uid, gid_t gid, int ready, int stop, int result) {
    if (uid != ::geteuid() &&
        (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0))
      ::_exit(1);
    ::umask(0);  // the socket is 0777: whoever is tricked can connect
    const int listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd < 0 || ::bind(listen_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd, 16) != 0)
      ::_exit(1);
    if (::write(ready, "r", 1) != 1) ::_exit(1);
    constexpr int kMax = 32;
    pollfd fds[kMax + 2];
    int conns[kMax];
    int n_conns = 0;
    long connections = 0, bytes = 0;
    char buf[4096];
    auto drain = [&](int fd) {  // reads what is there now; false at EOF
      for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          bytes += n;
          continue;
        }
        return n < 0 && (errno == EAGAIN || errno == EINTR);
      }
    };
    auto accept_all = [&] {
      for (int c; n_conns < kMax && (c = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
        ++connections;
        conns[n_conns++] = c;
      }
    };
    for (bool stopping = false; !stopping;) {
      fds[0] = {stop, POLLIN, 0};
      fds[1] = {listen_fd, POLLIN, 0};
      for (int i = 0; i < n_conns; ++i) fds[i + 2] = {conns[i], POLLIN, 0};
      if (::poll(fds, static_cast<nfds_t>(n_conns + 2), -1) < 0 && errno != EINTR) ::_exit(1);
      stopping = fds[0].revents != 0;
      accept_all();
      for (int i = 0; i < n_conns; ++i) drain(conns[i]);  // kept open: a client sees no EOF
    }
    accept_all();
    for (int i = 0; i < n_conns; ++i) drain(conns[i]);
    char report[64];
    const int len = std::snprintf(report, sizeof report, "%ld %ld", connections, bytes);
    if (::write(result, report, static_cast<std::size_t>(len)) != len) ::_exit(1);
    ::_exit(0);
  }

  pid_t pid_ = 0;
  int stop_fd_ = -1;
  int result_fd_ = -1;
};

void give(const fs::path& path, const TempUser& user, mode_t mode) {
  REQUIRE(::chown(path.c_str(), user.uid(), user.gid()) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::vector<std::string> ctl_argv(const fs::path& socket, std::vector<std::string> args) {
  std::vector<std::string> argv{SUPCTL_BIN, "--socket", socket.string(), "--timeout", "5s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

const std::vector<std::string> kEnv{"PATH=/usr/bin:/bin", "HOME=/"};

// The command the repro used: a secret in the environment of `run`.
const std::vector<std::string> kSecretRun{"run", "leak", "--env", "AWS_SECRET_ACCESS_KEY=hunter2", "--", "true"};

// supctl refused: exit 3, one line on stderr naming `path` and every one of `names`.
void check_refused(const RunResult& r, const fs::path& path, const std::vector<std::string>& names) {
  INFO("stdout: " << r.out << "stderr: " << r.err);
  CHECK(r.exit_code == kUnreachable);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "refusing to talk to " + path.string()));
  for (const auto& n : names) CHECK(contains(r.err, n));
  CHECK(r.out.empty());
}

// doctor's socket line fails naming `names`, and doctor exits 1 (never 3).
void check_doctor_fails(const RunResult& r, const std::vector<std::string>& names) {
  INFO("stdout: " << r.out << "stderr: " << r.err);
  CHECK(r.exit_code == kRefused);
  std::string socket_line;
  for (const auto& line : split_lines(r.out))
    if (split_words(line).size() >= 2 && split_words(line)[1] == "socket") socket_line = line;
  CHECK(socket_line.starts_with("fail  "));
  for (const auto& n : names) CHECK(contains(socket_line, n));
}

}  // namespace

TEST_CASE("R86 a --socket in a directory another user owns: supctl refuses, sending nothing",
          "[integration][security][R86]") {
  if (!is_root()) {
    WARN("SKIP: needs root to create a second user");
    return;
  }
  TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0711));  // the other user may pass through, not list
  TempUser mallory("m");
  const fs::path theirs = tmp.path() / "theirs";
  fs::create_directory(theirs);
  give(theirs, mallory, 0755);
  const fs::path socket = theirs / "supd.sock";
  Listener listener(socket, mallory.uid(), mallory.gid());

  check_refused(run_process(ctl_argv(socket, kSecretRun), kEnv), socket, {theirs.string(), mallory.described()});
  check_refused(run_process(ctl_argv(socket, {"status"}), kEnv), socket, {mallory.described()});
  check_refused(run_process(ctl_argv(socket, {"signal", "j", "HUP", "--expect", "x"}), kEnv), socket,
                {mallory.described()});
  check_doctor_fails(run_process(ctl_argv(socket, {"doctor"}), kEnv), {socket.string(), mallory.described()});

  const auto got = listener.stop();
  CHECK(got.bytes == 0);
  CHECK(got.connections == 0);  // judged by its directory: not even a connect
}

TEST_CASE("R86 a server run by another user in a directory of mine: refused after connect, before a byte",
          "[integration][security][R86]") {
  if (!is_root()) {
    WARN("SKIP: needs root to create a second user");
    return;
  }
  TempDir tmp;
  fs::permissions(tmp.path(), fs::perms(0711));
  TempUser mallory("m");
  const fs::path mine = tmp.path() / "mine";
  fs::create_directory(mine);
  give(mine, mallory, 0755);  // only so that mallory can bind there ...
  const fs::path socket = mine / "supd.sock";
  Listener listener(socket, mallory.uid(), mallory.gid());
  REQUIRE(::chown(mine.c_str(), 0, 0) == 0);  // ... then the directory is mine again

  check_refused(run_process(ctl_argv(socket, kSecretRun), kEnv), socket,
                {"the server listening on " + socket.string() + " runs as " + mallory.described()});
  check_refused(run_process(ctl_argv(socket, {"status"}), kEnv), socket, {mallory.described()});
  check_doctor_fails(run_process(ctl_argv(socket, {"doctor"}), kEnv), {socket.string(), mallory.described()});

  const auto got = listener.stop();
  CHECK(got.connections >= 1);  // the server's uid is only known once connected
  CHECK(got.bytes == 0);
}

TEST_CASE("R86 without XDG_RUNTIME_DIR, a /tmp/supd-<uid> another user made first is refused",
          "[integration][security][R86]") {
  if (!is_root()) {
    WARN("SKIP: needs root to create two users");
    return;
  }
  TempUser alice("a");    // runs supctl, with no runtime dir of her own
  TempUser mallory("m");  // got to /tmp first
  REQUIRE_FALSE(fs::exists("/run/user/" + std::to_string(alice.uid())));
  const fs::path squatted = "/tmp/supd-" + std::to_string(alice.uid());
  RemoveGuard remove_squatted{squatted};
  fs::remove_all(squatted);
  fs::create_directory(squatted);
  give(squatted, mallory, 0755);
  const fs::path socket = squatted / "supd.sock";
  Listener listener(socket, mallory.uid(), mallory.gid());

  // alice's own supctl, with the environment su or cron leave: no XDG_RUNTIME_DIR.
  const std::vector<std::string> as_alice{"/usr/bin/setpriv",
                                          "--reuid=" + std::to_string(alice.uid()),
                                          "--regid=" + std::to_string(alice.gid()),
                                          "--clear-groups",
                                          "--",
                                          SUPCTL_BIN,
                                          "--timeout",
                                          "5s"};
  auto with = [&](std::vector<std::string> args) {
    auto argv = as_alice;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  check_refused(run_process(with(kSecretRun), kEnv), socket, {squatted.string(), mallory.described()});
  check_refused(run_process(with({"status"}), kEnv), socket, {mallory.described()});
  check_doctor_fails(run_process(with({"doctor"}), kEnv), {socket.string(), mallory.described()});

  const auto got = listener.stop();
  CHECK(got.bytes == 0);
  CHECK(got.connections == 0);
}

TEST_CASE("R86 a directory of mine that group or others may write is refused, sticky or not",
          "[integration][security][R86]") {
  TempDir tmp;
  const fs::path open_dir = tmp.path() / "open";
  fs::create_directory(open_dir);
  const fs::path socket = open_dir / "supd.sock";
  Listener listener(socket, ::geteuid(), ::getegid());  // my own uid: only the directory is wrong

  for (const mode_t mode : {0770, 0777, 01777}) {
    REQUIRE(::chmod(open_dir.c_str(), mode) == 0);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    INFO("mode " << octal);
    const auto r = run_process(ctl_argv(socket, kSecretRun), kEnv);
    check_refused(r, socket, {open_dir.string(), std::string("mode ") + octal, "uid " + std::to_string(::geteuid())});
    // chmod is the fix of a directory of one's own, not of a sticky one like /tmp.
    CHECK(contains(r.err, "chmod go-w " + open_dir.string()) == ((mode & S_ISVTX) == 0));
    check_doctor_fails(run_process(ctl_argv(socket, {"doctor"}), kEnv),
                       {open_dir.string(), "writable by", std::string("mode ") + octal});
  }
  const auto got = listener.stop();
  CHECK(got.bytes == 0);
  CHECK(got.connections == 0);
}

TEST_CASE("R86 supd refuses a --socket in a sticky directory others may write, as supctl would",
          "[integration][security][R86]") {
  DaemonOptions opts;
  opts.start = false;
  TestDaemon d("[jobs.j]\ncommand = [\"sleep\", \"1000\"]\n", opts);
  const fs::path sticky = d.dir() / "sticky";
  fs::create_directory(sticky);
  REQUIRE(::chmod(sticky.c_str(), 01777) == 0);
  const auto r = d.run_supd({"--config", d.config_path().string(), "--socket", (sticky / "supd.sock").string(),
                             "--log-dir", d.log_dir().string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line(r.err));
  CHECK(contains(r.err, "socket dir " + sticky.string() + " is writable by others (mode 1777)"));
  CHECK(contains(r.err, "choose a dir of your own with --socket"));
  CHECK_FALSE(fs::exists(sticky / "supd.sock"));
}
