// Wall-clock times as supd prints them: ISO-8601 in UTC with milliseconds, one fixed width,
// so stamped lines line up and sort as text ("2026-11-25T17:20:01.123Z").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

inline constexpr std::size_t kIsoTimeWidth = 24;  // "2026-11-25T17:20:01.123Z"

std::string iso8601_utc_ms(std::int64_t unix_ms);
// The exact form iso8601_utc_ms writes (at the start of `text`); nullopt otherwise.
std::optional<std::int64_t> parse_iso8601_utc_ms(std::string_view text);
std::int64_t unix_ms_now();  // CLOCK_REALTIME

}  // namespace supd::common
