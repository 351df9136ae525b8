// Splits `command = "..."` into argv the way sh splits words, and does nothing else: no
// parameter, command or tilde expansion, no globbing, no operators, no comments. What a
// shell would expand stays literal, so `echo $(id); touch pwned` is four plain words.
#include "config/command_line.hpp"

#include <utility>

namespace supd::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Inside double quotes a backslash escapes only these (as in sh); elsewhere it is literal.
bool escapable_in_double_quotes(char c) { return c == '"' || c == '\\' || c == '$' || c == '`'; }

}  // namespace

std::optional<std::vector<std::string>> split_command(std::string_view text, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // '' and "" make an (empty) word even with no characters
  std::size_t i = 0;
  const std::size_t n = text.size();

  while (i < n) {
    const char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
      ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= n) {
        error = "trailing backslash";
        return std::nullopt;
      }
      if (text[i + 1] != '\n') {  // backslash-newline is a line continuation: both vanish
        word += text[i + 1];
        in_word = true;
      }
      i += 2;
      continue;
    }
    if (c == '\'') {
      const auto close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        error = "unterminated single quote";
        return std::nullopt;
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
      continue;
    }
    if (c == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        const char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n && (escapable_in_double_quotes(text[i + 1]) || text[i + 1] == '\n')) {
          if (text[i + 1] != '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        word += d;
        ++i;
      }
      if (!closed) {
        error = "unterminated double quote";
        return std::nullopt;
      }
      in_word = true;
      continue;
    }
    word += c;
    in_word = true;
    ++i;
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) {
    error = "empty command";
    return std::nullopt;
  }
  return words;
}

}  // namespace supd::config
