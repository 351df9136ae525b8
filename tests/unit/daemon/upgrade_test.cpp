// The upgrade handover (daemon/continuity/upgrade.hpp): what the old supd passes to the re-exec'd one in
// SUPD_UPGRADE survives the trip, and anything else is refused rather than half-read.
#include <catch2/catch.hpp>

#include <csignal>

#include "daemon/continuity/upgrade.hpp"

namespace supd::daemon {
namespace {

TEST_CASE("the upgrade handover survives encode and decode", "[upgrade]") {
  Handover h;
  h.listen_fd = 5;
  h.lock_fd = 4;
  h.socket_from_systemd = true;
  h.client_fd = 9;
  h.request_id = 77;
  h.jobs.push_back({"a", "exited", common::ExitStatus::exited(3), 2, ""});
  h.jobs.push_back({"b", "fatal", std::nullopt, 1, "exec b: No such file or directory"});
  h.jobs.push_back({"c", "exited", common::ExitStatus::unknown_adopted(), 1, ""});
  h.jobs.push_back({"d", "stopped", common::ExitStatus::killed(SIGTERM, true), 5, ""});
  const auto back = decode_handover(encode_handover(h));
  REQUIRE(back);
  CHECK(back->listen_fd == 5);
  CHECK(back->lock_fd == 4);
  CHECK(back->socket_from_systemd);
  CHECK(back->client_fd == 9);
  CHECK(back->request_id == 77);
  REQUIRE(back->jobs.size() == 4);
  CHECK(back->jobs[0].last_exit == common::ExitStatus::exited(3));
  CHECK(back->jobs[1].error == "exec b: No such file or directory");
  CHECK_FALSE(back->jobs[1].last_exit);
  CHECK(back->jobs[2].last_exit == common::ExitStatus::unknown_adopted());
  CHECK(back->jobs[3].last_exit == common::ExitStatus::killed(SIGTERM, true));
  CHECK(back->jobs[3].spawns == 5);
}

TEST_CASE("an unreadable upgrade handover is refused", "[upgrade]") {
  CHECK_FALSE(decode_handover(""));
  CHECK_FALSE(decode_handover("{}"));
  CHECK_FALSE(decode_handover("{\"listen_fd\": \"x\"}"));
  CHECK_FALSE(decode_handover("[1]"));
}

}  // namespace
}  // namespace supd::daemon
