// Internal to config/: positions, the error collector, and typed readers for TOML values.
// Every reader either returns a value or records one error at the offending node, so a
// config is checked in one pass and every problem is reported at once.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/load.hpp"

namespace supd::config::detail {

struct Pos {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

Pos pos_of(const toml::node& node);
Pos pos_of(const toml::key& key);

// Collects errors for one file; take() sorts them by position and drops exact repeats
// (a bad value in [defaults] is seen once per job but reported once).
class Errors {
public:
  explicit Errors(std::string file) : file_(std::move(file)) {}
  void add(Pos pos, std::string message);
  void add(const toml::node& node, std::string message) { add(pos_of(node), std::move(message)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  std::vector<ConfigError> take();

private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

// "string", "integer", "float", "boolean", "table", "array", "date", "time", "date-time".
std::string_view type_name(const toml::node& node);

// A value as messages show it: quoted, control characters escaped, long text shortened.
std::string quote(std::string_view text);

// The closest of `known` within edit distance 2, for "did you mean".
std::optional<std::string_view> closest_key(std::string_view key, std::span<const std::string_view> known);

// `unknown key "restrat" (did you mean "restart"?)` for every key of `table` not in `known`;
// `hint` is appended when there is no close match (may be empty).
void check_known_keys(const toml::table& table, std::span<const std::string_view> known, Errors& errors,
                      std::string_view hint = {});

// ---- typed readers: `key` names the value in messages ("stop_signal", "environment.A") ----

std::optional<std::string> read_string(const toml::node& node, std::string_view key, Errors& errors);
std::optional<bool> read_bool(const toml::node& node, std::string_view key, Errors& errors);
std::optional<std::int64_t> read_int(const toml::node& node, std::string_view key, std::int64_t min,
                                     std::int64_t max, Errors& errors);

inline constexpr std::chrono::milliseconds kMaxDuration = std::chrono::hours(24 * 365);
// "10s", "500ms", or a number of seconds (integer or float); 0 .. kMaxDuration.
std::optional<std::chrono::milliseconds> read_duration(const toml::node& node, std::string_view key,
                                                       Errors& errors);
// "50MiB" or an integer number of bytes >= 0.
std::optional<std::uint64_t> read_size(const toml::node& node, std::string_view key, Errors& errors);
// "TERM", "SIGUSR1", "rtmin+2" or a number.
std::optional<int> read_signal(const toml::node& node, std::string_view key, Errors& errors);

}  // namespace supd::config::detail
