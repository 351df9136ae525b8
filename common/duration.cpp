#include "common/duration.hpp"

#include <array>
#include <limits>

#include <fmt/format.h>

#include "common/ascii.hpp"

namespace supd::common {
namespace {

using ascii::is_alpha;
using ascii::is_digit;
using ascii::lower;

// "12" or "1.5", read exactly: floating point would turn "0.1s" into 99ms.
struct Decimal {
  std::uint64_t whole = 0;
  std::uint64_t frac = 0;  // the first `frac_digits` digits after the point
  int frac_digits = 0;
  bool has_point = false;
};

// Consumes a decimal from the front of `s`. Digits past `max_frac_digits` are checked but
// ignored, which keeps frac * multiplier far from overflow in scale().
std::optional<Decimal> take_decimal(std::string_view& s, int max_frac_digits) {
  Decimal d;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    const unsigned digit = static_cast<unsigned>(s[i] - '0');
    if (d.whole > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    d.whole = d.whole * 10 + digit;
  }
  if (i == 0) return std::nullopt;  // ".5", "-1", "s": a number must start with a digit
  if (i < s.size() && s[i] == '.') {
    d.has_point = true;
    const std::size_t first = ++i;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (d.frac_digits < max_frac_digits) {
        d.frac = d.frac * 10 + static_cast<unsigned>(s[i] - '0');
        ++d.frac_digits;
      }
    }
    if (i == first) return std::nullopt;  // "1." has no fraction digits
  }
  s.remove_prefix(i);
  return d;
}

// d * multiplier, truncated, or nullopt on overflow.
std::optional<std::uint64_t> scale(const Decimal& d, std::uint64_t multiplier) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  if (multiplier != 0 && d.whole > kMax / multiplier) return std::nullopt;
  std::uint64_t pow10 = 1;
  for (int i = 0; i < d.frac_digits; ++i) pow10 *= 10;
  const std::uint64_t whole = d.whole * multiplier;
  const std::uint64_t part = d.frac * multiplier / pow10;
  if (whole > kMax - part) return std::nullopt;
  return whole + part;
}

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

// Largest first: components of a duration must come in this order ("1h30m", not "30m1h").
constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::array<Unit, 9> kSizeUnits{{
    {"b", 1},
    {"kb", 1'000ULL},
    {"mb", 1'000'000ULL},
    {"gb", 1'000'000'000ULL},
    {"tb", 1'000'000'000'000ULL},
    {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},
    {"gib", 1ULL << 30},
    {"tib", 1ULL << 40},
}};

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  constexpr auto kMaxMs = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::string_view s = text;
  std::uint64_t total = 0;
  std::size_t next_unit = 0;  // index into kDurationUnits: the largest still allowed
  bool first = true;
  while (!s.empty()) {
    const auto number = take_decimal(s, 9);
    if (!number) return std::nullopt;
    std::size_t len = 0;
    while (len < s.size() && is_alpha(s[len])) ++len;
    const std::string_view unit = s.substr(0, len);
    s.remove_prefix(len);
    std::uint64_t factor = 0;
    if (unit.empty()) {
      if (!first || !s.empty()) return std::nullopt;  // a bare number must be all there is
      factor = 1'000;
    } else {
      std::size_t u = next_unit;
      while (u < kDurationUnits.size() && kDurationUnits[u].name != unit) ++u;
      if (u == kDurationUnits.size()) return std::nullopt;  // unknown, repeated or out of order
      factor = kDurationUnits[u].factor;
      next_unit = u + 1;
    }
    const auto ms = scale(*number, factor);
    if (!ms || *ms > kMaxMs - total) return std::nullopt;
    total += *ms;
    first = false;
  }
  if (first) return std::nullopt;  // empty text
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::string_view s = text;
  const auto number = take_decimal(s, 6);
  if (!number) return std::nullopt;
  std::string unit;
  for (char c : s) {
    if (!is_alpha(c)) return std::nullopt;  // spaces, signs, a second number
    unit += lower(c);
  }
  std::uint64_t factor = 1;
  if (!unit.empty()) {
    factor = 0;
    for (const auto& u : kSizeUnits)
      if (u.name == unit) factor = u.factor;
    if (factor == 0) return std::nullopt;
  }
  if (factor == 1 && number->has_point) return std::nullopt;  // no fractions of a byte
  return scale(*number, factor);
}

std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count() < 0 ? 0 : d.count();
  const std::int64_t secs = ms / 1000;
  if (secs < 1) return fmt::format("{}ms", ms);
  if (secs < 60) return fmt::format("{}s", secs);
  if (secs < 3600) return fmt::format("{}m{:02}s", secs / 60, secs % 60);
  if (secs < 86400) return fmt::format("{}h{:02}m", secs / 3600, secs % 3600 / 60);
  return fmt::format("{}d{:02}h", secs / 86400, secs % 86400 / 3600);
}

}  // namespace supd::common
