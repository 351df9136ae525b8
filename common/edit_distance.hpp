// How far a typo is from a word: config keys ("did you mean 'restart'?") and supctl's commands
// use the same measure, so they suggest alike.
#pragma once
#include <cstddef>
#include <string_view>

namespace supd::common {

// Levenshtein distance: insertions, deletions and substitutions of one byte each.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace supd::common
