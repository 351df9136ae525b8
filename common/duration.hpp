// Human durations and sizes as config files and command lines write them.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

// "10s", "500ms", "1.5s", "2m", "1h30m", "1d", "0"; a bare number means seconds.
// Rejects negatives, unknown units ("10 parsecs"), overflow and empty text.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// "50MiB", "64KiB", "1GiB", "10MB" (10^6), "1024", "1024B"; case-insensitive units.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Compact, for tables: "850ms", "42s", "3m12s", "2h03m", "4d02h".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace supd::common
