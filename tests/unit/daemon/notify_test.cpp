// The systemd glue without systemd: a datagram socket stands in for NOTIFY_SOCKET, and a
// listening socket made here stands in for the one supd.socket passes.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "common/fd.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/control/notify.hpp"
#include "tests/unit/daemon/unix_socket_fixtures.hpp"

namespace {

using supd::common::UniqueFd;
namespace fs = std::filesystem;

using supd::test_unit::bound;
using supd::test_unit::TempDir;

std::string receive(int fd) {
  char buf[512];
  const auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("<nothing>");
}

}  // namespace

TEST_CASE("take_systemd_environment reads and removes systemd's variables", "[notify]") {
  ::setenv("NOTIFY_SOCKET", "/run/user/1000/systemd/notify", 1);
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);  // not for us
  const auto env = supd::daemon::take_systemd_environment();
  CHECK(env.notify_socket == "/run/user/1000/systemd/notify");
  REQUIRE(env.watchdog);
  CHECK(env.watchdog->count() == 4000000);
  CHECK(env.listen_fds.empty());
  CHECK(env.stored_fds.empty());
  for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"})
    CHECK(std::getenv(name) == nullptr);
}

TEST_CASE("Notifier sends READY, changed STATUS only, RELOADING and one STOPPING", "[notify]") {
  TempDir dir;
  const auto sock_path = dir.path / "notify";
  const auto receiver = bound(SOCK_DGRAM, sock_path);
  asio::io_context io;
  supd::daemon::SystemdEnvironment env;
  env.notify_socket = sock_path.string();
  supd::daemon::Notifier n(io, env);
  REQUIRE(n.enabled());

  n.ready("2 starting");
  CHECK(receive(receiver.get()) == "READY=1\nSTATUS=2 starting");
  n.update("2 starting", false);
  CHECK(receive(receiver.get()) == "<nothing>");
  n.update("2 running", false);
  CHECK(receive(receiver.get()) == "STATUS=2 running");
  n.reloading();
  const auto reloading = receive(receiver.get());  // with MONOTONIC_USEC, as sd_notify(3) asks
  CHECK(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(reloading.size() > 40);
  CHECK(reloading.ends_with("\nSTATUS=reloading"));
  n.ready("2 running");
  CHECK(receive(receiver.get()) == "READY=1\nSTATUS=2 running");
  n.update("2 stopping", true);
  CHECK(receive(receiver.get()) == "STOPPING=1");
  CHECK(receive(receiver.get()) == "STATUS=2 stopping");
  n.update("2 stopping", true);
  CHECK(receive(receiver.get()) == "<nothing>");
}

TEST_CASE("without NOTIFY_SOCKET the Notifier does nothing", "[notify]") {
  asio::io_context io;
  supd::daemon::Notifier n(io, {});
  CHECK_FALSE(n.enabled());
  n.ready("x");
  CHECK_FALSE(n.send("READY=1"));
}

TEST_CASE("adopt_control_socket takes a passed listening socket and its lock", "[notify]") {
  TempDir dir;
  const auto path = dir.path / "supd.sock";
  auto listener = bound(SOCK_STREAM, path);
  REQUIRE(::listen(listener.get(), 8) == 0);
  auto adopted = supd::daemon::adopt_control_socket(listener.release());
  CHECK(adopted.adopted);
  CHECK(adopted.path == path);
  CHECK(fs::exists(path.string() + ".lock"));

  SECTION("a second supd on the same socket is refused") {
    CHECK_THROWS_WITH(supd::daemon::claim_control_socket(path, false), Catch::Contains("already running"));
  }
}

TEST_CASE("adopt_control_socket refuses a socket that does not listen", "[notify]") {
  TempDir dir;
  auto not_listening = bound(SOCK_STREAM, dir.path / "supd.sock");
  CHECK_THROWS_WITH(supd::daemon::adopt_control_socket(not_listening.release()),
                    Catch::Contains("not a listening Unix stream socket"));
}
