// Parsing with one kind of recovery: a duplicate table header. See parse_document.hpp.
#include "config/parse_document.hpp"

#include <fmt/format.h>

#include "config/nesting_guard.hpp"

namespace supd::config::detail {
namespace {

Pos error_pos(const toml::parse_error& e) {
  return {static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column)};
}

// [begin, end) of 1-based line `line` in text, without its '\n' (and '\r').
std::optional<std::pair<std::size_t, std::size_t>> line_span(std::string_view text, int line) {
  std::size_t begin = 0;
  for (int l = 1; l < line; ++l) {
    const auto nl = text.find('\n', begin);
    if (nl == std::string_view::npos) return std::nullopt;
    begin = nl + 1;
  }
  std::size_t end = text.find('\n', begin);
  if (end == std::string_view::npos) end = text.size();
  if (end > begin && text[end - 1] == '\r') --end;
  return std::pair{begin, end};
}

// The key path of a line that is a table header and nothing else ("[jobs.amsa] # x"), found
// by letting toml++ parse the line on its own; nullopt for anything else.
std::optional<std::vector<std::string>> header_path(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '[') return std::nullopt;
  toml::table t;
  try {
    t = toml::parse(line);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  std::vector<std::string> path;
  const toml::node* node = &t;
  while (const auto* table = node ? node->as_table() : nullptr) {
    if (table->size() != 1) break;
    for (const auto& [key, child] : *table) {  // its one entry
      path.emplace_back(key.str());
      node = &child;
    }
    if (const auto* array = node->as_array(); array && array->size() == 1) node = array->get(0);  // [[x]]
  }
  if (path.empty()) return std::nullopt;
  return path;
}

struct Header {
  std::size_t begin = 0, end = 0;  // the line in the text
  std::vector<std::string> path;
  Pos pos;  // of its '['
};

// toml++ reports a clash at the header's '[', or, when a parent part clashes, at the start
// of the line after the header.
std::optional<Header> find_header(std::string_view text, Pos error) {
  for (const int line : {error.line, error.column == 1 ? error.line - 1 : 0}) {
    if (line < 1) continue;
    const auto span = line_span(text, line);
    if (!span) continue;
    const auto content = text.substr(span->first, span->second - span->first);
    if (auto path = header_path(content)) {
      const auto bracket = content.find('[');  // only blanks before it
      return Header{span->first, span->second, std::move(*path), Pos{line, static_cast<int>(bracket) + 1}};
    }
  }
  return std::nullopt;
}

bool is_bare_key(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

// `duplicate table [jobs.amsa] (first defined at line 2)`; a header that clashes with a value
// of another type (`jobs = 1`, then `[jobs.a]`) keeps toml++'s own words.
std::string duplicate_message(const Document::Duplicate& d, const std::optional<toml::table>& root) {
  if (d.description.find("cannot redefine existing table '") == std::string::npos ||
      d.description.find("' as ") != std::string::npos)
    return d.description;
  std::string header;
  const toml::node* first = root ? &*root : nullptr;
  for (const auto& part : d.path) {
    header += (header.empty() ? "" : ".") + (is_bare_key(part) ? part : quote(part));
    const auto* table = first ? first->as_table() : nullptr;
    first = table ? table->get(part) : nullptr;
  }
  std::string message = fmt::format("duplicate table [{}]", header);
  if (first && first->source().begin.line > 0)
    message += fmt::format(" (first defined at line {})", first->source().begin.line);
  return message;
}

}  // namespace

bool Document::is_duplicate_key(std::string_view key) const {
  for (const auto& d : duplicates)
    if (d.key == key) return true;
  return false;
}

Document parse_document(std::string_view text, std::string_view file_name, Errors& errors) {
  Document doc;
  if (auto problem = check_nesting(text)) {
    errors.add(problem->pos, std::move(problem->message));
    return doc;
  }
  auto finish = [&] {
    for (const auto& d : doc.duplicates) errors.add(d.pos, duplicate_message(d, doc.root));
  };
  std::string edited;  // a copy, made only when a duplicate has to be renamed
  std::string_view current = text;
  for (int attempt = 0;; ++attempt) {
    try {
      doc.root = toml::parse(current, file_name);  // file_name lands in every node's source()
      finish();
      return doc;
    } catch (const toml::parse_error& e) {
      const Pos pos = error_pos(e);
      auto syntax_error = [&] {  // a real syntax error: nothing after it can be trusted
        errors.add(pos, std::string(e.description()));
        finish();
      };
      if (attempt >= kMaxDuplicateRecoveries || e.description().find("table header") == std::string_view::npos ||
          e.description().find("cannot redefine existing") == std::string_view::npos) {
        syntax_error();  // a duplicate key, not a header: keys can span lines, so stop here
        return doc;
      }
      const auto header = find_header(current, pos);
      if (!header) {
        syntax_error();
        return doc;
      }
      std::string key = fmt::format("supd-duplicate-{}", attempt);
      while (text.find(key) != std::string_view::npos) key.insert(0, "_");
      if (edited.empty()) edited.assign(text);
      edited.replace(header->begin, header->end - header->begin, fmt::format("[{}]", key));
      current = edited;
      doc.duplicates.push_back({std::move(key), header->path, header->pos, std::string(e.description())});
    }
  }
}

}  // namespace supd::config::detail
