// One log file of a job (<log_dir>/<job>.out, or its stderr file): appending, size-based
// rotation at line boundaries (daemon/output/rotation.hpp), reopening for logrotate users, and the
// followers (`supctl logs -f`) that see every chunk as it is written. No Asio.
//
// Files are opened O_RDWR|O_APPEND|O_NOFOLLOW|O_CLOEXEC, mode 0640, through directory fds of
// the log dir (daemon/output/log_dir.hpp): never through a symlink, only a regular file of supd's uid,
// and an external truncate cannot leave a hole. Read access only so the last byte
// can be read (does the file end a line?) when it is adopted or measured again. Once open,
// the fd's O_APPEND is cleared (splice(2) refuses an O_APPEND file) and every write goes at
// the size fstat gives just before, where O_APPEND would have put it: one fd a file, and
// splice from a job's pipe into it (write_from_pipe). Rotation, on
// the loop, renames <name> to a hidden pending name and opens a new <name>: two renames (with
// the side index) at any log_keep. Giving the pending file its number <name>.1 and shifting
// the older ones is left to the rotation worker (daemon/output/rotation_worker.hpp), in steps a later
// supd can finish (daemon/output/rotation_repair.hpp); the tail readers see the files in order meanwhile.
#pragma once
#include <sys/types.h>  // loff_t

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"
#include "daemon/output/chunk_layout.hpp"
#include "daemon/output/log_index.hpp"
#include "daemon/output/rotation.hpp"
#include "daemon/output/rotation_census.hpp"
#include "daemon/output/rotation_worker.hpp"

namespace supd::daemon {

// Opens (creating) a log file for appending, its own directory playing the log dir
// (open_log_path in daemon/output/log_dir.hpp); on failure `error` says what, naming the path.
common::UniqueFd open_log_file(const std::filesystem::path& path, std::string& error);

// Sees each chunk written to a file and where it starts in the log (bytes_written() before
// it); returns false to be removed (its client went away).
using FollowFn = std::function<bool(std::string_view chunk, std::uint64_t at)>;

class LogFile {
public:
  // `log_dir`: the log dir `path` lies in, whose directory fd every (re)open starts from;
  // empty: the file's own directory. Without a worker the rotated files are shifted at once,
  // inside rotate() (tests, tools).
  // With a census, the first adoption looks for an earlier supd's rotation only when the
  // census has seen rotated files of this log (daemon/output/rotation_census.hpp).
  explicit LogFile(std::filesystem::path path, std::filesystem::path log_dir = {},
                   RotationWorker* worker = nullptr, RotationCensus* census = nullptr)
      : path_(path.native()), log_dir_(log_dir.native()), worker_(worker), census_(census) {}

  // Takes a freshly opened fd (from the spawn) and the job's rotation settings; `indexed`
  // keeps the timestamp side index (daemon/output/log_index.hpp) beside the file.
  void adopt(common::UniqueFd fd, std::uint64_t max_size, int keep, bool indexed = false);
  void close() {
    fd_.reset();
    index_.close();
  }
  // A reload changed log_max_size or log_keep: the next write rotates by the new limits.
  void set_limits(std::uint64_t max_size, int keep) {
    policy_.set_max_size(max_size);
    keep_ = std::max(keep, 0);
  }
  bool is_open() const { return static_cast<bool>(fd_); }
  bool at_line_start() const { return policy_.at_line_start(); }  // empty, or ends in '\n'
  // The end of the file's last line when it is unfinished: at most `max` bytes after the last
  // '\n' ("" when the file ends a line, or its last line is longer).
  std::string unfinished_line(std::size_t max) const;
  std::filesystem::path path() const { return path_; }
  // Bytes this supd wrote through write() since it started, across rotations: why's marks.
  std::uint64_t bytes_written() const { return bytes_written_; }

  // Writes all of `chunk`, rotating where the policy says; one write(2) per piece between
  // rotation points. Followers see what was written. False on a write error (errno set, e.g.
  // ENOSPC); `written` then tells how much of the chunk is in the file, so the caller can
  // hold the rest back and offer it again later (nothing lost, nothing doubled).
  bool write(std::string_view chunk, std::size_t* written = nullptr);
  // The same, but the bytes `layout` marks as the pipe's are at the head of `pipe` (peeked) and
  // are moved from there into the file by splice(2), at the file's size; the others
  // (timestamps) are written. splice takes from the pipe exactly what the file got, even when
  // a kill cuts it short, so a kill of supd anywhere loses or doubles none of the pipe's bytes.
  // False as write() (nothing more taken from the pipe than `written` says); when this file
  // cannot be spliced into (can_splice() turned false, said once in supd's log), the caller
  // copies the rest with read(2) and write().
  bool write_from_pipe(int pipe, std::string_view chunk, const ChunkLayout& layout, std::size_t* written = nullptr);
  bool can_splice() const { return fd_ && !appends_ && !splice_refused_; }
  // Closes and opens the path again (creating it): after an external rename or delete.
  bool reopen(std::string& error);
  // Where the open file is now, for a directory event (daemon/output/log_dir_watch.hpp): still at its
  // path, deleted (no name left), or renamed (the path is gone or names another file).
  enum class Whereabouts { AtPath, Deleted, Renamed };
  Whereabouts whereabouts() const;

