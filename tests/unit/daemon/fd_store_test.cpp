// The fd store keeper without systemd: a datagram socket stands in for NOTIFY_SOCKET and
// receives what supd would store (FDSTORE=1 with the pipe attached) and remove.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "common/fd.hpp"
#include "daemon/process/cgroup.hpp"
#include "daemon/process/cgroup_sweep.hpp"
#include "daemon/continuity/fd_store.hpp"
#include "daemon/control/notify.hpp"
#include "tests/unit/daemon/unix_socket_fixtures.hpp"

namespace {

using supd::common::UniqueFd;
namespace fs = std::filesystem;

using supd::test_unit::TempDir;

UniqueFd bound_dgram(const fs::path& p) { return supd::test_unit::bound(SOCK_DGRAM, p); }

struct Received {
  std::string text = "<nothing>";
  UniqueFd fd;
};

Received receive(int sock) {
  Received r;
  char buf[512];
  iovec iov{buf, sizeof buf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const auto n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n <= 0) return r;
  r.text.assign(buf, static_cast<std::size_t>(n));
  if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr && c->cmsg_type == SCM_RIGHTS) {
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    r.fd = UniqueFd(fd);
  }
  return r;
}

ino_t inode_of(int fd) {
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_ino;
}

struct StoreFixture {
  TempDir dir;
  UniqueFd receiver = bound_dgram(dir.path / "notify");
  asio::io_context io;
  supd::daemon::Notifier notifier{io, [this] {
                                     supd::daemon::SystemdEnvironment env;
                                     env.notify_socket = (dir.path / "notify").string();
                                     return env;
                                   }()};
};

}  // namespace

TEST_CASE("FdStore stores a new pipe in systemd's fd store, named by inode, with its job noted", "[fd_store]") {
  StoreFixture f;
  const auto store_dir = f.dir.path / "sock.pipes";
  supd::daemon::FdStore store(f.notifier, store_dir, {}, {});
  auto pipe = supd::common::make_pipe();
  const auto ino = inode_of(pipe.read.get());
  store.opened("amsa", "/logs/amsa.out", pipe.read.get());

  auto got = receive(f.receiver.get());
  CHECK(got.text == "FDSTORE=1\nFDNAME=supd-pipe-" + std::to_string(ino) + "\nFDPOLL=0");
  REQUIRE(got.fd);
  CHECK(inode_of(got.fd.get()) == ino);
  CHECK(fs::exists(store_dir / std::to_string(ino)));
  CHECK((fs::status(store_dir).permissions() & fs::perms::all) == fs::perms::owner_all);

  store.opened("amsa", "/logs/amsa.out", pipe.read.get());  // the same pipe again: not stored twice
  CHECK(receive(f.receiver.get()).text == "<nothing>");

  auto taken = store.take_all();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].job == "amsa");
  CHECK(taken[0].log_path == "/logs/amsa.out");
  CHECK(inode_of(taken[0].fd.get()) == ino);

  store.closed(pipe.read.get());
  CHECK(receive(f.receiver.get()).text == "FDSTOREREMOVE=1\nFDNAME=supd-pipe-" + std::to_string(ino));
  CHECK_FALSE(fs::exists(store_dir / std::to_string(ino)));
  CHECK(store.take_all().empty());
}

TEST_CASE("FdStore takes back what systemd passed after a crash, and drops what it has no note of", "[fd_store]") {
  StoreFixture f;
  const auto store_dir = f.dir.path / "sock.pipes";
  auto kept = supd::common::make_pipe();
  auto stray = supd::common::make_pipe();
  const auto kept_ino = inode_of(kept.read.get());
  const auto stray_ino = inode_of(stray.read.get());
  {  // the previous supd stored `kept` and noted it
    supd::daemon::FdStore before(f.notifier, store_dir, {}, {});
    before.opened("web", "/logs/web.out", kept.read.get());
    (void)receive(f.receiver.get());
    before.disconnect();
  }
  const std::string kept_name = "supd-pipe-" + std::to_string(kept_ino);
  const std::string stray_name = "supd-pipe-" + std::to_string(stray_ino);
  supd::daemon::FdStore after(f.notifier, store_dir,
                              {{kept_name, kept.read.release()}, {stray_name, stray.read.release()}}, {});
  CHECK(receive(f.receiver.get()).text == "FDSTOREREMOVE=1\nFDNAME=" + stray_name);
  auto taken = after.take_all();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].job == "web");
  CHECK(inode_of(taken[0].fd.get()) == kept_ino);

  after.quit();  // every job stopped for good: nothing stays stored
  CHECK(receive(f.receiver.get()).text == "FDSTOREREMOVE=1\nFDNAME=" + kept_name);
  CHECK(after.take_all().empty());
}

TEST_CASE("FdStore hands its pipes across an upgrade's exec and takes them back from the handover", "[fd_store]") {
  StoreFixture f;
  auto pipe = supd::common::make_pipe();
  const auto ino = inode_of(pipe.read.get());
  std::vector<supd::daemon::HandedPipe> handed;
  {
    supd::daemon::FdStore old_image(f.notifier, f.dir.path / "sock.pipes", {}, {});
    old_image.opened("amsa", "/logs/amsa.out", pipe.read.get());
    for (auto& h : old_image.pipes_for_exec()) {
      CHECK((::fcntl(h.fd, F_GETFD) & FD_CLOEXEC) == 0);  // it must cross the exec
      h.fd = ::fcntl(h.fd, F_DUPFD_CLOEXEC, 3);          // what the exec would keep open
      handed.push_back(h);
    }
  }
  REQUIRE(handed.size() == 1);
  supd::daemon::FdStore new_image(f.notifier, f.dir.path / "sock.pipes", {}, handed);
  CHECK((::fcntl(handed[0].fd, F_GETFD) & FD_CLOEXEC) != 0);  // no job may inherit it
  auto taken = new_image.take_all();
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].job == "amsa");
  CHECK(inode_of(taken[0].fd.get()) == ino);
}

TEST_CASE("own_cgroup_path reads the v2 line of /proc/self/cgroup", "[cgroup]") {
  const auto own_cgroup_from = [](const std::string& text) { return supd::daemon::own_cgroup_path(text); };
  CHECK(own_cgroup_from("0::/user.slice/user-1000.slice/user@1000.service/app.slice/supd.service\n") ==
        "/user.slice/user-1000.slice/user@1000.service/app.slice/supd.service");
  CHECK(own_cgroup_from("12:pids:/user.slice\n1:name=systemd:/x\n0::/a.service\n") == "/a.service");
  CHECK(own_cgroup_from("12:pids:/user.slice\n").empty());
  CHECK(own_cgroup_from("").empty());
}
