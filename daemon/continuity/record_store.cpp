#include "daemon/continuity/record_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/read_blocks.hpp"
#include "common/sys_error.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/core/startup_error.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;
using common::UniqueFd;

// The journal folded a block at a time (never whole in memory: reading 1 MiB whole raised
// supd's RSS for good); `found` says whether it could be read.
std::map<std::string, JobRecord> read_journal(const fs::path& path, std::size_t* skipped, bool* found) {
  JournalFold fold;
  const bool read = common::read_blocks(path.c_str(), [&](std::string_view block) { fold.feed(block); }, O_NOFOLLOW);
  if (found != nullptr) *found = read;
  return fold.take(skipped);
}

}  // namespace

void RecordStore::create_dir() const {
  make_private_dirs(dir_);
  struct stat st {};
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    throw StartupError(fmt::format("{} is not a directory of this user; remove it so supd can create its own",
                                   dir_.string()));
}

bool RecordStore::write(const JobRecord& record) {
  if (append(encode_record(record))) return true;
  spdlog::error("job {}: cannot write its record to {}: {}; a supd started after this one will not adopt it",
                record.name, journal_path().string(), common::errno_message(errno));
  return false;
}

void RecordStore::remove(const std::string& job) {
  if (!append(encode_removal(job)))
    spdlog::warn("job {}: cannot remove its record from {}: {}", job, journal_path().string(),
                 common::errno_message(errno));
}

bool RecordStore::append(const std::string& line) {
  if (!fd_) {
    fd_ = UniqueFd(::open(journal_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    struct stat st {};
    if (!fd_ || ::fstat(fd_.get(), &st) != 0) {
      fd_.reset();
      return false;
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  // One write: a line is whole, or (supd killed inside it) the torn last line load_all() skips.
  if (::write(fd_.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size())) return false;
  size_ += line.size();
  if (size_ >= compact_at_ && !rewrite(read_journal(journal_path(), nullptr, nullptr)))
    compact_at_ = size_ * 2;  // not again at every write; said once by rewrite()
  return true;
}

bool RecordStore::rewrite(const std::map<std::string, JobRecord>& live) {
  // Handed over 16 KiB at a time: with thousands of jobs the whole text would be a heap block
  // of megabytes, which raises supd's RSS for good, as reading it whole did.
  std::string block;
  std::uint64_t size = 0;
  auto it = live.begin();
  const auto next = [&]() -> std::string_view {
    block.clear();
    for (; it != live.end() && block.size() < (16u << 10); ++it) block += encode_record(it->second);
    size += block.size();
    return block;
  };
  if (const auto error = common::write_file_atomically(journal_path(), next); !error.empty()) {
    spdlog::error("cannot rewrite the job records: {}; appending to them as they are", error);
    return false;
  }
  fd_.reset();  // the next write opens the new file
  size_ = size;
  compact_at_ = std::max(kMinCompactBytes, 4 * size_);
  return true;
}

std::vector<JobRecord> RecordStore::load_all() {
  std::size_t torn = 0;
  bool found = false;
  auto live = read_journal(journal_path(), &torn, &found);
  if (torn > 0)
    spdlog::warn("{}: skipped {} unreadable line(s) (a supd killed while writing one)", journal_path().string(), torn);
  // Records of a supd from before the journal, one file a job: newer than any journal beside
  // them (that supd did not write the journal), so they win.
  std::vector<fs::path> legacy;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const auto name = entry.path().filename().string();
    // A write cut short: an older supd's `.<job>.json.tmp`, or a rewrite's temp file.
    if (name.front() == '.' && (name.ends_with(".tmp") || name.starts_with(".records."))) {
      ::unlink(entry.path().c_str());
      continue;
    }
    if (name.size() <= 5 || name.front() == '.' || !name.ends_with(".json")) continue;
    std::string why;
    auto record = decode_record(common::read_text(entry.path().c_str(), O_NOFOLLOW).value_or(""), &why);
    if (!record || record->name + ".json" != name) {
      spdlog::warn("ignoring the unreadable job record {} ({}) and removing it", entry.path().string(),
                   record ? "its name does not match the file" : why);
      ::unlink(entry.path().c_str());
      continue;
    }
    live.insert_or_assign(record->name, std::move(*record));
    legacy.push_back(entry.path());
  }
  if ((found || !legacy.empty()) && rewrite(live))
    for (const auto& path : legacy) ::unlink(path.c_str());
  std::vector<JobRecord> out;
  out.reserve(live.size());
  for (auto& [name, record] : live) out.push_back(std::move(record));
  return out;
}

}  // namespace supd::daemon
