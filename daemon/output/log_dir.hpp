// What supd trusts in its log dir: the start-up check of the dir and its ancestors, and the one
// way a log file is opened (through directory fds, never through a symlink, only a regular file
// of supd's own uid). docs/trust.md says what is refused and why.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>

#include "common/fd.hpp"

namespace supd::daemon {

// At start-up: creates `dir` where missing (each new component 0700, made with mkdirat through
// its parent's fd, no symlink followed) and checks every component. An existing ancestor must
// belong to root or to supd's uid and not be writable by group or others unless sticky (/tmp);
// an ancestor symlink must belong to root or to supd's uid. The log dir itself must not be a
// symlink, must be supd's uid's own and not writable by group or others. Throws StartupError:
// one line naming the path, its owner or mode, and the fix.
void prepare_log_dir(const std::filesystem::path& dir);

// Opens `path` for appending (creating it 0640). When `path` lies inside `log_dir`, its parent
// directories below the log dir are walked with openat(O_DIRECTORY | O_NOFOLLOW) from a fd of
// the log dir, missing ones created 0700; otherwise (an empty `log_dir`, or a pipe handed over
// by a supd with another log dir) its own directory plays the log dir. Each of those directories
// must be supd's uid's own and not writable by group or others. The file is opened O_NOFOLLOW |
// O_NONBLOCK (a FIFO cannot hang the open) and refused unless it is a regular file of supd's uid.
// On failure: an invalid fd, `error` says what and the fix, naming the path, and errno is the
// open's errno (EMFILE passes) or EPERM for a refusal (lasting).
common::UniqueFd open_log_path(const std::filesystem::path& log_dir, const std::filesystem::path& path,
                               std::string& error);

// The directory `path` lies in, reached the way open_log_path walks to it (never through a
// symlink, each directory supd's own): rotation renames in it. Same failure contract.
common::UniqueFd open_log_parent(const std::filesystem::path& log_dir, const std::filesystem::path& path,
                                 std::string& error);

// "uid 1001 (alice)", or "uid 1001" when the name is unknown: for messages.
std::string describe_uid(uid_t uid);

}  // namespace supd::daemon
