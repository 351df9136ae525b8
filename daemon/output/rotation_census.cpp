#include "daemon/output/rotation_census.hpp"

#include <algorithm>

#include "daemon/output/rotation_repair.hpp"

namespace supd::daemon {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `name.<k>` -> name, `.name.pending.<seq>` -> name.
void add_bases(std::string_view entry, std::vector<std::string>& out) {
  const auto dot = entry.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || !all_digits(entry.substr(dot + 1))) return;
  out.emplace_back(entry.substr(0, dot));
  constexpr std::string_view kPending = ".pending";
  const auto stem = entry.substr(0, dot);
  if (entry.front() == '.' && stem.ends_with(kPending) && stem.size() > kPending.size() + 1)
    out.emplace_back(stem.substr(1, stem.size() - kPending.size() - 1));
}

}  // namespace

std::vector<std::string> rotated_file_bases(std::string_view entry) {
  std::vector<std::string> out;
  add_bases(entry, out);
  constexpr std::string_view kIndex = ".idx";  // an index is "." + its file's name + ".idx"
  if (entry.size() > kIndex.size() + 1 && entry.front() == '.' && entry.ends_with(kIndex))
    add_bases(entry.substr(1, entry.size() - kIndex.size() - 1), out);
  return out;
}

bool RotationCensus::may_have_rotated(int dirfd, const std::string& dir, const std::string& name) {
  auto& listing = dirs_[dir];
  if (!listing.listed) {
    const bool listed = for_each_entry(dirfd, [&](std::string_view entry) {
      for (auto& base : rotated_file_bases(entry)) listing.names.insert(std::move(base));
    });
    if (!listed) {
      dirs_.erase(dir);
      return true;
    }
    listing.listed = true;
  }
  return listing.names.contains(name);
}

}  // namespace supd::daemon
