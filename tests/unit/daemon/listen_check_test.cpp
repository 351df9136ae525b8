// group_listens (daemon/process/listen_check.hpp) against real processes and sockets: a forked
// child in a process group of its own listens (or does not) and says so through a pipe once it
// has; then a made-up /proc tree for the odd lines real processes rarely show.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/fd.hpp"
#include "daemon/process/listen_check.hpp"
#include "tests/unit/daemon/loopback_fixtures.hpp"
#include "tests/unit/daemon/unix_socket_fixtures.hpp"

namespace supd::daemon {
namespace {
namespace fs = std::filesystem;
using test_unit::loopback_v4;
using test_unit::TempDir;
using test_unit::unix_address;

constexpr int kReportFd = 3;  // the child's end of the pipe, once the child has closed the rest

// In a child: tells the test it is ready. Async-signal-safe, like all the child runs.
void report_ready() {
  const char byte = 'r';
  (void)!::write(kReportFd, &byte, 1);
}

// In a child: waits to be killed; the test's guard SIGKILLs the whole group.
[[noreturn]] void wait_for_kill() {
  for (;;) ::pause();
}

template <class Address>
bool bind_to(int fd, const Address& a) {
  return ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

// A forked child in a process group of its own, running `body` (which calls report_ready() when
// its sockets are set up, then wait_for_kill()). The guard SIGKILLs the group and reaps the child
// when the test ends, passed or failed.
class GroupChild {
public:
  template <class Body>
  explicit GroupChild(Body body) {
    common::Pipe pipe = common::make_pipe();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Only the pipe stays open, as fd 3: a socket of the test's own must not count as the child's.
      if (pipe.write.get() != kReportFd) ::dup2(pipe.write.get(), kReportFd);
      ::close_range(kReportFd + 1, ~0U, 0);
      ::setpgid(0, 0);
      body();
      ::_exit(1);
    }
    ::setpgid(pid_, pid_);  // as the child does: whichever runs first, the group exists
    pipe.write.reset();
    ready_ = std::move(pipe.read);
  }
  ~GroupChild() {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  GroupChild(const GroupChild&) = delete;
  GroupChild& operator=(const GroupChild&) = delete;

  pid_t pgid() const { return pid_; }
  // Blocks until the child reported; false when it exited (its setup failed) without a word.
  bool wait_ready() {
    char byte = 0;
    ssize_t n;
    do n = ::read(ready_.get(), &byte, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
  }

private:
  pid_t pid_ = -1;
  common::UniqueFd ready_;
};

TEST_CASE("a group whose process listens on TCP loopback listens", "[listen]") {
  GroupChild child([] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || !bind_to(fd, loopback_v4()) || ::listen(fd, 1) != 0) ::_exit(1);
    report_ready();
    wait_for_kill();
  });
  REQUIRE(child.wait_ready());
  CHECK(group_listens(child.pgid()));
}

TEST_CASE("a group whose process listens on IPv6 loopback listens", "[listen]") {
  sockaddr_in6 any6{};
  any6.sin6_family = AF_INET6;
  any6.sin6_addr = in6addr_loopback;
  {
    const common::UniqueFd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe || !bind_to(probe.get(), any6)) {
      WARN("no IPv6 loopback here: not tested");
      return;
    }
  }
  GroupChild child([any6] {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0 || !bind_to(fd, any6) || ::listen(fd, 1) != 0) ::_exit(1);
    report_ready();
    wait_for_kill();
  });
  REQUIRE(child.wait_ready());
  CHECK(group_listens(child.pgid()));
}

TEST_CASE("a group with only connected or unbound sockets does not listen", "[listen]") {
  // The test's own listener: the child connects to it, and its inode is in the same table.
  const test_unit::LoopbackSocket server(4);
  const sockaddr_in bound = loopback_v4(server.port);
  TempDir dir;
  const sockaddr_un stream_path = unix_address(dir.path / "stream");
  const sockaddr_un dgram_path = unix_address(dir.path / "dgram");

  GroupChild child([bound, stream_path, dgram_path] {
    const int unbound = ::socket(AF_INET, SOCK_STREAM, 0);
    const int connected = ::socket(AF_INET, SOCK_STREAM, 0);
    const int bound_unix = ::socket(AF_UNIX, SOCK_STREAM, 0);  // bound, never listen()ed
    const int datagram = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    int pair[2];
    if (unbound < 0 || connected < 0 || bound_unix < 0 || datagram < 0 ||
        ::connect(connected, reinterpret_cast<const sockaddr*>(&bound), sizeof bound) != 0 ||
        !bind_to(bound_unix, stream_path) || !bind_to(datagram, dgram_path) ||
        ::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
      ::_exit(1);
    report_ready();
    wait_for_kill();
  });
  REQUIRE(child.wait_ready());
  CHECK_FALSE(group_listens(child.pgid()));
}

TEST_CASE("a group whose process listens on a Unix stream socket listens", "[listen]") {
  TempDir dir;
  const sockaddr_un path = unix_address(dir.path / "server.sock");
  GroupChild child([path] {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || !bind_to(fd, path) || ::listen(fd, 1) != 0) ::_exit(1);
    report_ready();
    wait_for_kill();
  });
  REQUIRE(child.wait_ready());
  CHECK(group_listens(child.pgid()));
}

TEST_CASE("a grandchild in the group that listens makes the group listen", "[listen]") {
  GroupChild child([] {
    const pid_t grandchild = ::fork();
    if (grandchild < 0) ::_exit(1);
    if (grandchild == 0) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || !bind_to(fd, loopback_v4()) || ::listen(fd, 1) != 0) ::_exit(1);
      report_ready();
    }
    wait_for_kill();  // the child itself holds no socket at all
  });
  REQUIRE(child.wait_ready());
  CHECK(group_listens(child.pgid()));
}

