// One listing of a log directory, shared by the logs adopted in one loop turn. A log's first
// adoption puts in order what an earlier supd's rotation left (rotation_repair.hpp), which
// lists the whole directory; with thousands of jobs in one log dir, each job's listing made
// supd's start grow with the square of the jobs. The census lists a directory once and names
// the logs that have rotated files there; only those are put in order. OutputCapture forgets it
// at the end of the turn, so no listing is older than the spawns of that turn.
#pragma once
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace supd::daemon {

class RotationCensus {
public:
  // Whether the directory `dirfd` (named `dir`) held, when first asked, a file a rotation of
  // the log `name` leaves (`name.<k>`, `.name.pending.<seq>`, or their indexes). When it cannot
  // be listed: true, and the full check says why.
  bool may_have_rotated(int dirfd, const std::string& dir, const std::string& name);
  void forget() { dirs_.clear(); }
  bool empty() const { return dirs_.empty(); }

private:
  struct Listing {
    bool listed = false;
    std::set<std::string, std::less<>> names;  // logs with rotated files
  };
  std::map<std::string, Listing, std::less<>> dirs_;
};

// The logs a directory entry could be a rotated file (or a rotated file's index) of: more than
// rotation_repair's scan recognises, never fewer (a name too many costs one listing).
std::vector<std::string> rotated_file_bases(std::string_view entry);

}  // namespace supd::daemon
