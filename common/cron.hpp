// Five-field cron expressions (`schedule = "*/5 * * * *"`): the parser, and the next local
// time one matches. Pure (no clock, no I/O) so a config check and the scheduler agree, and so
// DST and leap years are tested with fixed times.
#pragma once
#include <bitset>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

// Which minutes, hours, ... an expression matches; a set bit is a matching value.
struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // 1..31 (bit 0 unused)
  std::bitset<13> months;         // 1..12 (bit 0 unused)
  std::bitset<7> days_of_week;    // 0..6, Sunday = 0 (the text may write Sunday as 7)
  // As in Vixie cron and crontab(5): a day field is restricted unless its text starts with
  // '*' ("*" and "*/2" are not restricted). When both are restricted, a day matches if either
  // does ("0 0 1 * mon": the 1st and every Monday); otherwise it must match both.
  bool dom_restricted = false, dow_restricted = false;
  bool operator==(const CronSchedule&) const = default;
};

// "*/5 * * * *", "0 9-17 * * mon-fri", "30 2 1,15 jan-jun/2 *", "@daily". Fields: numbers,
// '*', ranges a-b, lists a,b,c, steps */n, a-b/n and a/n (a to the field's maximum), month
// names jan..dec and day names sun..sat (any case; "fri-sun" and "7-2" wrap over Sunday as
// cron's 0-7 allows). Macros: @hourly @daily @midnight @weekly @monthly @yearly @annually.
// On failure: nullopt, `error` one line naming the field and what to write instead
// ("minute field '61' is out of range 0-59"), and `*error_column` the 0-based offset in `text`
// of what is wrong (the bad value or list item, the first field too many, the macro) when one
// place is; `error` and `*error_column` are left alone on success.
std::optional<CronSchedule> parse_cron(std::string_view text, std::string& error, std::size_t* error_column = nullptr);

// The first whole minute strictly after `after` that matches, in local time (the process's TZ).
// A local time that does not exist (DST starts) is skipped; one that happens twice (DST ends)
// counts only at its first occurrence, so a job runs once, and not at all if that occurrence
// is at or before `after` (so "*/15 * * * *" rests while the hour repeats). nullopt when
// nothing matches within 5 years ("0 0 30 2 *").
std::optional<std::chrono::system_clock::time_point> next_cron_time(const CronSchedule& s,
                                                                    std::chrono::system_clock::time_point after);

}  // namespace supd::common
