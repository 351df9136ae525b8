#include "common/cron.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <span>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/ascii.hpp"

namespace supd::common {
namespace {

namespace chr = std::chrono;

constexpr std::string_view kFieldList = "minute hour day-of-month month day-of-week";
constexpr std::string_view kExample = "\"*/5 * * * *\"";

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                        "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kMonthFullNames{"january", "february", "march",     "april",
                                                            "may",     "june",     "july",      "august",
                                                            "september", "october", "november", "december"};
constexpr std::array<std::string_view, 7> kDayNames{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kDayFullNames{"sunday",   "monday", "tuesday", "wednesday",
                                                         "thursday", "friday", "saturday"};

struct Field {
  std::string_view name;
  int lo;    // the first value, and where '*' starts
  int hi;    // the last value the text may write (day-of-week: 7, another Sunday)
  int last;  // where '*' and "a/n" end (day-of-week: 6)
  std::span<const std::string_view> names;  // names[i] is the value name_base + i
  std::span<const std::string_view> full_names;
  int name_base;
  std::string_view range_text;  // "0-59"
  std::string_view range_note;  // what else "is out of range 0-59" may add
  bool seven_is_sunday;
};

constexpr std::array<Field, 5> kFields{{
    {"minute", 0, 59, 59, {}, {}, 0, "0-59", "", false},
    {"hour", 0, 23, 23, {}, {}, 0, "0-23", "", false},
    {"day-of-month", 1, 31, 31, {}, {}, 0, "1-31", "", false},
    {"month", 1, 12, 12, kMonthNames, kMonthFullNames, 1, "1-12", " (or jan-dec)", false},
    {"day-of-week", 0, 7, 6, kDayNames, kDayFullNames, 0, "0-7", " (or sun-sat; 0 and 7 are Sunday)", true},
}};

struct Macro {
  std::string_view name;
  std::string_view fields;
};

constexpr std::array<Macro, 7> kMacros{{
    {"@hourly", "0 * * * *"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
}};

using ascii::is_alpha;
using ascii::is_digit;
using ascii::is_space;
using ascii::lower;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// A character as a message can show it: a control byte would garble the line.
std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 || u >= 0x7f) ? fmt::format("\\x{:02x}", u) : std::string(1, c);
}

struct Failure {
  std::string message;
  std::size_t column = std::string_view::npos;  // npos: no one place is at fault
};

// One field's text -> a bit per matching value. Each error names the field and quotes the
// list item at fault, and points `failure.column` at that item.
class FieldParser {
public:
  FieldParser(const Field& field, std::string_view text, std::size_t column, Failure& failure)
      : field_(field), text_(text), column_(column), failure_(failure) {}

  std::optional<std::uint64_t> parse() {
    std::uint64_t bits = 0;
    std::size_t begin = 0;
    while (true) {
      const std::size_t comma = text_.find(',', begin);
      const std::size_t end = comma == std::string_view::npos ? text_.size() : comma;
      if (end == begin) {
        fail(begin, fmt::format("{} field '{}' has an empty list item; remove the extra ','", field_.name, text_));
        return std::nullopt;
      }
      item_ = text_.substr(begin, end - begin);
      item_column_ = column_ + begin;
      const auto item_bits = parse_item();
      if (!item_bits) return std::nullopt;
      bits |= *item_bits;
      if (comma == std::string_view::npos) return bits;
      begin = comma + 1;
    }
  }

private:
  struct Value {
    int number;
    bool named;
  };

