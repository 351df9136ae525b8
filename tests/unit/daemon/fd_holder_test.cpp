// The fd holder (daemon/continuity/fd_holder.hpp) without supd: one FdHolder hands it a pipe, a second
// one (the next supd) takes the pipe back with what was written meanwhile, and QUIT ends it.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/fd.hpp"
#include "daemon/continuity/fd_holder.hpp"
#include "tests/unit/shared.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;

using supd::test_unit::TempDir;

TEST_CASE("the fd holder keeps a pipe for the next supd and passes it back with its bytes", "[fd_holder]") {
  TempDir dir;
  const auto sock = fd_holder_path_for(dir.path / "supd.sock");
  auto pipe = common::make_pipe();
  pid_t holder_pid = 0;
  {
    FdHolder first(sock);
    CHECK(first.take_all().empty());  // nobody holds anything yet, and nothing is started
    CHECK(first.pid() == 0);
    first.opened("amsa", dir.path / "amsa.out", pipe.read.get());
    holder_pid = first.pid();
    REQUIRE(holder_pid > 0);
    CHECK(fs::exists(sock));
    first.disconnect();  // supd dies
  }
  pipe.read.reset();  // supd's own read end is gone with it
  // The writer does not get EPIPE: the holder still has a read end.
  REQUIRE(::write(pipe.write.get(), "hello\n", 6) == 6);

  FdHolder second(sock);
  auto held = second.take_all();
  REQUIRE(held.size() == 1);
  CHECK(held[0].job == "amsa");
  CHECK(held[0].log_path == dir.path / "amsa.out");
  CHECK(second.pid() == holder_pid);
  char buf[16] = {};
  REQUIRE(::read(held[0].fd.get(), buf, sizeof buf) == 6);
  CHECK(std::string(buf, 6) == "hello\n");
  // Taken back, it is not handed over twice.
  second.opened("amsa", dir.path / "amsa.out", held[0].fd.get());

  pipe.write.reset();
  second.closed(held[0].fd.get());  // EOF seen: the holder drops its copy
  second.quit();
  int status = 0;
  REQUIRE(::waitpid(holder_pid, &status, 0) == holder_pid);  // forked from this test
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(fs::exists(sock));
}

TEST_CASE("the fd holder exits by itself once it holds nothing and nobody is connected", "[fd_holder]") {
  TempDir dir;
  const auto sock = fd_holder_path_for(dir.path / "supd.sock");
  auto pipe = common::make_pipe();
  FdHolder h(sock);
  h.opened("a", dir.path / "a.out", pipe.read.get());
  const pid_t pid = h.pid();
  REQUIRE(pid > 0);
  h.closed(pipe.read.get());
  h.disconnect();
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK_FALSE(fs::exists(sock));
}

}  // namespace
}  // namespace supd::daemon
