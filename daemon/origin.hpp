// Who asked for something: a peer on the control socket (from SO_PEERCRED), supd itself, or
// the kernel. Logged with every transition and signal.
#pragma once
#include <string>
#include <sys/types.h>

#include <fmt/format.h>

namespace supd::daemon {

struct Origin {
  enum class Kind { Peer, Supd, Kernel } kind = Kind::Supd;
  uid_t uid = 0;
  pid_t pid = 0;

  static Origin peer(uid_t uid, pid_t pid) { return {Kind::Peer, uid, pid}; }
  static Origin supd() { return {Kind::Supd, 0, 0}; }

  std::string describe() const {
    switch (kind) {
    case Kind::Peer: return fmt::format("uid {} pid {}", uid, pid);
    case Kind::Kernel: return "the kernel";
    case Kind::Supd: break;
    }
    return "supd";
  }
};

}  // namespace supd::daemon
