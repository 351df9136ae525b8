#pragma once
// ASCII character classes that ignore the locale: the config's durations and cron lines are
// ASCII whatever LC_CTYPE says, and <cctype>'s functions take an int that a plain char may
// make negative.

namespace supd::common::ascii {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace supd::common::ascii
