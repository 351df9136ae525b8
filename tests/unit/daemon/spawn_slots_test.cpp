// SpawnSlots: the fds a child takes with it under low numbers, and nothing of them kept after.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.hpp"
#include "daemon/process/spawn_slots.hpp"

using namespace supd::daemon;

namespace {

bool same_file(int a, int b) {
  struct stat sa {}, sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool is_dev_null(int fd) {
  const supd::common::UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  return same_file(fd, null.get());
}

}  // namespace

TEST_CASE("spawn slots are close-on-exec /dev/null below end() until a fd is put in", "[unit][spawn_slots]") {
  SpawnSlots slots;
  REQUIRE(slots.usable());
  for (int s = 0; s < SpawnSlots::kSlotCount; ++s) {
    const int n = slots.number(static_cast<SpawnSlots::Slot>(s));
    INFO("slot " << s << " fd " << n);
    CHECK(n > 2);
    CHECK(static_cast<unsigned>(n) < slots.end());
    CHECK(is_dev_null(n));
    CHECK((::fcntl(n, F_GETFD) & FD_CLOEXEC) != 0);
  }
}

TEST_CASE("a pipe put into a slot is the same pipe there, and after clear() supd holds no write end", "[unit][spawn_slots]") {
  SpawnSlots slots;
  REQUIRE(slots.usable());
  auto pipe = supd::common::make_pipe();
  const int n = slots.put(SpawnSlots::Stdout, pipe.write.get());
  REQUIRE(n == slots.number(SpawnSlots::Stdout));
  CHECK(same_file(n, pipe.write.get()));
  CHECK((::fcntl(n, F_GETFD) & FD_CLOEXEC) != 0);
  CHECK(::write(n, "x", 1) == 1);

  slots.clear();
  pipe.write.reset();
  CHECK(is_dev_null(n));
  CHECK(is_dev_null(slots.number(SpawnSlots::Stdin)));
  char buf[4];
  CHECK(::read(pipe.read.get(), buf, sizeof buf) == 1);
  CHECK(::read(pipe.read.get(), buf, sizeof buf) == 0);  // EOF: no write end is left anywhere
}

TEST_CASE("a fd that is not open cannot be put into a slot", "[unit][spawn_slots]") {
  SpawnSlots slots;
  REQUIRE(slots.usable());
  CHECK(slots.put(SpawnSlots::Status, 1 << 20) == -1);
  CHECK(errno == EBADF);
  CHECK(is_dev_null(slots.number(SpawnSlots::Status)));
}
