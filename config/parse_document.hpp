// Internal to config/: TOML text -> toml::table, with the syntax errors as ConfigErrors.
// toml++ stops at its first error. One kind is common and easy to step past: a table
// defined twice (`[jobs.amsa]` copied and pasted). That header line is recorded as an error
// and renamed to a private top-level table, and parsing starts again, so the rest of the
// file is still checked and every problem is reported at once.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/toml_reader.hpp"

namespace supd::config::detail {

struct Document {
  struct Duplicate {
    std::string key;                // the private top-level key its contents now live under
    std::vector<std::string> path;  // the header as written: {"jobs", "amsa"}
    Pos pos;                        // of the second header
    std::string description;        // toml++'s words, used when it was not a plain duplicate
  };
  std::optional<toml::table> root;  // nullopt after a syntax error that cannot be stepped past
  std::vector<Duplicate> duplicates;

  bool is_duplicate_key(std::string_view key) const;
};

inline constexpr int kMaxDuplicateRecoveries = 20;  // each one re-parses the whole file

Document parse_document(std::string_view text, std::string_view file_name, Errors& errors);

}  // namespace supd::config::detail
