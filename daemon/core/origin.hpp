// Who asked for something: a peer on the control socket (from SO_PEERCRED, with its executable
// read from /proc at request time when it could be), supd itself, or the kernel. Logged with
// every transition and signal, and kept in the event history.
#pragma once
#include <string>
#include <sys/types.h>

#include "common/event.hpp"

namespace supd::daemon {

struct Origin {
  enum class Kind { Peer, Supd, Kernel } kind = Kind::Supd;
  uid_t uid = 0;
  pid_t pid = 0;
  std::string exe;  // "" when /proc/<pid>/exe could not be read

  static Origin peer(uid_t uid, pid_t pid, std::string exe = {}) { return {Kind::Peer, uid, pid, std::move(exe)}; }
  static Origin supd() { return {Kind::Supd, 0, 0, {}}; }
  static Origin kernel() { return {Kind::Kernel, 0, 0, {}}; }

  common::EventOrigin event_origin() const {
    return {kind == Kind::Peer ? common::EventOrigin::Kind::Peer
            : kind == Kind::Kernel ? common::EventOrigin::Kind::Kernel
                                   : common::EventOrigin::Kind::Supd,
            uid, pid, exe};
  }
  // "uid 0 pid 1234 (supctl)", "supd", "the kernel".
  std::string describe() const { return common::describe(event_origin()); }
};

}  // namespace supd::daemon
