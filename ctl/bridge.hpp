// `supctl bridge`: relays stdin/stdout to this machine's supd socket (ctl/bridge.cpp).
#pragma once
#include "ctl/session.hpp"

namespace supd::ctl {

// Connects as supctl does, then relays until supd closes the connection; exit 3 (with the
// one-line reason) when supd cannot be reached. Throws ClientFailure.
int run_bridge(Session& session);

}  // namespace supd::ctl
