// The timestamp side index of a log file: which byte offset was written when. The log file
// stays byte-exact (like nohup.out) while `supctl logs --timestamps` and `--since` can still
// tell each line's time. One small text file per log file, beside it and hidden:
//   <dir>/.<name>.idx   lines "<offset> <unix ms>\n", offsets ascending
// A record is written when a chunk goes into the file and the last record is at least
// kResolutionMs old, so a line's time is the time its first byte reached supd, to within
// that resolution, at a cost of at most 100 small writes a second per busy file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "common/fd.hpp"

namespace supd::daemon {

struct IndexEntry {
  std::uint64_t offset = 0;
  std::int64_t unix_ms = 0;
  bool operator==(const IndexEntry&) const = default;
};

std::filesystem::path index_path(const std::filesystem::path& log);

// Tolerant: a malformed or torn line (supd killed mid-write) is skipped.
std::vector<IndexEntry> parse_index(std::string_view text);
std::vector<IndexEntry> read_index(const std::filesystem::path& log);
std::vector<IndexEntry> read_index(int index_fd);  // an index file opened before

// The time of the byte at `offset`: that of the last record at or before it; nullopt when
// the index has none (bytes written before the index existed).
std::optional<std::int64_t> time_at(const std::vector<IndexEntry>& index, std::uint64_t offset);

class IndexWriter {
public:
  static constexpr std::int64_t kResolutionMs = 10;

  // Starts indexing `log`, appending to its index; `fresh` empties it first (a new log file).
  // The index file itself is made at the first record: a job that writes nothing costs one
  // file (its log), not two, which is most of a cold start of thousands of quiet jobs.
  // Best effort: an index that cannot be written costs the timestamps, never the output.
  void open(const std::filesystem::path& log, bool fresh);
  void close() {
    fd_.reset();
    armed_ = false;
  }
  // `log` is the path given to open(), for making the index at the first record.
  void note(std::string_view log, std::uint64_t offset, std::int64_t unix_ms);

private:
  common::UniqueFd fd_;
  bool armed_ = false;                    // open() was called: the first note() makes the file
  std::optional<std::int64_t> last_ms_;  // the time of the last record written
};

}  // namespace supd::daemon
