// Shared by the config tests: parse with a fixed base dir and a fake environment.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"

namespace supd::config::test {

inline std::optional<std::string> fake_env(std::string_view name) {
  if (name == "HOME") return std::string("/home/u");
  return std::nullopt;
}

inline LoadOptions test_options() { return LoadOptions{"/srv/cfg", fake_env}; }

inline LoadResult parse(std::string_view text) { return parse_config(text, "supd.toml", test_options()); }

inline std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(to_string(e));
  return out;
}

// Whether any error's text has `needle`.
inline bool has_message(const LoadResult& r, std::string_view needle) {
  for (const auto& m : messages(r))
    if (m.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace supd::config::test
