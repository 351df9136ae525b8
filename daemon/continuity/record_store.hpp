// Where the records of one supd live (adoption.hpp says what they are for): one file,
// <socket>.jobs/records, a journal of JSON lines (job_record.hpp), each appended with one
// write(2), so a kill -9 can leave at most a torn last line, which is skipped.
//
// One file for every job, not a file a job: a cold start of thousands of jobs then creates no
// file per job for its record (on ext4 a file creation is the largest part of a spawn), and a
// restart deletes none. The journal is rewritten compact (common::write_file_atomically) at
// start-up and each time it has grown to 4x its compact size (and at least 1 MiB): a write
// costs O(1), amortized. Records of a supd from before the journal (<dir>/<job>.json) are read
// once, folded in, and removed. Appends are not fsynced: the records must survive supd, not the
// machine (a reboot ends the jobs too).
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "daemon/continuity/job_record.hpp"

namespace supd::daemon {

class RecordStore {
public:
  explicit RecordStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path journal_path() const { return dir_ / "records"; }
  void create_dir() const;  // 0700; throws StartupError
  bool write(const JobRecord& record);  // false (logged) on failure
  void remove(const std::string& job);
  // Every readable record; what cannot be read is logged and dropped. Leaves the journal compact.
  std::vector<JobRecord> load_all();

  static constexpr std::uint64_t kMinCompactBytes = 1 << 20;

private:
  bool append(const std::string& line);
  // Replaces the journal with one line for each of `live`; false (logged) on failure.
  bool rewrite(const std::map<std::string, JobRecord>& live);

  std::filesystem::path dir_;
  common::UniqueFd fd_;  // the journal, O_APPEND, opened at the first write
  std::uint64_t size_ = 0;
  std::uint64_t compact_at_ = kMinCompactBytes;
};

}  // namespace supd::daemon