TEST_CASE("a group that does not exist does not listen", "[listen]") {
  pid_t gone = 0;
  {
    GroupChild child([] {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || !bind_to(fd, loopback_v4()) || ::listen(fd, 1) != 0) ::_exit(1);
      report_ready();
      wait_for_kill();
    });
    REQUIRE(child.wait_ready());
    gone = child.pgid();
  }  // killed and reaped
  CHECK_FALSE(group_listens(gone));
  CHECK_FALSE(group_listens(0));
  CHECK_FALSE(group_listens(-1));
}

// A made-up procfs: one process per call of add(), with its stat line, fds and namespace.
struct FakeProc {
  TempDir root;
  void add(int pid, const std::string& stat, const std::vector<std::string>& fd_links, const std::string& netns) {
    const fs::path dir = root.path / std::to_string(pid);
    fs::create_directories(dir / "fd");
    fs::create_directories(dir / "ns");
    fs::create_directories(dir / "net");
    // The fields after tpgid, up to rss, as a kernel writes them: a stat line is read whole.
    std::ofstream(dir / "stat") << stat << " 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 1000 10" << '\n';
    for (std::size_t i = 0; i < fd_links.size(); ++i) fs::create_symlink(fd_links[i], dir / "fd" / std::to_string(i));
    fs::create_symlink(netns, dir / "ns" / "net");
  }
  void tables(int pid, const std::string& tcp, const std::string& tcp6, const std::string& unix_table) {
    const fs::path net = root.path / std::to_string(pid) / "net";
    std::ofstream(net / "tcp") << tcp;
    if (!tcp6.empty()) std::ofstream(net / "tcp6") << tcp6;
    std::ofstream(net / "unix") << unix_table;
  }
};

const std::string kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
std::string tcp_line(const std::string& state, int inode) {
  return "   0: 0100007F:1F90 00000000:0000 " + state +
         " 00000000:00000000 00:00000000 00000000  1000        0 " + std::to_string(inode) +
         " 1 0000000000000000 100 0 0 10 0\n";
}
const std::string kUnixHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n";
std::string unix_line(const std::string& flags, const std::string& type, int inode) {
  return "0000000000000000: 00000002 00000000 " + flags + " " + type + " 01 " + std::to_string(inode) +
         " /run/x.sock\n";
}

TEST_CASE("group_listens reads a made-up proc tree line by line", "[listen]") {
  FakeProc proc;
  fs::create_directories(proc.root.path / "self");  // not a pid: skipped
  // pid 10 is in group 7; its command name holds ") S 1 99 (" so that counting fields from the
  // first ')' would put it in group 99. It holds an established socket and a listening one.
  proc.add(10, "10 (x) S 1 99 () S 1 7 7 0 -1", {"socket:[501]", "pipe:[9]", "/dev/null", "socket:[502]"},
           "net:[1]");
  // pid 20 (group 5) holds the listener 900; pid 30 (group 6) only the established 501.
  proc.add(20, "20 (y) S 1 5 5 0 -1", {"socket:[900]"}, "net:[1]");
  proc.add(30, "30 (z) S 1 6 6 0 -1", {"socket:[501]"}, "net:[1]");
  const std::string namespace1 = kTcpHeader + tcp_line("01", 501) + tcp_line("0A", 502) + tcp_line("0A", 900);
  for (const int pid : {10, 20, 30}) proc.tables(pid, namespace1, "", kUnixHeader);
  CHECK(group_listens(7, proc.root.path));
  CHECK_FALSE(group_listens(99, proc.root.path));
  CHECK(group_listens(5, proc.root.path));
  CHECK_FALSE(group_listens(6, proc.root.path));

  SECTION("a Unix stream socket with __SO_ACCEPTCON listens; a datagram one does not") {
    proc.add(11, "11 (unix) S 1 8 8 0 -1", {"socket:[601]", "socket:[602]"}, "net:[2]");
    proc.tables(11, kTcpHeader, "",
                kUnixHeader + unix_line("00010000", "0002", 601) + unix_line("00000000", "0001", 602));
    CHECK_FALSE(group_listens(8, proc.root.path));
    proc.tables(11, kTcpHeader, "", kUnixHeader + unix_line("00010000", "0001", 602));
    CHECK(group_listens(8, proc.root.path));
  }
  SECTION("a TCP6 listener counts in the namespace that lists it, not in another") {
    proc.add(12, "12 (v6) S 1 8 8 0 -1", {"socket:[701]"}, "net:[3]");
    proc.tables(12, kTcpHeader, kTcpHeader + tcp_line("0A", 701), kUnixHeader);
    proc.add(13, "13 (v6 elsewhere) S 1 9 9 0 -1", {"socket:[701]"}, "net:[1]");
    proc.tables(13, namespace1, "", kUnixHeader);
    CHECK(group_listens(8, proc.root.path));
    CHECK_FALSE(group_listens(9, proc.root.path));
  }
  SECTION("a process whose tables are gone is skipped") {
    proc.add(14, "14 (gone) S 1 8 8 0 -1", {"socket:[502]"}, "net:[4]");
    CHECK_FALSE(group_listens(8, proc.root.path));
  }
}

TEST_CASE("a proc root that does not exist lists no listener", "[listen]") {
  CHECK_FALSE(group_listens(1, "/nonexistent-proc-root"));
}

}  // namespace
}  // namespace supd::daemon
