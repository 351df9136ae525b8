#include "daemon/continuity/record_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/sys_error.hpp"
#include "daemon/control/control_socket.hpp"
#include "daemon/core/startup_error.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;
using common::UniqueFd;

std::string read_whole(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The journal folded a block at a time (never whole in memory); `found` says whether it exists.
std::map<std::string, JobRecord> read_journal(const fs::path& path, std::size_t* skipped, bool* found) {
  JournalFold fold;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (found != nullptr) *found = static_cast<bool>(fd);
  std::array<char, 16 << 10> block;
  for (ssize_t n; fd && (n = ::read(fd.get(), block.data(), block.size())) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    fold.feed({block.data(), static_cast<std::size_t>(n)});
  }
  return fold.take(skipped);
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
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
  const auto tmp = dir_ / ".records.tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  bool ok = static_cast<bool>(fd);
  std::uint64_t size = 0;
  std::string text;  // written a block at a time: bounded, like the reading
  for (auto it = live.begin(); ok && it != live.end();) {
    text += encode_record(it->second);
    ++it;
    if (text.size() >= (16u << 10) || it == live.end()) {
      ok = write_all(fd.get(), text);
      size += text.size();
      text.clear();
    }
  }
  fd.reset();
  if (ok) ok = ::rename(tmp.c_str(), journal_path().c_str()) == 0;
  if (!ok) {
    spdlog::error("cannot rewrite the job records {}: {}; appending to it as it is",
                  journal_path().string(), common::errno_message(errno));
    ::unlink(tmp.c_str());
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
    if (name.front() == '.' && name.ends_with(".tmp")) {  // a write cut short
      ::unlink(entry.path().c_str());
      continue;
    }
    if (name.size() <= 5 || name.front() == '.' || !name.ends_with(".json")) continue;
    std::string why;
    auto record = decode_record(read_whole(entry.path()), &why);
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
