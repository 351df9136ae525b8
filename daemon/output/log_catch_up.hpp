// A follower (`logs -f`) that fell behind the live chunks reads the log from the files instead,
// at its own pace, from where it stopped, across rotations, until it has caught up (then the
// live chunks take over again): nothing is dropped and supd holds at most a frame for it.
//
// Where it stands is a position in the log as a stream: LogFile::bytes_written() counts. The
// files are opened on the loop (open_tail_files), where the live file ends at the log's
// bytes_written() at that moment and each rotated file ends where the next newer one begins.
// Bytes rotated away (past log_keep) before they were read are counted as skipped.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/output/log_file.hpp"
#include "daemon/output/log_index.hpp"

namespace supd::daemon {

class LogCatchUp {
public:
  // `from`: the position of the first byte not yet sent. `with_index`: each piece carries the
  // side index of its file, to give lines their times.
  LogCatchUp(std::filesystem::path path, int keep, std::uint64_t from, bool with_index = false);

  struct Piece {
    std::string text;                 // whole UTF-8 characters unless the file is not UTF-8
    std::uint64_t file_offset = 0;    // of text[0] in its file
    const std::vector<IndexEntry>* index = nullptr;  // with_index: that file's side index
  };
  // The next at most `max` bytes, given that the log ends at `end` now (its bytes_written());
  // nothing (nullopt) once the position has reached `end`. Reopens the files when it has read
  // all those it holds. Throws std::system_error when a file cannot be read.
  std::optional<Piece> next(std::uint64_t end, std::size_t max);

  std::uint64_t position() const { return at_; }
  // Bytes that were no longer on disk when reached (rotated away or deleted); read and reset.
  std::uint64_t take_skipped() { return std::exchange(skipped_, 0); }

private:
  struct File {
    OpenedLogFile opened;
    std::int64_t starts_at = 0;  // the position of its first byte (negative: before this supd)
    std::optional<std::vector<IndexEntry>> index;  // read when first needed
  };
  void open_files(std::uint64_t end);

  std::filesystem::path path_;
  int keep_ = 0;
  bool with_index_ = false;
  std::uint64_t at_ = 0;
  std::uint64_t skipped_ = 0;
  std::vector<File> files_;      // oldest first
  std::uint64_t files_end_ = 0;  // the log's end when they were opened
  bool opened_ = false;
};

}  // namespace supd::daemon