  // "*", "5", "1-5", "mon-fri", each optionally "/step".
  std::optional<std::uint64_t> parse_item() {
    std::size_t i = 0;
    int first = field_.lo, last = field_.last;
    bool star = false, range = false, named = false;
    if (item_[0] == '*') {
      star = true;
      i = 1;
    } else {
      const auto a = take_value(i, "");  // never missing: the item is not empty
      if (!a) return std::nullopt;
      first = last = a->number;
      named = a->named;
      if (i < item_.size() && item_[i] == '-') {
        ++i;
        const auto b = take_value(i, "a range needs a value after '-' (e.g. '1-5')");
        if (!b) return std::nullopt;
        last = b->number;
        named = named || b->named;
        range = true;
      }
    }
    int step = 1;
    bool stepped = false;
    if (i < item_.size() && item_[i] == '/') {
      ++i;
      const std::size_t digits = i;
      while (i < item_.size() && is_digit(item_[i])) ++i;
      if (i == digits) {
        fail(0, fmt::format("{} field '{}': a step needs a number after '/' (e.g. '*/5')", field_.name, item_));
        return std::nullopt;
      }
      const int max_step = field_.last - field_.lo;
      const auto [end, ec] = std::from_chars(item_.data() + digits, item_.data() + i, step);
      if (ec != std::errc{} || step < 1 || step > max_step) {
        fail(0, fmt::format("{} field '{}': a step must be 1-{}", field_.name, item_, max_step));
        return std::nullopt;
      }
      stepped = true;
      if (!star && !range) last = field_.last;  // "a/n": a to the field's end
    }
    if (i < item_.size()) {
      unexpected(i);
      return std::nullopt;
    }
    if (range && field_.seven_is_sunday && first > last) {
      if (first == 7) first = 0;  // "7-2": Sunday to Tuesday
      else if (last == 0) last = 7;  // "fri-sun": Friday to Sunday
    }
    if (range && first > last) {
      fail(0, backward_range_message(first, last, named, stepped));
      return std::nullopt;
    }
    std::uint64_t bits = 0;
    for (int v = first; v <= last; v += step) bits |= std::uint64_t{1} << (v == 7 && field_.seven_is_sunday ? 0 : v);
    return bits;
  }

  // A number or a name at item_[i], in range; advances i past it.
  std::optional<Value> take_value(std::size_t& i, std::string_view when_missing) {
    const std::size_t begin = i;
    if (i < item_.size() && is_digit(item_[i])) {
      while (i < item_.size() && is_digit(item_[i])) ++i;
      const std::string_view digits = item_.substr(begin, i - begin);
      int v = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc{} || v < field_.lo || v > field_.hi) {
        fail(begin, about(digits, fmt::format("is out of range {}{}", field_.range_text, field_.range_note)));
        return std::nullopt;
      }
      return Value{v, false};
    }
    if (i < item_.size() && is_alpha(item_[i])) {
      while (i < item_.size() && is_alpha(item_[i])) ++i;
      const std::string_view word = item_.substr(begin, i - begin);
      if (const auto v = value_of_name(word)) return Value{*v, true};
      fail(begin, about(word, name_advice(word)));
      return std::nullopt;
    }
    if (i < item_.size()) unexpected(i);
    else fail(0, fmt::format("{} field '{}': {}", field_.name, item_, when_missing));
    return std::nullopt;
  }

  std::optional<int> value_of_name(std::string_view word) const {
    for (std::size_t k = 0; k < field_.names.size(); ++k)
      if (equal_ignoring_case(word, field_.names[k])) return field_.name_base + static_cast<int>(k);
    return std::nullopt;
  }

  std::string name_advice(std::string_view word) const {
    if (field_.names.empty())
      return fmt::format("is not a number {} (names are for months and days of the week only)", field_.range_text);
    for (std::size_t k = 0; k < field_.full_names.size(); ++k)
      if (equal_ignoring_case(word, field_.full_names[k]))
        return fmt::format("is too long: write its first three letters, '{}'", field_.names[k]);
    return fmt::format("is not a {} name; write one of {} or a number {}", field_.seven_is_sunday ? "day" : "month",
                       fmt::join(field_.names, " "), field_.range_text);
  }

  // "hour field '25' is ..." for a whole item, "hour field '20-25': '25' is ..." for a part.
  std::string about(std::string_view part, std::string_view predicate) const {
    if (part == item_) return fmt::format("{} field '{}' {}", field_.name, item_, predicate);
    return fmt::format("{} field '{}': '{}' {}", field_.name, item_, part, predicate);
  }

