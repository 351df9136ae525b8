#include <chrono>
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "common/duration.hpp"

using namespace std::chrono_literals;
using supd::common::format_duration;
using supd::common::parse_duration;
using supd::common::parse_size;

TEST_CASE("parse_duration reads units, fractions and compounds", "[duration]") {
  struct Case {
    const char* text;
    std::chrono::milliseconds want;
  };
  const Case cases[] = {
      {"0", 0ms},           {"0s", 0ms},         {"10", 10s},          {"10s", 10s},
      {"500ms", 500ms},     {"1.5s", 1500ms},    {"0.5", 500ms},       {"2m", 2min},
      {"1h", 1h},           {"1d", 24h},         {"1h30m", 90min},     {"1m30s", 90s},
      {"1d2h3m4s5ms", 24h + 2h + 3min + 4s + 5ms},                     {"1.5ms", 1ms},
      {"0.25m", 15s},       {"0.001s", 1ms},     {"007s", 7s},         {"1.123456789s", 1123ms},
      {"2h0m", 2h},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_duration(c.text) == c.want);
  }
}

TEST_CASE("parse_duration rejects what it cannot read exactly", "[duration]") {
  const char* rejects[] = {"",     "s",    "1x",   "-1s",  "-1",   "10 parsecs", " 1s", "1s ",
                           "1 s",  ".5s",  "1.s",  "1..5s", "1m30", "30m1h", "1s1s", "1h1h",
                           "1S",   "+1s",  "1e3",  "ms",   "1sm",  "1min",  "1.5.5s", "nan", "inf"};
  for (const char* text : rejects) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_duration(text));
  }
}

TEST_CASE("parse_duration refuses overflow instead of wrapping", "[duration][R58]") {
  CHECK_FALSE(parse_duration("99999999999999999999s"));  // over uint64 while reading digits
  CHECK_FALSE(parse_duration("9223372036854775808ms"));  // INT64_MAX + 1
  CHECK(parse_duration("9223372036854775807ms") == std::chrono::milliseconds::max());
  CHECK_FALSE(parse_duration("9223372036854776s"));      // fits uint64, not int64 ms
  CHECK_FALSE(parse_duration("106751991168d"));          // just over INT64_MAX ms
  // INT64_MAX ms is 106751991167d7h12m55s807ms: the sum of components is checked too.
  CHECK(parse_duration("106751991167d7h12m55s807ms") == std::chrono::milliseconds::max());
  CHECK_FALSE(parse_duration("106751991167d7h12m55s808ms"));
}

TEST_CASE("parse_size reads plain and binary/decimal units, any case", "[size]") {
  struct Case {
    const char* text;
    std::uint64_t want;
  };
  const Case cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"1024B", 1024},
      {"1024b", 1024},
      {"64KiB", 64ull << 10},
      {"50MiB", 50ull << 20},
      {"50mib", 50ull << 20},
      {"1GiB", 1ull << 30},
      {"2TiB", 2ull << 40},
      {"10MB", 10'000'000},
      {"10mb", 10'000'000},
      {"1KB", 1000},
      {"3GB", 3'000'000'000ull},
      {"1.5MiB", 1'572'864},
      {"0.5KiB", 512},
      {"1.5KB", 1500},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_size(c.text) == c.want);
  }
}

TEST_CASE("parse_size rejects junk, spaces, fractions of bytes and overflow", "[size][R58]") {
  const char* rejects[] = {"",      "B",      "MiB",     "-1",     "+1",    "1 MiB", " 1", "1 ",
                           "1x",    "1KiBB",  "1Mi",     "1K",     "1.5",   "1.5B",  ".5MiB", "1.MiB",
                           "1e6",   "1MiB1",  "10 parsecs",
                           "18446744073709551616",  // UINT64_MAX + 1
                           "16777216TiB",           // 2^64 exactly
                           "17179869184GiB",        // 2^64 exactly
                           "99999999999999999999999"};
  for (const char* text : rejects) {
    INFO('"' << text << '"');
    CHECK_FALSE(parse_size(text));
  }
  CHECK(parse_size("16777215TiB") == (16777215ull << 40));
}

TEST_CASE("format_duration is compact and truncates", "[duration]") {
  CHECK(format_duration(0ms) == "0ms");
  CHECK(format_duration(850ms) == "850ms");
  CHECK(format_duration(999ms) == "999ms");
  CHECK(format_duration(1s) == "1s");
  CHECK(format_duration(42s + 900ms) == "42s");
  CHECK(format_duration(59s) == "59s");
  CHECK(format_duration(60s) == "1m00s");
  CHECK(format_duration(3min + 12s) == "3m12s");
  CHECK(format_duration(3min + 5s) == "3m05s");
  CHECK(format_duration(2h + 3min + 59s) == "2h03m");
  CHECK(format_duration(23h + 59min) == "23h59m");
  CHECK(format_duration(4 * 24h + 2h + 30min) == "4d02h");
  CHECK(format_duration(400 * 24h) == "400d00h");
  CHECK(format_duration(-5s) == "0ms");  // a clock step backwards is not negative uptime
}
