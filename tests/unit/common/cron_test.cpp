// Cron expressions: every form the parser reads, every error it gives, and next runs across
// month ends, leap years and DST (times built from their fields by mktime/timegm).
#include <bitset>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "common/cron.hpp"

using supd::common::CronSchedule;
using supd::common::next_cron_time;
using supd::common::parse_cron;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

// Sets TZ for one test and puts back what was there, so other tests see the usual zone.
class TimeZone {
public:
  explicit TimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~TimeZone() {
    if (old_) ::setenv("TZ", old_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  TimeZone(const TimeZone&) = delete;
  TimeZone& operator=(const TimeZone&) = delete;

private:
  std::optional<std::string> old_;
};

std::tm fields(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return tm;
}

// A local time in the current TZ; `isdst` picks one of the two when the clock went back.
TimePoint local(int year, int month, int day, int hour, int minute, int second = 0, int isdst = -1) {
  std::tm tm = fields(year, month, day, hour, minute, second);
  tm.tm_isdst = isdst;
  return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

TimePoint utc(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm = fields(year, month, day, hour, minute, second);
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// "2026-03-30 02:30 CEST": the local time a run happens at, readable when a check fails.
std::string show(std::optional<TimePoint> t) {
  if (!t) return "none";
  const std::time_t secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return text;
}

CronSchedule must_parse(std::string_view text) {
  std::string error;
  const auto s = parse_cron(text, error);
  INFO(text << ": " << error);
  REQUIRE(s);
  return *s;
}

std::string error_of(std::string_view text, std::size_t* column = nullptr) {
  std::string error;
  const auto s = parse_cron(text, error, column);
  INFO(text);
  CHECK_FALSE(s);
  return error;
}

std::string next_after(std::string_view text, TimePoint after) { return show(next_cron_time(must_parse(text), after)); }

// The runs from `after` up to `until`, one next_cron_time after another, as the scheduler does.
std::vector<std::string> runs(std::string_view text, TimePoint after, TimePoint until) {
  const CronSchedule s = must_parse(text);
  std::vector<std::string> out;
  for (auto t = next_cron_time(s, after); t && *t <= until; t = next_cron_time(s, *t)) out.push_back(show(t));
  return out;
}

template <std::size_t N>
std::bitset<N> bits(std::initializer_list<int> values) {
  std::bitset<N> b;
  for (const int v : values) b.set(static_cast<std::size_t>(v));
  return b;
}

}  // namespace

TEST_CASE("parse_cron reads stars numbers ranges lists and steps", "[cron]") {
  const CronSchedule all = must_parse("* * * * *");
  CHECK(all.minutes.all());
  CHECK(all.hours.all());
  CHECK(all.days_of_month == ~bits<32>({0}));
  CHECK(all.months == ~bits<13>({0}));
  CHECK(all.days_of_week.all());
  CHECK_FALSE(all.dom_restricted);
  CHECK_FALSE(all.dow_restricted);

  const CronSchedule single = must_parse("5 4 3 2 1");
  CHECK(single.minutes == bits<60>({5}));
  CHECK(single.hours == bits<24>({4}));
  CHECK(single.days_of_month == bits<32>({3}));
  CHECK(single.months == bits<13>({2}));
  CHECK(single.days_of_week == bits<7>({1}));
  CHECK(single.dom_restricted);
  CHECK(single.dow_restricted);

  CHECK(must_parse("1-5 * * * *").minutes == bits<60>({1, 2, 3, 4, 5}));
  CHECK(must_parse("1,3,5 * * * *").minutes == bits<60>({1, 3, 5}));
  CHECK(must_parse("*/15 * * * *").minutes == bits<60>({0, 15, 30, 45}));
  CHECK(must_parse("10-30/10 * * * *").minutes == bits<60>({10, 20, 30}));
  CHECK(must_parse("50/5 * * * *").minutes == bits<60>({50, 55}));  // a/n: a to the end
  CHECK(must_parse("1,10-12,*/30 * * * *").minutes == bits<60>({0, 1, 10, 11, 12, 30}));
  CHECK(must_parse("07 * * * *").minutes == bits<60>({7}));
  CHECK(must_parse("5-5 * * * *").minutes == bits<60>({5}));
  CHECK(must_parse("* 9-17/4 * * *").hours == bits<24>({9, 13, 17}));
  CHECK(must_parse("* */6 * * *").hours == bits<24>({0, 6, 12, 18}));
  CHECK(must_parse("* * */10 * *").days_of_month == bits<32>({1, 11, 21, 31}));
  CHECK(must_parse("* * 28-31 * *").days_of_month == bits<32>({28, 29, 30, 31}));
  CHECK(must_parse("* * * */3 *").months == bits<13>({1, 4, 7, 10}));
  CHECK(must_parse("* * * * */2").days_of_week == bits<7>({0, 2, 4, 6}));
  CHECK(must_parse("* * * * 1/2").days_of_week == bits<7>({1, 3, 5}));
  CHECK(must_parse("* * * * 1-7/2").days_of_week == bits<7>({1, 3, 5, 0}));  // 7 is Sunday
  // The largest steps.
  CHECK(must_parse("*/59 */23 * */11 *") == must_parse("0,59 0,23 * 1,12 *"));
  CHECK(must_parse("* * */30 * *").days_of_month == bits<32>({1, 31}));
  CHECK(must_parse("* * * * */6").days_of_week == bits<7>({0, 6}));
}

TEST_CASE("parse_cron reads month and day names in any case", "[cron]") {
  CHECK(must_parse("* * * jan-mar *").months == bits<13>({1, 2, 3}));
  CHECK(must_parse("* * * JAN,Jun,dEc *").months == bits<13>({1, 6, 12}));
  CHECK(must_parse("* * * jun-dec/2 *").months == bits<13>({6, 8, 10, 12}));
  CHECK(must_parse("* * * feb/5 *").months == bits<13>({2, 7, 12}));
  CHECK(must_parse("* * * * Mon-Fri").days_of_week == bits<7>({1, 2, 3, 4, 5}));
  CHECK(must_parse("* * * * sun,SAT").days_of_week == bits<7>({0, 6}));
  CHECK(must_parse("* * * * mon-5") == must_parse("* * * * 1-fri"));
  CHECK(must_parse("0 0 1 jan mon") == must_parse("0 0 1 1 1"));
}

TEST_CASE("parse_cron takes 7 as Sunday", "[cron]") {
  CHECK(must_parse("0 0 * * 7") == must_parse("0 0 * * 0"));
  CHECK(must_parse("0 0 * * 7") == must_parse("0 0 * * sun"));
  CHECK(must_parse("* * * * 5-7").days_of_week == bits<7>({5, 6, 0}));
  CHECK(must_parse("* * * * fri-sun").days_of_week == bits<7>({5, 6, 0}));  // sun ends a range as 7
  CHECK(must_parse("* * * * 7-2").days_of_week == bits<7>({0, 1, 2}));      // and 7 starts one as 0
  CHECK(must_parse("* * * * 0-7").days_of_week.all());
  CHECK(must_parse("* * * * 0,7").days_of_week == bits<7>({0}));
}

TEST_CASE("parse_cron expands the macros", "[cron]") {
  CHECK(must_parse("@hourly") == must_parse("0 * * * *"));
  CHECK(must_parse("@daily") == must_parse("0 0 * * *"));
  CHECK(must_parse("@midnight") == must_parse("0 0 * * *"));
  CHECK(must_parse("@weekly") == must_parse("0 0 * * 0"));
  CHECK(must_parse("@monthly") == must_parse("0 0 1 * *"));
  CHECK(must_parse("@yearly") == must_parse("0 0 1 1 *"));
  CHECK(must_parse("@annually") == must_parse("0 0 1 1 *"));
  CHECK(must_parse("  @Daily\t") == must_parse("0 0 * * *"));
}

TEST_CASE("parse_cron allows any blanks around and between fields", "[cron]") {
  CHECK(must_parse("  */5\t*   * *\t\t* \n") == must_parse("*/5 * * * *"));
  CHECK(must_parse("\t0 9 * * mon-fri") == must_parse("0 9 * * 1-5"));
}

TEST_CASE("parse_cron marks a day field restricted unless it starts with a star", "[cron]") {
  const auto dom = must_parse("0 0 1 * *");
  CHECK(dom.dom_restricted);
  CHECK_FALSE(dom.dow_restricted);
  const auto dow = must_parse("0 0 * * 1");
  CHECK_FALSE(dow.dom_restricted);
  CHECK(dow.dow_restricted);
  // As Vixie cron: a stepped star is not a restriction, an explicit full range is.
  CHECK_FALSE(must_parse("0 0 */2 * *").dom_restricted);
  CHECK(must_parse("0 0 1-31 * *").dom_restricted);
  CHECK(must_parse("0 0 * * 0-6").dow_restricted);
}

TEST_CASE("parse_cron says how many fields it wants", "[cron]") {
  std::size_t column = 99;
  CHECK(error_of("* * * *", &column) ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 4; e.g. \"*/5 * * * *\"");
  CHECK(column == 99);  // no one field is at fault
  CHECK(error_of("0 0 * * * *", &column) ==
        "expected 5 fields (minute hour day-of-month month day-of-week), got 6; e.g. \"*/5 * * * *\"");
  CHECK(column == 10);  // the first field too many
  CHECK_THAT(error_of("1 2 3 4 5 6 7 8"), Catch::Contains("got 8"));
  CHECK_THAT(error_of("*/5"), Catch::Contains("got 1"));
  CHECK_THAT(error_of(""), Catch::Contains("empty") && Catch::Contains("5 fields"));
  CHECK_THAT(error_of(" \t\n "), Catch::Contains("empty"));
}

TEST_CASE("parse_cron names the field whose value is out of range", "[cron]") {
  std::size_t column = 99;
  CHECK(error_of("61 * * * *", &column) == "minute field '61' is out of range 0-59");
  CHECK(column == 0);
  CHECK(error_of("* 24 * * *", &column) == "hour field '24' is out of range 0-23");
  CHECK(column == 2);
  CHECK(error_of("* * 0 * *") == "day-of-month field '0' is out of range 1-31");
  CHECK(error_of("* * 32 * *") == "day-of-month field '32' is out of range 1-31");
  CHECK(error_of("* * * 13 *") == "month field '13' is out of range 1-12 (or jan-dec)");
  CHECK(error_of("* * * 0 *") == "month field '0' is out of range 1-12 (or jan-dec)");
  CHECK(error_of("* * * * 8") == "day-of-week field '8' is out of range 0-7 (or sun-sat; 0 and 7 are Sunday)");
  CHECK(error_of("99999999999999999999 * * * *") == "minute field '99999999999999999999' is out of range 0-59");
  // A part of an item is quoted on its own, and the column points at it.
  CHECK(error_of("* 20-25 * * *", &column) == "hour field '20-25': '25' is out of range 0-23");
  CHECK(column == 5);
  CHECK(error_of("0,15,60 * * * *", &column) == "minute field '60' is out of range 0-59");
  CHECK(column == 5);
}

TEST_CASE("parse_cron refuses a zero or oversized step", "[cron]") {
  std::size_t column = 99;
  CHECK(error_of("*/0 * * * *", &column) == "minute field '*/0': a step must be 1-59");
  CHECK(column == 0);
  CHECK(error_of("* 1-5/0 * * *") == "hour field '1-5/0': a step must be 1-23");
  CHECK(error_of("*/60 * * * *") == "minute field '*/60': a step must be 1-59");
  CHECK(error_of("* * * * */7") == "day-of-week field '*/7': a step must be 1-6");
  CHECK(error_of("*/ * * * *") == "minute field '*/': a step needs a number after '/' (e.g. '*/5')");
  CHECK_THAT(error_of("*/x * * * *"), Catch::Contains("a step needs a number"));
}

TEST_CASE("parse_cron refuses a backward range and says how to write it", "[cron]") {
  std::size_t column = 99;
  CHECK(error_of("* * * * fri-mon", &column) ==
        "day-of-week field 'fri-mon': a range must go upward (use 'fri-sat,sun-mon')");
  CHECK(column == 8);
  CHECK(error_of("* 22-2 * * *") == "hour field '22-2': a range must go upward (use '22-23,0-2')");
  CHECK(error_of("* * * nov-feb *") == "month field 'nov-feb': a range must go upward (use 'nov-dec,jan-feb')");
  CHECK(error_of("* * * * sat-mon") == "day-of-week field 'sat-mon': a range must go upward (use 'sat,sun-mon')");
  CHECK(error_of("* * 31-1 * *") == "day-of-month field '31-1': a range must go upward (use '31,1')");
  CHECK(error_of("50-10/5 * * * *") == "minute field '50-10/5': a range must go upward (50 comes after 10)");
}

TEST_CASE("parse_cron points at junk characters", "[cron]") {
  std::size_t column = 99;
  CHECK(error_of("5x * * * *", &column) ==
        "minute field '5x': unexpected 'x'; write '*', a number, a range (1-5), a list (1,5) or a step (*/5)");
  CHECK(column == 1);
  CHECK_THAT(error_of("1;2 * * * *"), Catch::Contains("unexpected ';'"));
  CHECK_THAT(error_of("1-2-3 * * * *"), Catch::Contains("minute field '1-2-3': unexpected '-'"));
  CHECK_THAT(error_of("-5 * * * *"), Catch::Contains("unexpected '-'"));
  CHECK_THAT(error_of("** * * * *"), Catch::Contains("unexpected '*'"));
  CHECK_THAT(error_of("*/5/2 * * * *"), Catch::Contains("unexpected '/'"));
  CHECK_THAT(error_of("* * ? * *"), Catch::Contains("day-of-month field '?': unexpected '?'"));
  CHECK_THAT(error_of("* * L * *"), Catch::Contains("day-of-month field 'L' is not a number 1-31"));
  CHECK_THAT(error_of("1\x01 * * * *"), Catch::Contains("unexpected '\\x01'"));
  CHECK(error_of("1- * * * *") == "minute field '1-': a range needs a value after '-' (e.g. '1-5')");
  CHECK(error_of("1,,2 * * * *", &column) == "minute field '1,,2' has an empty list item; remove the extra ','");
  CHECK(column == 2);
  CHECK_THAT(error_of("1, * * * *"), Catch::Contains("empty list item"));
  CHECK_THAT(error_of(",1 * * * *"), Catch::Contains("empty list item"));
}

TEST_CASE("parse_cron explains names it does not know", "[cron]") {
  CHECK(error_of("mon * * * *") == "minute field 'mon' is not a number 0-59 (names are for months and days of "
                                   "the week only)");
  CHECK(error_of("* * * * fry") == "day-of-week field 'fry' is not a day name; write one of sun mon tue wed thu "
                                   "fri sat or a number 0-7");
  CHECK_THAT(error_of("* * * jam *"), Catch::Contains("month field 'jam' is not a month name"));
  CHECK(error_of("* * * * friday") == "day-of-week field 'friday' is too long: write its first three letters, 'fri'");
  CHECK(error_of("* * * January *") == "month field 'January' is too long: write its first three letters, 'jan'");
  CHECK_THAT(error_of("* * * * mon-friday"), Catch::Contains("'mon-friday': 'friday' is too long"));
}

TEST_CASE("parse_cron refuses @reboot and unknown macros", "[cron]") {
  std::size_t column = 99;
  const std::string reboot = error_of("@reboot", &column);
  CHECK_THAT(reboot, Catch::Contains("@reboot") && Catch::Contains("autostart"));
  CHECK(column == 0);
  CHECK(error_of("@often") ==
        "unknown macro '@often'; use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or @annually");
  CHECK(error_of("@daily 0 * * * *", &column) == "'@daily' stands alone: write either it or 5 fields, not both");
  CHECK(column == 7);
}

TEST_CASE("next_cron_time finds the next whole minute in UTC", "[cron]") {
  const TimeZone zone("UTC");
  CHECK(next_after("*/5 * * * *", utc(2026, 1, 1, 10, 2, 30)) == "2026-01-01 10:05:00 UTC");
  CHECK(next_after("*/5 * * * *", utc(2026, 1, 1, 10, 5, 0)) == "2026-01-01 10:10:00 UTC");  // strictly after
  CHECK(next_after("* * * * *", utc(2026, 1, 1, 10, 5, 0)) == "2026-01-01 10:06:00 UTC");
  CHECK(next_after("*/5 * * * *", utc(2026, 1, 1, 10, 4, 59) + std::chrono::milliseconds(999)) ==
        "2026-01-01 10:05:00 UTC");
  CHECK(next_cron_time(must_parse("0 9 * * *"), utc(2026, 1, 1, 10, 0)) == utc(2026, 1, 2, 9, 0));
  CHECK(next_after("59 23 * * *", utc(2026, 1, 1, 23, 59)) == "2026-01-02 23:59:00 UTC");
  CHECK(next_after("@hourly", utc(2026, 1, 1, 23, 0)) == "2026-01-02 00:00:00 UTC");
  CHECK(next_after("0 0 * * 7", utc(2026, 1, 1, 0, 0)) == "2026-01-04 00:00:00 UTC");  // Thursday -> Sunday
  CHECK(next_after("@weekly", utc(2026, 1, 4, 0, 0)) == "2026-01-11 00:00:00 UTC");
  CHECK(next_after("0 0 * * mon-fri", utc(2026, 1, 2, 12, 0)) == "2026-01-05 00:00:00 UTC");  // Fri -> Mon
}

TEST_CASE("next_cron_time crosses month and year ends", "[cron]") {
  const TimeZone zone("UTC");
  CHECK(next_after("0 0 1 * *", utc(2026, 1, 31, 12, 0)) == "2026-02-01 00:00:00 UTC");
  CHECK(next_after("@monthly", utc(2026, 12, 31, 23, 59, 59)) == "2027-01-01 00:00:00 UTC");
  CHECK(next_after("@yearly", utc(2026, 1, 1, 0, 0)) == "2027-01-01 00:00:00 UTC");
  CHECK(next_after("0 12 31 * *", utc(2026, 4, 1, 0, 0)) == "2026-05-31 12:00:00 UTC");  // April has 30
  CHECK(next_after("0 0 30 * *", utc(2026, 1, 30, 0, 0)) == "2026-03-30 00:00:00 UTC");  // February has not
  CHECK(next_after("0 0 1 jun *", utc(2026, 7, 1, 0, 0)) == "2027-06-01 00:00:00 UTC");
  CHECK(next_after("30 4 * dec *", utc(2026, 12, 31, 4, 30)) == "2027-12-01 04:30:00 UTC");
}

TEST_CASE("next_cron_time finds February 29 in leap years only", "[cron]") {
  const TimeZone zone("UTC");
  CHECK(next_after("0 0 29 2 *", utc(2027, 1, 1, 0, 0)) == "2028-02-29 00:00:00 UTC");
  CHECK(next_after("0 0 29 2 *", utc(2028, 2, 29, 0, 0)) == "2032-02-29 00:00:00 UTC");
  CHECK(next_after("0 0 29 2 *", utc(2096, 1, 1, 0, 0)) == "2096-02-29 00:00:00 UTC");
  // 2100 is no leap year: the next February 29 is in 2104, past the 5 years looked at.
  CHECK(next_after("0 0 29 2 *", utc(2097, 3, 1, 0, 0)) == "none");
}

TEST_CASE("next_cron_time gives none for a date that never comes", "[cron]") {
  const TimeZone zone("UTC");
  CHECK_FALSE(next_cron_time(must_parse("0 0 30 2 *"), utc(2026, 1, 1, 0, 0)));
  CHECK_FALSE(next_cron_time(must_parse("0 0 31 2 *"), utc(2026, 1, 1, 0, 0)));
  CHECK_FALSE(next_cron_time(must_parse("0 0 31 apr,jun,sep,nov *"), utc(2026, 1, 1, 0, 0)));
  // With a weekday as well the day rule is "either", so it does come.
  CHECK(next_after("0 0 30 2 mon", utc(2026, 1, 1, 0, 0)) == "2026-02-02 00:00:00 UTC");
}

TEST_CASE("next_cron_time matches either day field when both are restricted", "[cron]") {
  const TimeZone zone("UTC");
  const TimePoint from = utc(2026, 1, 1, 0, 0);  // a Thursday
  const TimePoint until = utc(2026, 1, 31, 23, 59);
  // Fridays in January 2026 are the 2nd, 9th, 16th, 23rd and 30th.
  CHECK(runs("0 0 * * fri", from, until) ==
        std::vector<std::string>{"2026-01-02 00:00:00 UTC", "2026-01-09 00:00:00 UTC", "2026-01-16 00:00:00 UTC",
                                 "2026-01-23 00:00:00 UTC", "2026-01-30 00:00:00 UTC"});
  CHECK(runs("0 0 13 * *", from, until) == std::vector<std::string>{"2026-01-13 00:00:00 UTC"});
  CHECK(runs("0 0 13 * fri", from, until) ==
        std::vector<std::string>{"2026-01-02 00:00:00 UTC", "2026-01-09 00:00:00 UTC", "2026-01-13 00:00:00 UTC",
                                 "2026-01-16 00:00:00 UTC", "2026-01-23 00:00:00 UTC", "2026-01-30 00:00:00 UTC"});
  // A day field starting with '*' is no restriction: the days must match both (odd Fridays).
  CHECK(runs("0 0 */2 * fri", from, until) ==
        std::vector<std::string>{"2026-01-09 00:00:00 UTC", "2026-01-23 00:00:00 UTC"});
  CHECK(runs("0 0 1-31 * 7", utc(2025, 12, 31, 12, 0), until).size() == 31);  // every day
}

TEST_CASE("next_cron_time skips a local time that DST leaves out", "[cron]") {
  const TimeZone zone("Europe/Berlin");  // 2026-03-29: 02:00 CET becomes 03:00 CEST
  CHECK(next_after("30 2 * * *", local(2026, 3, 29, 0, 0)) == "2026-03-30 02:30:00 CEST");
  CHECK(next_cron_time(must_parse("30 2 * * *"), local(2026, 3, 28, 2, 30)) == local(2026, 3, 30, 2, 30));
  CHECK(runs("*/15 * * * *", local(2026, 3, 29, 1, 30), local(2026, 3, 29, 3, 15)) ==
        std::vector<std::string>{"2026-03-29 01:45:00 CET", "2026-03-29 03:00:00 CEST", "2026-03-29 03:15:00 CEST"});
  CHECK(next_after("0 2 29 3 *", local(2026, 3, 1, 0, 0)) == "2027-03-29 02:00:00 CEST");
}

TEST_CASE("next_cron_time runs a repeated local time once at its first occurrence", "[cron]") {
  const TimeZone zone("Europe/Berlin");  // 2026-10-25: 03:00 CEST becomes 02:00 CET
  CHECK(runs("30 2 * * *", local(2026, 10, 24, 12, 0), local(2026, 10, 26, 12, 0)) ==
        std::vector<std::string>{"2026-10-25 02:30:00 CEST", "2026-10-26 02:30:00 CET"});
  // Started in the repeat, after the first 02:30 went by: that day's run is not made up.
  CHECK(next_after("30 2 * * *", local(2026, 10, 25, 2, 10, 0, 0)) == "2026-10-26 02:30:00 CET");
  CHECK(next_after("30 2 * * *", local(2026, 10, 25, 2, 10, 0, 1)) == "2026-10-25 02:30:00 CEST");
  CHECK(runs("0 * * * *", local(2026, 10, 25, 1, 0), local(2026, 10, 25, 4, 0)) ==
        std::vector<std::string>{"2026-10-25 02:00:00 CEST", "2026-10-25 03:00:00 CET",
                                 "2026-10-25 04:00:00 CET"});
}
