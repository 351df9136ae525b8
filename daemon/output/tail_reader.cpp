#include "daemon/output/tail_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "daemon/output/log_file.hpp"

namespace supd::daemon {

std::size_t utf8_cut(std::string_view text) {
  // Look back over at most 3 continuation bytes for the lead byte of the last character.
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(4, n); ++back) {
    const auto c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return length > back && n - back > 0 ? n - back : n;  // cut before an unfinished character
  }
  return n;  // no lead byte nearby: not UTF-8, cut anywhere
}

TailReader::TailReader(const std::filesystem::path& path, int keep, std::size_t lines, std::size_t max_bytes) {
  // The pieces are read once to find where the tail starts; their text goes at once, and the
  // files stay open, so a rotation meanwhile changes nothing of what is read.
  auto files = open_tail_files(path, keep, false);
  for (const auto& piece : read_tail_pieces(files, lines, max_bytes)) {
    auto& fd = files[piece.source].fd;
    if (!fd) continue;  // two pieces of one file cannot be: each file gives one
    spans_.push_back({std::move(fd), piece.offset, piece.offset + piece.text.size()});
  }
}

std::string TailReader::next(std::size_t max) {
  std::string out;
  std::size_t last_read = 0;  // bytes at the end of `out` from the file still at the front
  while (!spans_.empty() && out.size() < max) {
    Span& span = spans_.front();
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(span.to - span.from, max - out.size()));
    const std::size_t had = out.size();
    out.resize(had + want);
    ssize_t n;
    do {
      n = ::pread(span.fd.get(), out.data() + had, want, static_cast<off_t>(span.from));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "reading a log file");
    out.resize(had + static_cast<std::size_t>(n));
    span.from += static_cast<std::uint64_t>(n);
    last_read = static_cast<std::size_t>(n);
    if (n == 0 || span.from >= span.to) {  // read, or truncated under us
      spans_.pop_front();
      last_read = 0;
    }
  }
  // More follows in the same file: end on a whole character, the rest starts the next piece.
  const std::size_t cut = out.size() - utf8_cut(out);
  if (cut > 0 && cut < last_read) {
    spans_.front().from -= cut;
    out.resize(out.size() - cut);
  }
  return out;
}

}  // namespace supd::daemon
