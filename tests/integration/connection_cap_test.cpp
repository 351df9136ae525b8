// The per-uid connection cap of the control server (TESTPLAN R55): 128 connections per uid;
// at the cap a new connection closes the uid's oldest one that never sent a complete request,
// and is refused only when every slot is busy or following. The 200 dripping clients are in
// clients_stress_test; these cases are quick.
#include <memory>

#include "tests/support/harness.hpp"

using namespace supd::test;

namespace {

constexpr int kCap = 128;  // kMaxConnectionsPerUid in daemon/control/control_server.cpp

constexpr const char* kConnectionCapConfig = R"(
[jobs.j]
command = ["sleep", "1000"]
start_secs = 0
)";

json events_follow(int id) { return {{"id", id}, {"method", "events"}, {"params", {{"follow", true}}}}; }

}  // namespace

TEST_CASE("R55 at the connection cap a new client closes the oldest one that never sent a request",
          "[integration][R55]") {
  TestDaemon d(kConnectionCapConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  // One follower first (the oldest connection, but not idle), then idle connections up to the cap.
  RawClient follower(d.socket());
  REQUIRE(follower.request(events_follow(1)));
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 1; i < kCap; ++i) {
    idle.push_back(std::make_unique<RawClient>(d.socket()));
    REQUIRE(idle.back()->connected());
  }
  // Each supctl takes the slot of the oldest idle connection, which gets one error line; a
  // new idle connection then fills the cap again.
  for (int round = 0; round < 3; ++round) {
    if (round > 0) {
      idle.push_back(std::make_unique<RawClient>(d.socket()));
      REQUIRE(idle.back()->connected());
    }
    const auto r = d.ctl({"pid", "j"}, 10s);
    INFO(r.err);
    CHECK(r.exit_code == kOk);
    auto& victim = *idle[static_cast<std::size_t>(round)];
    const auto line = victim.read_json();
    REQUIRE(line);
    CHECK((*line)["ok"] == false);
    CHECK((*line)["error"]["code"] == "too_many_connections");
    CHECK(victim.wait_closed());
  }
  // The follower and the younger idle connections were left alone.
  CHECK_FALSE(follower.wait_closed(100ms));
  CHECK_FALSE(idle.back()->wait_closed(10ms));
  CHECK(idle.back()->buffered().empty());
  CHECK(eventually([&] { return contains(d.supd_output(), "connections to supd, its cap"); }));
  follower.close();
  idle.clear();
  d.finish();
}

TEST_CASE("R55 at the connection cap with every slot following, a new client is refused with one error line",
          "[integration][R55]") {
  TestDaemon d(kConnectionCapConfig);
  REQUIRE(d.wait_running("j") > 0);
  d.record_fd_baseline();
  std::vector<std::unique_ptr<RawClient>> followers;
  for (int i = 0; i < kCap; ++i) {
    followers.push_back(std::make_unique<RawClient>(d.socket()));
    const auto first = followers.back()->request(events_follow(i));
    REQUIRE(first);
    REQUIRE((*first)["ok"] == true);
  }
  RawClient extra(d.socket());
  REQUIRE(extra.connected());
  const auto line = extra.read_json();
  REQUIRE(line);
  INFO(line->dump());
  CHECK((*line)["ok"] == false);
  CHECK((*line)["error"]["code"] == "too_many_connections");
  CHECK(contains((*line)["error"]["message"].get<std::string>(), "cap 128"));
  CHECK(extra.wait_closed());
  // supctl says why in one line and exits 1.
  const auto refused = d.ctl({"status"}, 10s);
  INFO(refused.err);
  CHECK(refused.exit_code == kRefused);
  CHECK(is_one_line(refused.err));
  CHECK(contains(refused.err, "too many connections"));
  // One follower fewer: supctl works again, and every other follower still follows.
  followers.pop_back();
  CHECK(eventually([&] { return d.ctl({"stop", "j"}, 10s).exit_code == kOk; }));
  int following = 0;
  for (auto& f : followers) {
    const auto event = f->read_json(10s);
    if (event && (*event)["ok"] == true && (*event)["result"].contains("events")) ++following;
  }
  CHECK(following == kCap - 1);
  followers.clear();
  // Once well below the cap, supd logs what the episode cost: nothing evicted, some refused.
  CHECK(eventually([&] { return contains(d.supd_output(), "meanwhile 0 stalled connection(s) were closed"); }));
  CHECK(d.ctl({"start", "j"}).exit_code == kOk);
  d.finish();
}
