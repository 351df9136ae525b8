// Several logs as one (supctl logs A B, logs all): lines cut whole, merged by time, prefixed.
#include <catch2/catch.hpp>

#include "ctl/log_merge.hpp"

using namespace supd::ctl;

TEST_CASE("merged logs: a line split across pieces comes out whole, its time taken off", "[logs]") {
  TimedLineAssembler a;
  CHECK(a.feed("2026-12-06T10:00:00.000Z hel").empty());
  const auto lines = a.feed("lo\n2026-12-06T10:00:01.000Z second\n2026-12-06T10:00:02.000Z par");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].time == "2026-12-06T10:00:00.000Z");
  CHECK(lines[0].text == "hello\n");
  CHECK(lines[1].text == "second\n");
  const auto rest = a.finish();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].text == "par");
  CHECK(a.finish().empty());
}

TEST_CASE("merged logs: lines of several streams in time order, equal times in stream order", "[logs]") {
  const std::vector<std::vector<TimedLine>> streams{
      {{"2026-12-06T10:00:00.000Z", "a1\n"}, {"2026-12-06T10:00:02.000Z", "a2\n"}},
      {{"-", "b0\n"}, {"2026-12-06T10:00:01.000Z", "b1\n"}, {"2026-12-06T10:00:02.000Z", "b2\n"}},
  };
  std::string order;
  for (const auto& m : merge_by_time(streams)) order += std::to_string(m.source) + ":" + m.line.text;
  CHECK(order == "1:b0\n0:a1\n1:b1\n0:a2\n1:b2\n");
}

TEST_CASE("merged logs: each line after its job's name, aligned, stderr marked", "[logs]") {
  const LinePrefixes p({{"api", false}, {"worker", false}, {"api", true}}, false);
  CHECK(p.line(0, {"2026-12-06T10:00:00.000Z", "GET /\n"}, false) == "api        | GET /\n");
  CHECK(p.line(1, {"-", "tick"}, false) == "worker     | tick\n");  // a partial last line ends the row
  CHECK(p.line(2, {"-", "boom\n"}, false) == "api stderr | boom\n");
  CHECK(p.line(0, {"2026-12-06T10:00:00.000Z", "GET /\n"}, true) == "api        | 2026-12-06T10:00:00.000Z GET /\n");
}

TEST_CASE("merged logs: colour by job on a terminal, none without one or with NO_COLOR", "[logs]") {
  const LinePrefixes coloured({{"api", false}, {"db", false}, {"api", true}}, true);
  const auto api = coloured.prefix(0), db = coloured.prefix(1), api_err = coloured.prefix(2);
  CHECK(api.find("\x1b[") != std::string::npos);
  CHECK(api.substr(0, 5) != db.substr(0, 5));       // another job, another colour
  CHECK(api.substr(0, 5) == api_err.substr(0, 5));  // the same job's stderr: its colour, marked
  CHECK(api_err.find("stderr") != std::string::npos);
  CHECK(want_colour(true, nullptr));
  CHECK(want_colour(true, ""));
  CHECK_FALSE(want_colour(true, "1"));
  CHECK_FALSE(want_colour(false, nullptr));
}
