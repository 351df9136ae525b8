// A small lexer that only counts: dotted-key parts in a row and open brackets/braces.
#include "config/nesting_guard.hpp"

#include <fmt/format.h>

namespace supd::config::detail {
namespace {

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// 1-based line and column (in characters, as toml++ counts) of text[offset].
Pos position_at(std::string_view text, std::size_t offset) {
  Pos p{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++p.column;
    }
  }
  return p;
}

// Index just past the string that starts at text[i] (a quote). Single-line strings also end
// at a newline, so a stray quote cannot hide the rest of the file from the scan.
std::size_t skip_string(std::string_view text, std::size_t i) {
  const char q = text[i];
  const bool basic = q == '"';
  const bool multiline = text.substr(i, 3) == std::string_view(basic ? "\"\"\"" : "'''");
  std::size_t j = i + (multiline ? 3 : 1);
  while (j < text.size()) {
    const char c = text[j];
    if (basic && c == '\\') {
      j += 2;
      continue;
    }
    if (multiline && text.substr(j, 3) == text.substr(i, 3)) {
      j += 3;
      for (int extra = 0; extra < 2 && j < text.size() && text[j] == q; ++extra) ++j;  // """a"""" is legal
      return j;
    }
    if (!multiline && (c == q || c == '\n')) return c == q ? j + 1 : j;
    ++j;
  }
  return text.size();
}

}  // namespace

std::optional<NestingProblem> check_nesting(std::string_view text) {
  int depth = 0;           // open [ and {
  int parts = 0;           // parts of the current dotted run
  bool after_part = false;  // the last token was a key part (a dot may follow)
  bool after_dot = false;   // a dot followed a part (the next part extends the run)
  auto part_at = [&](std::size_t offset) -> std::optional<NestingProblem> {
    parts = after_dot ? parts + 1 : 1;
    after_dot = false;
    after_part = true;
    if (parts > kMaxKeyParts)
      return NestingProblem{position_at(text, offset),
                            fmt::format("a dotted key with more than {} parts (supd's config needs at most 4)",
                                        kMaxKeyParts)};
    return std::nullopt;
  };
  auto reset = [&] { parts = 0, after_part = false, after_dot = false; };

  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      if (auto problem = part_at(i)) return problem;
      i = skip_string(text, i);
      continue;
    }
    if (is_bare_key_char(c)) {
      if (auto problem = part_at(i)) return problem;
      while (i < text.size() && is_bare_key_char(text[i])) ++i;
      continue;
    }
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (c == '.' && after_part) {
      after_part = false;
      after_dot = true;
      ++i;
      continue;
    }
    reset();
    if (c == '[' || c == '{') {
      if (++depth > kMaxBracketDepth)
        return NestingProblem{position_at(text, i),
                              fmt::format("arrays or inline tables nested more than {} levels deep",
                                          kMaxBracketDepth)};
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    ++i;
  }
  return std::nullopt;
}

}  // namespace supd::config::detail
