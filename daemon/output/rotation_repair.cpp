#include "daemon/output/rotation_repair.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string_view>

#include "common/fd.hpp"
#include "daemon/output/log_index.hpp"

namespace supd::daemon {
namespace {

constexpr std::string_view kPendingInfix = ".pending.";

// A number written the one way we write it: digits only, no leading zero, no overflow.
template <typename T>
std::optional<T> canonical_number(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// `text` without `prefix` and `suffix`, when it has both.
std::optional<std::string_view> between(std::string_view text, std::string_view prefix, std::string_view suffix) {
  if (text.size() < prefix.size() + suffix.size() || !text.starts_with(prefix) || !text.ends_with(suffix))
    return std::nullopt;
  return text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
}

std::string index_name(const std::string& file) { return index_path(file).string(); }

// Never over a file: every target is free by construction, so one there is someone else's.
int rename_noreplace(int dirfd, const std::string& from, const std::string& to) {
  const int rc = ::renameat2(dirfd, from.c_str(), dirfd, to.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) return ::renameat(dirfd, from.c_str(), dirfd, to.c_str());  // no support
  return rc;
}

}  // namespace

std::string pending_name(const std::string& name, std::uint64_t seq) {
  return "." + name + std::string(kPendingInfix) + std::to_string(seq);
}

std::string numbered_name(const std::string& name, int k) { return name + "." + std::to_string(k); }

bool for_each_entry(int dirfd, const std::function<void(std::string_view)>& each) {
  const int fd = ::dup(dirfd);  // closedir closes it; the caller keeps its own
  if (fd < 0) return false;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return false;
  }
  ::rewinddir(dir);  // a dup shares the offset of an fd read before
  while (const dirent* e = ::readdir(dir)) each(e->d_name);
  ::closedir(dir);
  return true;
}

RotationSet scan_rotation(int dirfd, const std::string& name) {
  RotationSet set;
  const std::string numbered_prefix = name + ".";
  const std::string pending_prefix = "." + name + std::string(kPendingInfix);
  std::set<int> numbered_indexes;
  std::set<std::uint64_t> pending_indexes;
  (void)for_each_entry(dirfd, [&](std::string_view entry) {  // unreadable: an empty set
    if (const auto k = between(entry, numbered_prefix, ""); k) {
      if (const auto n = canonical_number<int>(*k); n && *n >= 1) set.numbered.push_back(*n);
    } else if (const auto s = between(entry, pending_prefix, ""); s) {
      if (const auto n = canonical_number<std::uint64_t>(*s)) set.pending.push_back(*n);
    } else if (const auto ki = between(entry, "." + numbered_prefix, ".idx"); ki) {
      if (const auto n = canonical_number<int>(*ki); n && *n >= 1) numbered_indexes.insert(*n);
    } else if (const auto si = between(entry, "." + pending_prefix, ".idx"); si) {
      if (const auto n = canonical_number<std::uint64_t>(*si)) pending_indexes.insert(*n);
    }
  });
  std::sort(set.numbered.begin(), set.numbered.end());
  std::sort(set.pending.begin(), set.pending.end());
  if (!set.pending.empty()) set.max_seq = set.pending.back();
  if (!pending_indexes.empty()) set.max_seq = std::max(set.max_seq, *pending_indexes.rbegin());
  for (int k : numbered_indexes)
    if (!std::binary_search(set.numbered.begin(), set.numbered.end(), k))
      set.orphan_indexes.push_back(index_name(numbered_name(name, k)));
  for (auto s : pending_indexes)
    if (!std::binary_search(set.pending.begin(), set.pending.end(), s))
      set.orphan_indexes.push_back(index_name(pending_name(name, s)));
  return set;
}

std::vector<std::string> rotated_newest_first(const std::string& name, const RotationSet& set, int keep) {
  std::vector<std::string> out;
  for (auto it = set.pending.rbegin(); it != set.pending.rend(); ++it) out.push_back(pending_name(name, *it));
  for (int k : set.numbered) out.push_back(numbered_name(name, k));
  out.resize(std::min(out.size(), static_cast<std::size_t>(std::max(keep, 0))));
  return out;
}

std::vector<RotationStep> plan_rotation(const std::string& name, const RotationSet& set, int keep) {
  struct File {
    std::string name;
    int number = 0;  // 0: pending
  };
  std::vector<File> files;  // newest first; files[i] is to become <name>.<i+1>
  for (auto it = set.pending.rbegin(); it != set.pending.rend(); ++it) files.push_back({pending_name(name, *it), 0});
  for (int k : set.numbered) files.push_back({numbered_name(name, k), k});
  const std::size_t kept = std::min(files.size(), static_cast<std::size_t>(std::max(keep, 0)));
  std::vector<RotationStep> steps;
  for (std::size_t i = files.size(); i-- > kept;) steps.push_back({files[i].name, ""});
  auto move = [&](std::size_t i) { steps.push_back({files[i].name, numbered_name(name, static_cast<int>(i + 1))}); };
  for (std::size_t i = 0; i < kept; ++i)
    if (files[i].number > static_cast<int>(i + 1)) move(i);  // down, lowest first
  for (std::size_t i = kept; i-- > 0;)
    if (files[i].number != 0 && files[i].number < static_cast<int>(i + 1)) move(i);  // up, highest first
  for (std::size_t i = kept; i-- > 0;)
    if (files[i].number == 0) move(i);  // pending, oldest first
  return steps;
}

bool apply_rotation_step(int dirfd, const RotationStep& step) {
  const auto from_index = index_name(step.from);
  if (step.to.empty()) {
    if (::unlinkat(dirfd, step.from.c_str(), 0) != 0 && errno != ENOENT) return false;
    (void)::unlinkat(dirfd, from_index.c_str(), 0);
    return true;
  }
  if (rename_noreplace(dirfd, step.from, step.to) != 0) return false;  // a plan gone stale stops
  const auto to_index = index_name(step.to);
  if (::renameat(dirfd, from_index.c_str(), dirfd, to_index.c_str()) != 0 && errno == ENOENT)
    (void)::unlinkat(dirfd, to_index.c_str(), 0);
  return true;
}

bool settle_rotation(int dirfd, const std::string& name, int keep, std::uint64_t* max_pending) {
  RotationSet set;
  {
    const std::lock_guard lock(rotation_step_lock());
    set = scan_rotation(dirfd, name);
    for (const auto& orphan : set.orphan_indexes) (void)::unlinkat(dirfd, orphan.c_str(), 0);
  }
  if (max_pending) *max_pending = set.max_seq;
  for (const auto& step : plan_rotation(name, set, keep)) {
    const std::lock_guard lock(rotation_step_lock());
    if (!apply_rotation_step(dirfd, step)) return false;
  }
  return true;
}

bool rename_to_pending(int dirfd, const std::string& name, std::uint64_t seq) {
  const auto pending = pending_name(name, seq);
  const std::lock_guard lock(rotation_step_lock());
  if (rename_noreplace(dirfd, name, pending) != 0) return errno == ENOENT;
  (void)::renameat(dirfd, index_name(name).c_str(), dirfd, index_name(pending).c_str());
  return true;
}

std::mutex& rotation_step_lock() {
  static std::mutex lock;
  return lock;
}

}  // namespace supd::daemon
