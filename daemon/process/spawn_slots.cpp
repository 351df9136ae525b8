#include "daemon/process/spawn_slots.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace supd::daemon {

SpawnSlots::SpawnSlots() : null_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  if (!null_) return;
  int highest = 2;
  for (auto& slot : slots_) {
    slot = common::UniqueFd(::fcntl(null_.get(), F_DUPFD_CLOEXEC, 3));
    if (!slot) return;
    highest = std::max(highest, slot.get());
  }
  end_ = static_cast<unsigned>(highest) + 1;
  usable_ = true;
}

int SpawnSlots::put(Slot slot, int fd) {
  const int number = slots_[slot].get();
  if (fd == number) return number;
  return ::dup3(fd, number, O_CLOEXEC) < 0 ? -1 : number;
}

void SpawnSlots::clear() {
  for (int s = Stdout; s < kSlotCount; ++s) (void)::dup3(null_.get(), slots_[s].get(), O_CLOEXEC);
}

}  // namespace supd::daemon
