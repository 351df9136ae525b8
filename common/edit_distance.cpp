#include "common/edit_distance.hpp"

#include <algorithm>
#include <vector>

namespace supd::common {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the table: distances of a's prefixes of length i-2, i-1 and i to b's.
  std::vector<std::size_t> before(b.size() + 1), above(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) above[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = above[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above[j] + 1, row[j - 1] + 1, substitute});
      // Two neighbours swapped ("strat" for "start") are one slip of the fingers, not two.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) row[j] = std::min(row[j], before[j - 2] + 1);
    }
    std::swap(before, above);
    std::swap(above, row);
  }
  return above[b.size()];
}

std::optional<std::string_view> closest(std::string_view word, std::span<const std::string_view> candidates,
                                        std::size_t max_edits) {
  std::optional<std::string_view> best;
  std::size_t best_distance = max_edits + 1;
  for (const auto candidate : candidates) {
    const auto d = edit_distance(word, candidate);
    if (d < best_distance && d < candidate.size()) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace supd::common