  // "fri-mon" -> "fri-sat,sun-mon": the range split at the field's end, in the item's words.
  std::string backward_range_message(int first, int last, bool named, bool stepped) const {
    auto word = [&](int v) {
      if (named && !field_.names.empty()) return std::string(field_.names[(v == 7 ? 0 : v) - field_.name_base]);
      return std::to_string(v);
    };
    auto span = [&](int a, int b) { return a == b ? word(a) : word(a) + "-" + word(b); };
    const std::string prefix = fmt::format("{} field '{}': a range must go upward", field_.name, item_);
    // With a step, splitting would move the second part's steps: say only what is wrong.
    if (stepped) return prefix + fmt::format(" ({} comes after {})", word(first), word(last));
    return prefix + fmt::format(" (use '{},{}')", span(first, field_.last), span(field_.lo, last));
  }

  void unexpected(std::size_t i) {
    fail(i, fmt::format("{} field '{}': unexpected '{}'; write '*', a number, a range (1-5), a list (1,5) or a "
                        "step (*/5)",
                        field_.name, item_, printable(item_[i])));
  }

  void fail(std::size_t offset_in_item, std::string message) {
    failure_.message = std::move(message);
    failure_.column = item_column_ + offset_in_item;
  }

  const Field& field_;
  std::string_view text_;
  std::size_t column_;
  Failure& failure_;
  std::string_view item_;
  std::size_t item_column_ = 0;
};

struct Word {
  std::string_view text;
  std::size_t column;
};

std::optional<CronSchedule> parse_fields(std::span<const Word> words, Failure& failure) {
  std::array<std::uint64_t, 5> bits{};
  for (std::size_t k = 0; k < kFields.size(); ++k) {
    const auto parsed = FieldParser(kFields[k], words[k].text, words[k].column, failure).parse();
    if (!parsed) return std::nullopt;
    bits[k] = *parsed;
  }
  CronSchedule s;
  s.minutes = std::bitset<60>(bits[0]);
  s.hours = std::bitset<24>(bits[1]);
  s.days_of_month = std::bitset<32>(bits[2]);
  s.months = std::bitset<13>(bits[3]);
  s.days_of_week = std::bitset<7>(bits[4]);
  s.dom_restricted = words[2].text.front() != '*';
  s.dow_restricted = words[4].text.front() != '*';
  return s;
}

std::optional<CronSchedule> parse(std::string_view text, Failure& failure) {
  std::array<Word, 6> words;  // one more than a full expression, to point at the first extra
  std::size_t count = 0, i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    const std::size_t begin = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (count < words.size()) words[count] = Word{text.substr(begin, i - begin), begin};
    ++count;
  }
  if (count == 0) {
    failure.message = fmt::format("empty cron expression: expected 5 fields ({}), e.g. {}", kFieldList, kExample);
    return std::nullopt;
  }
  if (words[0].text.front() == '@') {
    const Word macro = words[0];
    if (equal_ignoring_case(macro.text, "@reboot")) {
      failure = {"'@reboot' is not supported: supd starts a job when supd starts if it has autostart = true "
                 "(the default)",
                 macro.column};
      return std::nullopt;
    }
    for (const Macro& m : kMacros) {
      if (!equal_ignoring_case(macro.text, m.name)) continue;
      if (count > 1) {
        failure = {fmt::format("'{}' stands alone: write either it or 5 fields, not both", macro.text),
                   words[1].column};
        return std::nullopt;
      }
      return parse(m.fields, failure);
    }
    failure = {fmt::format("unknown macro '{}'; use @hourly, @daily, @midnight, @weekly, @monthly, @yearly or "
                           "@annually",
                           macro.text),
               macro.column};
    return std::nullopt;
  }
  if (count != kFields.size()) {
    failure = {fmt::format("expected 5 fields ({}), got {}; e.g. {}", kFieldList, count, kExample),
               count > kFields.size() ? words[kFields.size()].column : std::string_view::npos};
    return std::nullopt;
  }
  return parse_fields(words, failure);
}

