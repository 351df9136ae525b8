// The events/why requests on the wire, one event's JSON both ways, its time stamps, and the
// optional next_try_s of a status row.
#include <csignal>

#include <catch2/catch.hpp>

#include "common/event.hpp"
#include "common/protocol.hpp"

using namespace supd::protocol;
using supd::common::Event;
using supd::common::EventOrigin;
using supd::common::ExitStatus;
using nlohmann::json;

namespace {

Command round_trip(const Command& c) {
  const auto line = encode_request({7, c});
  const auto r = decode_request(line.substr(0, line.size() - 1));
  REQUIRE(std::holds_alternative<Request>(r));
  CHECK(std::get<Request>(r).id == 7);
  return std::get<Request>(r).command;
}

}  // namespace

TEST_CASE("events and why requests round-trip and have their method names", "[protocol][events]") {
  const Command all = Events{};
  CHECK(method_name(all) == "events");
  CHECK(round_trip(all) == all);
  const Command one = Events{"amsa", true, 20};
  CHECK(round_trip(one) == one);
  const Command why = Why{"amsa"};
  CHECK(method_name(why) == "why");
  CHECK(round_trip(why) == why);
}

TEST_CASE("events and why params are checked", "[protocol][events]") {
  auto r = decode_request(R"({"id":1,"method":"events","params":{"limit":-1}})");
  REQUIRE(std::holds_alternative<RequestError>(r));
  CHECK(std::get<RequestError>(r).error.code == ErrorCode::BadRequest);
  r = decode_request(R"({"id":1,"method":"events","params":{"job":5}})");
  REQUIRE(std::holds_alternative<RequestError>(r));
  r = decode_request(R"({"id":1,"method":"why","params":{}})");
  REQUIRE(std::holds_alternative<RequestError>(r));
  CHECK(std::get<RequestError>(r).error.message == "params.job is required");
  r = decode_request(R"({"id":1,"method":"events"})");  // no params: every job's history
  REQUIRE(std::holds_alternative<Request>(r));
  CHECK(std::get<Request>(r).command == Command{Events{}});
}

TEST_CASE("an event's JSON has every key and reads back the same", "[protocol][events]") {
  Event e;
  e.seq = 17;
  e.time = *supd::common::parse_utc("2026-11-25T17:20:01.123Z");
  e.job = "amsa";
  e.kind = "exit";
  e.reason = "pid 4242 killed by SIGKILL";
  e.who = EventOrigin{EventOrigin::Kind::Kernel, 0, 0, {}};
  e.pid = 4242;
  e.exit = ExitStatus::killed(SIGKILL, true);
  const json j = supd::common::to_json(e);
  CHECK(j["time"] == "2026-11-25T17:20:01.123Z");
  CHECK(j["who"] == json{{"kind", "kernel"}});
  CHECK(j["exit"]["signal"] == "KILL");
  CHECK(j["exit"]["core_dumped"] == true);
  CHECK(j["from"].is_null());
  CHECK(j["signal"].is_null());
  CHECK(supd::common::event_from_json(j) == e);

  e.exit.reset();
  e.kind = "state";
  e.from = "running";
  e.to = "stopping";
  e.who = EventOrigin{EventOrigin::Kind::Peer, 0, 99, "/usr/bin/supctl"};
  const json p = supd::common::to_json(e);
  CHECK(p["who"] == json{{"kind", "peer"}, {"uid", 0}, {"pid", 99}, {"exe", "/usr/bin/supctl"}});
  CHECK(supd::common::event_from_json(p) == e);
  e.who->exe.clear();
  CHECK_FALSE(supd::common::to_json(e)["who"].contains("exe"));
  CHECK_FALSE(supd::common::event_from_json(json{{"kind", "state"}}));  // no time
}

TEST_CASE("event times: UTC with milliseconds, both ways", "[protocol][events]") {
  const auto t = supd::common::parse_utc("1970-01-01T00:00:01.005Z");
  REQUIRE(t);
  CHECK(t->time_since_epoch() == std::chrono::milliseconds(1005));
  CHECK(supd::common::format_utc(*t) == "1970-01-01T00:00:01.005Z");
  CHECK_FALSE(supd::common::parse_utc("1970-01-01 00:00:01"));
  CHECK_FALSE(supd::common::parse_utc("1970-01-01T00:00:01.005Zjunk"));
}

TEST_CASE("next_try_s: null when unset, a number that reads back", "[protocol][events]") {
  JobStatus s;
  s.name = "c";
  s.state = "fatal";
  CHECK(to_json(s)["next_try_s"].is_null());
  s.next_try_s = 240.5;
  const auto back = job_status_from_json(to_json(s));
  REQUIRE(back);
  CHECK(back->next_try_s == 240.5);
}