  void add_follower(std::uint64_t token, FollowFn fn) { followers_.emplace(token, std::move(fn)); }
  void remove_follower(std::uint64_t token) { followers_.erase(token); }
  bool has_followers() const { return !followers_.empty(); }

private:
  std::uint64_t bytes_written_ = 0;
  void sync_from_fd();                 // size and last byte from the open file
  bool rotate();                       // false (logged) when a rename or the new open failed, or not yet due
  // The seq of the next pending file: at the first rotation, above any an earlier supd left.
  std::uint64_t take_pending_seq(int dirfd, const std::string& name);
  bool reopen_if_unlinked();           // R38: st_nlink == 0 means someone deleted or renamed it
  void tell_followers(std::string_view chunk, std::uint64_t at);
  // write()'s loop over the pieces between rotations; put(piece, its offset in chunk, done)
  // puts one piece into the file, counting in `done` what went in.
  template <class Put>
  bool put_pieces(std::string_view chunk, std::size_t* written, Put put);
  void clear_append();                         // on a new fd_: splice needs it off
  bool end_offset(loff_t& off) const;          // the file's size now: where every write goes
  void cannot_splice(const std::string& why);  // copied by read and write from now on; said once

  // Text, not std::filesystem::path: a path keeps a list of its components on the heap,
  // about 250 bytes each with thousands of jobs; they are made again only to open or rotate.
  std::string path_;
  std::string log_dir_;
  common::UniqueFd fd_;
  bool appends_ = true;          // fd_ still has O_APPEND (clearing it failed): write(2) appends
  bool splice_refused_ = false;  // the file system refused splice(2) (EINVAL): not tried again
  bool splice_said_ = false;     // supd's log said once why this file is not spliced into
  RotationPolicy policy_;
  int keep_ = 0;
  bool indexed_ = false;
  IndexWriter index_;
  bool rotate_failed_ = false;  // logged once until a rotation works again
  // Numbers the rotated files: at once for a small log_keep (a few renames, and `<name>.1`
  // exists when the rotation is done, as users expect), by the worker for a large one.
  void settle();
  static constexpr int kSettleOnLoopUpTo = 16;
  RotationWorker* worker_ = nullptr;
  RotationCensus* census_ = nullptr;
  bool may_have_rotated() const;  // the census's answer (true without one)
  bool settle_queued_ = false;          // the first adoption queues finishing an earlier supd's rotation
  std::uint64_t next_pending_seq_ = 0;  // 0: not known before the first rotation
  std::map<std::uint64_t, FollowFn> followers_;
};

// The last `lines` lines of a log and its rotated files (pending ones, then <path>.1 ...
// <path>.<keep>), as one text: reads backwards from the end, across files, at most
// `max_bytes` (then from the first line start within them). A last line without '\n' counts
// as a line. The files are listed and opened under rotation_step_lock(): a consistent order
// while the rotation worker renames.
std::string read_tail(const std::filesystem::path& path, int keep, std::size_t lines, std::size_t max_bytes);

// The same text in pieces, oldest first, each naming where it came from (the file's name in
// the log's directory, offset of its first byte) and, when asked, that file's side index read
// with it. Each piece holds whole lines of one file (the last piece may end in a partial line).
struct TailPiece {
  std::string file;
  std::uint64_t offset = 0;
  std::string text;
  std::vector<IndexEntry> index;  // with_index only
  std::size_t source = 0;         // which of the opened files (below) it came from
};
std::vector<TailPiece> read_tail_pieces(const std::filesystem::path& path, int keep, std::size_t lines,
                                        std::size_t max_bytes, bool with_index = false);

// A file of a log's tail, opened under rotation_step_lock() with the size it had then: the
// same bytes whatever rotation renames afterwards, so it can be read later, on any thread.
struct OpenedLogFile {
  std::string name;  // in the log's directory, when it was opened
  common::UniqueFd fd;
  std::uint64_t size = 0;
  common::UniqueFd index;  // its side index, when asked for and there
};
// The live file and its rotated ones (pending, then .1 ... .keep), newest first. Cheap: what
// a request does on the loop before a long read goes elsewhere.
std::vector<OpenedLogFile> open_tail_files(const std::filesystem::path& path, int keep, bool with_index);
// read_tail_pieces() over files opened before (their sizes then bound what is read).
std::vector<TailPiece> read_tail_pieces(const std::vector<OpenedLogFile>& files, std::size_t lines,
                                        std::size_t max_bytes);
std::filesystem::path rotated_path(const std::filesystem::path& path, int k);  // k = 0: path itself

}  // namespace supd::daemon
