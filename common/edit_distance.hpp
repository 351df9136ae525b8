// How far a typo is from a word: config keys ("did you mean 'restart'?") and supctl's commands
// use the same measure, so they suggest alike.
#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace supd::common {

// Insertions, deletions and substitutions of one byte each, and two neighbouring bytes swapped
// (optimal string alignment: Levenshtein with transpositions, as typo suggesters count).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` within `max_edits` (the first of equals), never one the
// edits would rewrite whole ("b" for "a"); nullopt when none is that close.
std::optional<std::string_view> closest(std::string_view word, std::span<const std::string_view> candidates,
                                        std::size_t max_edits = 2);

}  // namespace supd::common
