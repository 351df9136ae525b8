// ChildReaper against real children: a watched child is reaped by its pidfd alone, an
// unwatched one only by a sweep, and neither path reaps a child twice.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "common/fd.hpp"
#include "daemon/process/child_reaper.hpp"
#include "tests/unit/daemon/paused_child.hpp"

using supd::common::ExitStatus;
using supd::common::UniqueFd;
using supd::daemon::ChildReaper;

namespace {

// A child that waits for SIGTERM, or exits with `code` at once when `code` >= 0.
pid_t child(int code) {
  pid_t pid = -1;
  if (code < 0) {
    pid = supd::test::fork_paused_child();
  } else if ((pid = ::fork()) == 0) {
    ::_exit(code);
  }
  REQUIRE(pid > 0);
  return pid;
}

UniqueFd pidfd_of(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)));
  REQUIRE(fd);
  return fd;
}

// Blocks until the child is a zombie (each exits at once or is killed first), without reaping it.
void wait_exited(pid_t pid) {
  siginfo_t info{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) == 0);
  REQUIRE(info.si_pid == pid);
}

bool is_unreaped_child(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

}  // namespace

TEST_CASE("a watched child is reaped by its pidfd, with its exit code", "[child_reaper]") {
  ChildReaper reaper;
  const pid_t pid = child(7);
  const auto fd = pidfd_of(pid);
  reaper.spawned(pid, fd.get());
  CHECK(reaper.watched() == 1);
  CHECK_FALSE(reaper.has_unwatched());
  wait_exited(pid);
  const auto reaped = reaper.reap_watched();
  REQUIRE(reaped.size() == 1);
  CHECK(reaped[0].pid == pid);
  CHECK(reaped[0].status == ExitStatus::exited(7));
  CHECK(reaper.watched() == 0);
  CHECK_FALSE(is_unreaped_child(pid));
  CHECK(reaper.sweep().empty());  // nothing left to find
}

TEST_CASE("a watched child still running is not reaped, and a killed one reports its signal", "[child_reaper]") {
  ChildReaper reaper;
  const pid_t pid = child(-1);
  const auto fd = pidfd_of(pid);
  reaper.spawned(pid, fd.get());
  CHECK(reaper.reap_watched().empty());
  REQUIRE(::kill(pid, SIGTERM) == 0);
  pollfd p{fd.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 10000) == 1);  // readable: it exited
  const auto reaped = reaper.reap_watched();
  REQUIRE(reaped.size() == 1);
  CHECK(reaped[0].status == ExitStatus::killed(SIGTERM));
}

TEST_CASE("reap_watched leaves children it does not watch to the sweep", "[child_reaper]") {
  ChildReaper reaper;
  const pid_t watched = child(1);
  const auto fd = pidfd_of(watched);
  reaper.spawned(watched, fd.get());
  const pid_t unwatched = child(2);
  reaper.spawned(unwatched, -1);  // as on a kernel without pidfds
  CHECK(reaper.has_unwatched());
  const pid_t stranger = child(3);  // not told to the reaper at all: an orphan of a job, say
  wait_exited(watched);
  wait_exited(unwatched);
  wait_exited(stranger);
  const auto by_pidfd = reaper.reap_watched();
  REQUIRE(by_pidfd.size() == 1);
  CHECK(by_pidfd[0].pid == watched);
  CHECK(is_unreaped_child(unwatched));
  CHECK(is_unreaped_child(stranger));
  auto swept = reaper.sweep();
  REQUIRE(swept.size() == 2);
  std::sort(swept.begin(), swept.end(), [](const auto& a, const auto& b) { return a.status.code < b.status.code; });
  CHECK(swept[0].pid == unwatched);
  CHECK(swept[0].status == ExitStatus::exited(2));
  CHECK(swept[1].pid == stranger);
  CHECK_FALSE(reaper.has_unwatched());
}

TEST_CASE("a watched child a sweep reaped first is not reported again by its pidfd", "[child_reaper]") {
  ChildReaper reaper;
  const pid_t pid = child(4);
  auto fd = pidfd_of(pid);
  reaper.spawned(pid, fd.get());
  wait_exited(pid);
  const auto swept = reaper.sweep();
  REQUIRE(swept.size() == 1);
  CHECK(swept[0].pid == pid);
  CHECK(reaper.watched() == 0);
  CHECK(reaper.reap_watched().empty());  // the pidfd is still open and readable, but reaps nothing
  fd.reset();                            // as the job does after its reap: out of the epoll set
  CHECK(reaper.reap_watched().empty());
}
