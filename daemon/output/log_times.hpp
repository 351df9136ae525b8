// `supctl logs --timestamps / --since`: the tail of a log with each line's time, from the
// side index (daemon/output/log_index.hpp) or, for timestamps = "prefix", from the line itself.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/output/log_file.hpp"

namespace supd::daemon {

struct TimedTailRequest {
  std::size_t lines = 10;               // the last N (of those --since keeps)
  std::size_t max_bytes = 1 << 20;      // read at most this much of the files
  bool stamp = false;                   // prefix each line with its time
  std::optional<std::int64_t> since_ms; // keep lines written at or after this time
  bool prefixed = false;                // the file's lines carry their own time already
};

std::string timed_tail(const std::filesystem::path& path, int keep, const TimedTailRequest& request);
// The same over files opened before (open_tail_files(path, keep, !request.prefixed)): the
// read may then run off the loop.
std::string timed_tail(const std::vector<OpenedLogFile>& files, const TimedTailRequest& request);

// What a line with no known time is stamped with: as wide as a time, so columns line up.
std::string unknown_time_stamp();

}  // namespace supd::daemon
