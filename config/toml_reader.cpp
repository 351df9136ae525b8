// Positions, the error collector and the typed value readers shared by the config loader.
#include "config/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "common/duration.hpp"
#include "common/edit_distance.hpp"
#include "common/signals.hpp"
#include "config/other_keys.hpp"

namespace supd::config::detail {
namespace {

constexpr std::string_view kSignalHint = "use a name like USR1 or SIGUSR1, a number, or RTMIN+N";
constexpr std::string_view kDurationHint = R"(use e.g. "500ms", "10s", "1m30s" or a number of seconds)";
constexpr std::string_view kSizeHint = R"(use e.g. "50MiB", "64KiB" or a number of bytes)";
constexpr std::size_t kMaxQuoted = 64;  // bytes of a value shown in a message

Pos to_pos(const toml::source_position& p) {
  return {static_cast<int>(std::min<std::uint32_t>(p.line, std::numeric_limits<int>::max())),
          static_cast<int>(std::min<std::uint32_t>(p.column, std::numeric_limits<int>::max()))};
}

}  // namespace

Pos pos_of(const toml::node& node) { return to_pos(node.source().begin); }
Pos pos_of(const toml::key& key) { return to_pos(key.source().begin); }

// Every error prints as one line (supd --check, supctl doctor): toml++'s own messages quote the
// character they stopped at, which may be a newline or another control character (found by
// fuzz_config).
void Errors::add(Pos pos, std::string message) {
  std::string line;
  line.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') line += "\\n";
    else if (c == '\r') line += "\\r";
    else if (c == '\t') line += "\\t";
    else if (u < 0x20 || u == 0x7f) line += fmt::format("\\x{:02x}", u);
    else line += c;
  }
  errors_.push_back({file_, pos.line, pos.column, std::move(line)});
}

