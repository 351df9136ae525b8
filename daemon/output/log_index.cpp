#include "daemon/output/log_index.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

namespace supd::daemon {

std::filesystem::path index_path(const std::filesystem::path& log) {
  return log.parent_path() / ("." + log.filename().string() + ".idx");
}

std::vector<IndexEntry> parse_index(std::string_view text) {
  std::vector<IndexEntry> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;  // torn last line
    const auto line = text.substr(pos, nl - pos);
    pos = nl + 1;
    IndexEntry e;
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    const auto* end = line.data() + line.size();
    const auto a = std::from_chars(line.data(), line.data() + sp, e.offset);
    const auto b = std::from_chars(line.data() + sp + 1, end, e.unix_ms);
    if (a.ec != std::errc{} || a.ptr != line.data() + sp || b.ec != std::errc{} || b.ptr != end) continue;
    if (!out.empty() && e.offset < out.back().offset) continue;  // keep it sorted for the search
    out.push_back(e);
  }
  return out;
}

std::vector<IndexEntry> read_index(const std::filesystem::path& log) {
  common::UniqueFd fd(::open(index_path(log).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  return fd ? read_index(fd.get()) : std::vector<IndexEntry>{};
}

std::vector<IndexEntry> read_index(int index_fd) {
  std::string text;
  char buf[1 << 16];
  for (std::uint64_t at = 0;;) {  // pread: the same fd may be read again, from its start
    const ssize_t n = ::pread(index_fd, buf, sizeof buf, static_cast<off_t>(at));
    if (n <= 0) break;
    at += static_cast<std::uint64_t>(n);
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (64u << 20)) break;  // a sane bound; the index is ~25 bytes a record
  }
  return parse_index(text);
}

std::optional<std::int64_t> time_at(const std::vector<IndexEntry>& index, std::uint64_t offset) {
  auto it = std::upper_bound(index.begin(), index.end(), offset,
                             [](std::uint64_t off, const IndexEntry& e) { return off < e.offset; });
  if (it == index.begin()) return std::nullopt;
  return std::prev(it)->unix_ms;
}

void IndexWriter::open(const std::filesystem::path& log, bool fresh) {
  fd_.reset();
  // A new log's old index goes now (ENOENT, the usual case, costs a lookup, not a file).
  if (fresh) (void)::unlink(index_path(log).c_str());
  armed_ = true;
  last_ms_.reset();
}

void IndexWriter::note(std::string_view log, std::uint64_t offset, std::int64_t unix_ms) {
  if (!armed_ || (last_ms_ && unix_ms - *last_ms_ < kResolutionMs)) return;
  if (!fd_) {
    const auto path = index_path(std::filesystem::path(log));
    fd_ = common::UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (!fd_) {
      armed_ = false;  // best effort, see open(): not tried again for every chunk
      return;
    }
  }
  last_ms_ = unix_ms;
  const auto line = fmt::format("{} {}\n", offset, unix_ms);
  (void)!::write(fd_.get(), line.data(), line.size());  // best effort, see open()
}

}  // namespace supd::daemon
