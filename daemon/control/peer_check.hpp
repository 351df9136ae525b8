// Who may talk to supd: the user it runs as, and root (who may manage anyone's supd, as it
// could with kill(1) anyway). Pure, so the rule is unit-tested with injected credentials.
#pragma once
#include <sys/types.h>

namespace supd::daemon {

constexpr bool peer_allowed(uid_t peer_uid, uid_t own_uid) { return peer_uid == own_uid || peer_uid == 0; }

}  // namespace supd::daemon
