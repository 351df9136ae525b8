// Internal to config/: refuses absurdly nested TOML before toml++ sees it. toml++ recurses
// once per level when it parses and frees nested tables; its own limit (256) covers arrays
// and inline tables but not dotted keys, so `a.a.a...` 5000 levels deep overflows a 1 MiB
// stack. supd's schema needs four levels (jobs.NAME.environment.VAR); this allows far more.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/toml_reader.hpp"

namespace supd::config::detail {

inline constexpr int kMaxKeyParts = 16;       // parts of one dotted key or table header
inline constexpr int kMaxBracketDepth = 16;   // arrays and inline tables inside each other

struct NestingProblem {
  Pos pos;
  std::string message;
};

// A lexical scan (strings and comments skipped), linear in the text, no recursion.
std::optional<NestingProblem> check_nesting(std::string_view text);

}  // namespace supd::config::detail
