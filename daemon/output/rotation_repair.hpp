// The rotated files of one log on disk and how they are brought to the contract's numbering
// (<name>.1 the newest ... <name>.<keep>): rotation itself only renames the live file to a
// hidden pending name (.<name>.pending.<seq>), and settle_rotation() later shifts the numbered
// files and gives the pending ones their numbers, in steps that leave a valid order after any
// cut, so the next supd finishes a half-done rotation from what it finds.
//
// The order on disk, newest first, holds between any two steps: the live file, the pending
// files by descending seq, then the numbered files by ascending number (with gaps while a
// shift is under way). Each step renames (or removes) one file and then its side index.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace supd::daemon {

// What a directory holds of one log `name` (sorted ascending), found by one readdir.
struct RotationSet {
  std::vector<std::uint64_t> pending;        // seqs of .<name>.pending.<seq>
  std::vector<int> numbered;                 // k of <name>.k, k >= 1
  std::vector<std::string> orphan_indexes;   // side indexes of rotated files that are gone
  std::uint64_t max_seq = 0;                 // the highest pending seq, of a file or an index
};

std::string pending_name(const std::string& name, std::uint64_t seq);
std::string numbered_name(const std::string& name, int k);
RotationSet scan_rotation(int dirfd, const std::string& name);
// Calls `each` with every entry's name in the directory `dirfd` (left open, its offset
// rewound); false when it cannot be read.
bool for_each_entry(int dirfd, const std::function<void(std::string_view)>& each);

// The rotated files' names, newest first, at most `keep` of them (the others are about to be
// removed): the order read_tail reads them in.
std::vector<std::string> rotated_newest_first(const std::string& name, const RotationSet& set, int keep);

struct RotationStep {
  std::string from;
  std::string to;  // empty: remove `from` (older than log_keep allows)
  bool operator==(const RotationStep&) const = default;
};

// The steps that number every file of `set` 1.. (newest first) and remove those past `keep`:
// removals oldest first, then moves down in ascending number, moves up in descending number,
// then the pending files oldest first. No step overwrites a file still wanted, and every
// prefix of the steps leaves the order above intact. Steps for files of another name never.
std::vector<RotationStep> plan_rotation(const std::string& name, const RotationSet& set, int keep);

// Renames (or removes) one log file, then its side index the same way (an index that is not
// there removes the one at the target, so no index describes another file). False, errno
// set, when the log file's rename failed.
bool apply_rotation_step(int dirfd, const RotationStep& step);

// Scans (removing orphaned side indexes, left by a cut between a file's rename and its
// index's), plans and applies, each under rotation_step_lock(). False, errno set, when a step
// failed (the rest waits for the next call). `max_pending` gets RotationSet::max_seq.
bool settle_rotation(int dirfd, const std::string& name, int keep, std::uint64_t* max_pending = nullptr);

// Rotation on the loop: renames the live file <name>, then its index, to the pending name
// `seq` (under rotation_step_lock(), so nobody sees one without the other). False, errno set,
// when the log file's rename failed for another reason than its being gone.
bool rename_to_pending(int dirfd, const std::string& name, std::uint64_t seq);

// Held by each step, each scan and each rename to a pending name, and by the tail readers
// while they list and read the files: everyone sees the files between two steps.
std::mutex& rotation_step_lock();

}  // namespace supd::daemon