bool day_matches(const CronSchedule& s, const chr::year_month_day& ymd, chr::weekday wd) {
  const bool dom = s.days_of_month[static_cast<unsigned>(ymd.day())];
  const bool dow = s.days_of_week[wd.c_encoding()];
  return (s.dom_restricted && s.dow_restricted) ? (dom || dow) : (dom && dow);
}

// The earliest instant whose local time is `wall`: none in a DST gap, the first of two in a
// repeated hour. An instant t shows `wall` exactly when wall - t is the UTC offset in force
// at t, and every offset in force within a day of `wall` is one of the three probed.
std::optional<std::time_t> first_instant(chr::local_seconds wall) {
  const std::time_t w = static_cast<std::time_t>(wall.time_since_epoch().count());
  std::optional<std::time_t> best;
  for (const std::time_t probe : {w - 86'400, w, w + 86'400}) {
    std::tm at{};
    if (!::localtime_r(&probe, &at)) continue;
    const std::time_t t = w - at.tm_gmtoff;
    std::tm back{};
    if (!::localtime_r(&t, &back) || back.tm_gmtoff != at.tm_gmtoff) continue;
    if (!best || t < *best) best = t;
  }
  return best;
}

}  // namespace

std::optional<CronSchedule> parse_cron(std::string_view text, std::string& error, std::size_t* error_column) {
  Failure failure;
  auto s = parse(text, failure);
  if (!s) {
    error = std::move(failure.message);
    if (error_column && failure.column != std::string_view::npos) *error_column = failure.column;
  }
  return s;
}

std::optional<chr::system_clock::time_point> next_cron_time(const CronSchedule& s,
                                                            chr::system_clock::time_point after) {
  ::tzset();  // as mktime would: the TZ of now, not of the first call
  const std::time_t after_s = chr::system_clock::to_time_t(chr::floor<chr::seconds>(after));
  std::tm now{};
  if (!::localtime_r(&after_s, &now)) return std::nullopt;
  // Walk local (wall) time, a calendar with no gaps or repeats; each matching minute is then
  // mapped to its instant, so DST decides only whether and when that minute happens.
  const chr::local_days today{chr::year{now.tm_year + 1900} / (now.tm_mon + 1) / now.tm_mday};
  const chr::local_time<chr::minutes> start = today + chr::hours{now.tm_hour} + chr::minutes{now.tm_min + 1};
  const chr::local_days first_day = chr::floor<chr::days>(start);
  const chr::local_days end{chr::year_month_day{first_day} + chr::years{5}};
  const auto start_hm = chr::hh_mm_ss<chr::minutes>(start - first_day);
  const int start_hour = static_cast<int>(start_hm.hours().count());
  const int start_minute = static_cast<int>(start_hm.minutes().count());

  for (chr::local_days day = first_day; day < end;) {
    const chr::year_month_day ymd{day};
    if (!s.months[static_cast<unsigned>(ymd.month())]) {
      day = chr::local_days{(ymd.year() / ymd.month() + chr::months{1}) / 1};
      continue;
    }
    if (day_matches(s, ymd, chr::weekday{day})) {
      const bool first = day == first_day;
      for (int h = first ? start_hour : 0; h < 24; ++h) {
        if (!s.hours[static_cast<std::size_t>(h)]) continue;
        for (int m = (first && h == start_hour) ? start_minute : 0; m < 60; ++m) {
          if (!s.minutes[static_cast<std::size_t>(m)]) continue;
          const auto t = first_instant(day + chr::hours{h} + chr::minutes{m});
          if (t && chr::system_clock::from_time_t(*t) > after) return chr::system_clock::from_time_t(*t);
        }
      }
    }
    day += chr::days{1};
  }
  return std::nullopt;
}

}  // namespace supd::common
