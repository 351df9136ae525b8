// ISO-8601 times as supd prints and reads them back.
#include <catch2/catch.hpp>

#include "common/time_format.hpp"

using namespace supd::common;

TEST_CASE("iso8601_utc_ms prints a fixed-width UTC time with milliseconds", "[time]") {
  CHECK(iso8601_utc_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601_utc_ms(1'795'000'000'123) == "2026-11-18T11:06:40.123Z");
  CHECK(iso8601_utc_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(iso8601_utc_ms(1'795'000'000'123).size() == kIsoTimeWidth);
}

TEST_CASE("parse_iso8601_utc_ms reads back exactly what is printed, and nothing else", "[time]") {
  for (const std::int64_t t : {0LL, 1'795'000'000'123LL, 951'782'400'000LL /* 2000-02-29 */})
    CHECK(parse_iso8601_utc_ms(iso8601_utc_ms(t)) == t);
  CHECK(parse_iso8601_utc_ms("2026-11-18T11:06:40.123Z some output") == 1'795'000'000'123LL);
  CHECK_FALSE(parse_iso8601_utc_ms("2026-11-18 09:46:40.123Z"));
  CHECK_FALSE(parse_iso8601_utc_ms("2026-13-18T11:06:40.123Z"));
  CHECK_FALSE(parse_iso8601_utc_ms("2026-11-18T11:06:40.12Z"));
  CHECK_FALSE(parse_iso8601_utc_ms(""));
  CHECK_FALSE(parse_iso8601_utc_ms("12345 a plain line"));
}

TEST_CASE("unix_ms_now is after this code was written", "[time]") {
  CHECK(unix_ms_now() > 1'790'000'000'000LL);
}