std::vector<ConfigError> Errors::take() {
  auto by_position = [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  };
  std::stable_sort(errors_.begin(), errors_.end(), by_position);
  // Exact repeats can only be neighbours after the sort unless another error at the same
  // position sits between them, so compare against every error at the same position.
  std::vector<ConfigError> out;
  out.reserve(errors_.size());
  for (auto& e : errors_) {
    bool seen = false;
    for (auto it = out.rbegin(); it != out.rend() && it->line == e.line && it->column == e.column; ++it)
      if (it->message == e.message) seen = true;
    if (!seen) out.push_back(std::move(e));
  }
  errors_.clear();
  return out;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
  case toml::node_type::string: return "string";
  case toml::node_type::integer: return "integer";
  case toml::node_type::floating_point: return "float";
  case toml::node_type::boolean: return "boolean";
  case toml::node_type::table: return "table";
  case toml::node_type::array: return "array";
  case toml::node_type::date: return "date";
  case toml::node_type::time: return "time";
  case toml::node_type::date_time: return "date-time";
  case toml::node_type::none: break;
  }
  return "nothing";
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  std::size_t shown = std::min(text.size(), kMaxQuoted);
  // Never cut a UTF-8 sequence in half: back up to the start of the character.
  while (shown < text.size() && shown > 0 && (static_cast<unsigned char>(text[shown]) & 0xC0) == 0x80) --shown;
  for (const char c : text.substr(0, shown)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  if (shown < text.size()) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

std::optional<std::string_view> closest_key(std::string_view key, std::span<const std::string_view> known) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto candidate : known) {
    const auto d = common::edit_distance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

void check_known_keys(const toml::table& table, std::span<const std::string_view> known, Errors& errors,
                      std::string_view hint) {
  for (const auto& [key, value] : table) {
    const std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = fmt::format("unknown key {}", quote(name));
    auto guess = our_key_for(name);  // another tool's name for one of ours first: it is no typo
    if (guess && std::find(known.begin(), known.end(), *guess) == known.end()) guess.reset();
    if (!guess) guess = closest_key(name, known);
    if (guess)
      message += fmt::format(" (did you mean \"{}\"?)", *guess);
    else if (!hint.empty())
      message += fmt::format(" ({})", hint);
    errors.add(pos_of(key), std::move(message));
  }
}

std::optional<std::string> read_string(const toml::node& node, std::string_view key, Errors& errors) {
  const auto* s = node.as_string();
  if (!s) {
    errors.add(node, fmt::format("{}: expected a string, got {}", key, type_name(node)));
    return std::nullopt;
  }
  const std::string& text = s->get();
  if (text.find('\0') != std::string::npos) {
    errors.add(node, fmt::format("{}: must not contain a NUL byte", key));
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_bool(const toml::node& node, std::string_view key, Errors& errors) {
  if (const auto* b = node.as_boolean()) return b->get();
  errors.add(node, fmt::format("{}: expected true or false, got {}", key, type_name(node)));
  return std::nullopt;
}

std::optional<std::int64_t> read_int(const toml::node& node, std::string_view key, std::int64_t min,
                                     std::int64_t max, Errors& errors) {
  const auto* i = node.as_integer();
  if (!i) {
    errors.add(node, fmt::format("{}: expected an integer, got {}", key, type_name(node)));
    return std::nullopt;
  }
  const std::int64_t v = i->get();
  if (v < min || v > max) {
    errors.add(node, fmt::format("{}: must be between {} and {}, got {}", key, min, max, v));
    return std::nullopt;
  }
  return v;
}

std::optional<std::chrono::milliseconds> read_duration(const toml::node& node, std::string_view key,
                                                       Errors& errors) {
  using std::chrono::milliseconds;
  constexpr double kMaxSeconds = static_cast<double>(kMaxDuration.count()) / 1000.0;
  const auto too_long = [&] {
    errors.add(node, fmt::format("{}: must be at most 365 days", key));
    return std::nullopt;
  };
  if (const auto* i = node.as_integer()) {
    const std::int64_t seconds = i->get();
    if (seconds < 0) {
      errors.add(node, fmt::format("{}: must not be negative, got {}", key, seconds));
      return std::nullopt;
    }
    if (static_cast<double>(seconds) > kMaxSeconds) return too_long();
    return milliseconds(seconds * 1000);
  }
  if (const auto* f = node.as_floating_point()) {
    const double seconds = f->get();
    if (std::isnan(seconds) || seconds < 0) {
      errors.add(node, fmt::format("{}: must be a number of seconds >= 0, got {}", key, seconds));
      return std::nullopt;
    }
    if (seconds > kMaxSeconds) return too_long();
    return milliseconds(std::llround(seconds * 1000.0));
  }
  if (const auto* s = node.as_string()) {
    const auto d = common::parse_duration(s->get());
    if (!d) {
      errors.add(node, fmt::format("{}: invalid duration {} ({})", key, quote(s->get()), kDurationHint));
      return std::nullopt;
    }
    if (*d > kMaxDuration) return too_long();
    return *d;
  }
  errors.add(node, fmt::format("{}: expected a duration (\"10s\") or a number of seconds, got {}", key,
                               type_name(node)));
  return std::nullopt;
}

std::optional<std::uint64_t> read_size(const toml::node& node, std::string_view key, Errors& errors) {
  if (const auto* i = node.as_integer()) {
    if (i->get() < 0) {
      errors.add(node, fmt::format("{}: must not be negative, got {}", key, i->get()));
      return std::nullopt;
    }
    return static_cast<std::uint64_t>(i->get());
  }
  if (const auto* s = node.as_string()) {
    if (const auto size = common::parse_size(s->get())) return size;
    errors.add(node, fmt::format("{}: invalid size {} ({})", key, quote(s->get()), kSizeHint));
    return std::nullopt;
  }
  errors.add(node, fmt::format("{}: expected a size (\"50MiB\") or a number of bytes, got {}", key,
                               type_name(node)));
  return std::nullopt;
}

std::optional<int> read_signal(const toml::node& node, std::string_view key, Errors& errors) {
  if (const auto* i = node.as_integer()) {
    if (const auto signo = common::parse_signal(std::to_string(i->get()))) return signo;
    errors.add(node, fmt::format("{}: unknown signal {} ({})", key, i->get(), kSignalHint));
    return std::nullopt;
  }
  if (const auto* s = node.as_string()) {
    if (const auto signo = common::parse_signal(s->get())) return signo;
    errors.add(node, fmt::format("{}: unknown signal {} ({})", key, quote(s->get()), kSignalHint));
    return std::nullopt;
  }
  errors.add(node, fmt::format("{}: expected a signal name (\"TERM\") or number, got {}", key, type_name(node)));
  return std::nullopt;
}

}  // namespace supd::config::detail
