// TESTPLAN R72: the peer check with injected credentials.
#include <catch2/catch.hpp>

#include "daemon/control/peer_check.hpp"

using supd::daemon::peer_allowed;

TEST_CASE("R72 the peer check accepts the same uid and root, and refuses any other uid", "[peer][R72]") {
  CHECK(peer_allowed(1000, 1000));
  CHECK(peer_allowed(0, 1000));         // root may manage anyone's supd
  CHECK(peer_allowed(0, 0));
  CHECK_FALSE(peer_allowed(1001, 1000));
  CHECK_FALSE(peer_allowed(65534, 1000));
  CHECK_FALSE(peer_allowed(1000, 0));   // a root supd serves root only
  CHECK_FALSE(peer_allowed(65533, 65534));
}
