#include "daemon/output/log_dir.hpp"

#include <cerrno>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <vector>

#include <fmt/format.h>

#include "common/paths.hpp"
#include "common/sys_error.hpp"
#include "daemon/core/startup_error.hpp"

namespace supd::daemon {
namespace {

namespace fs = std::filesystem;
using common::UniqueFd;
using common::errno_message;

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

unsigned mode_bits(const struct stat& st) { return st.st_mode & 07777; }

std::string_view kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symlink";
  return "something else";
}

// A directory supd writes job output into (the log dir, or one it made below it) must be supd's
// uid's own and not writable by group or others: whoever may write it may plant a FIFO or a
// symlink where a log file goes. "" when it is fine.
std::string own_dir_problem(const fs::path& dir, const struct stat& st) {
  const uid_t me = ::geteuid();
  if (st.st_uid != me)
    return fmt::format("log dir {} belongs to {}, not to supd's {}; use a directory of your own (--log-dir or "
                       "[supd] log_dir), or fix it with: chown {} {}",
                       dir.string(), describe_uid(st.st_uid), describe_uid(me), me, dir.string());
  if ((st.st_mode & 022) != 0)
    return fmt::format("log dir {} is writable by group or others (mode {:04o}); fix it with: chmod go-w {}",
                       dir.string(), mode_bits(st), dir.string());
  return {};
}

// A directory above the log dir must be root's or supd's uid's, and not writable by group or
// others unless sticky (/tmp: others cannot rename or remove what is not theirs there).
std::string ancestor_problem(const fs::path& log_dir, const fs::path& dir, const struct stat& st) {
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    return fmt::format("log dir {}: {} above it belongs to {}, who could replace what is in it; choose a log dir "
                       "(--log-dir or [supd] log_dir) under directories of root's or your own",
                       log_dir.string(), dir.string(), describe_uid(st.st_uid));
  if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)
    return fmt::format("log dir {}: {} above it is writable by group or others (mode {:04o}), who could replace "
                       "what is in it; fix it with: chmod go-w {}",
                       log_dir.string(), dir.string(), mode_bits(st), dir.string());
  return {};
}

std::string link_target(int dirfd, const char* name) {
  std::array<char, 4096> buf{};
  const ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string("?");
}

std::vector<fs::path> components(const fs::path& relative) {
  std::vector<fs::path> out;
  for (const auto& part : relative)
    if (!part.empty() && part != ".") out.push_back(part);
  return out;
}

}  // namespace

std::string describe_uid(uid_t uid) {
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr)
    return fmt::format("uid {} ({})", uid, pw->pw_name);
  return fmt::format("uid {}", uid);
}

void prepare_log_dir(const fs::path& dir) {
  const fs::path norm = dir.lexically_normal();
  UniqueFd at(::open(norm.is_absolute() ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!at) throw StartupError(fmt::format("cannot use log dir {}: {}", dir.string(), errno_message(errno)));
  const auto parts = components(norm.relative_path());
  fs::path walked = norm.root_path();
  bool created = false;  // from the first component supd made on, every one must be supd's own
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    const char* name = parts[i].c_str();
    walked /= parts[i];
    struct stat lst {};
    if (::fstatat(at.get(), name, &lst, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        throw StartupError(fmt::format("cannot use log dir {}: {}: {}", dir.string(), walked.string(),
                                       errno_message(errno)));
      if (::mkdirat(at.get(), name, 0700) != 0 && errno != EEXIST)
        throw StartupError(fmt::format("cannot create {}: {}", walked.string(), errno_message(errno)));
      created = true;
      if (::fstatat(at.get(), name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
        throw StartupError(fmt::format("cannot use {}: {}", walked.string(), errno_message(errno)));
    }
    const bool own = last || created;
    if (S_ISLNK(lst.st_mode)) {
      if (own)
        throw StartupError(fmt::format("log dir {} is a symlink (to {}); supd never follows one there: set the log "
                                       "dir (--log-dir or [supd] log_dir) to the directory itself",
                                       walked.string(), link_target(at.get(), name)));
      // Above the log dir, a link root or supd's uid made is their choice (/var/run -> /run).
      if (lst.st_uid != ::geteuid() && lst.st_uid != 0)
        throw StartupError(fmt::format("log dir {}: {} above it is a symlink owned by {}, who could point it "
                                       "anywhere; remove it or choose another log dir (--log-dir or [supd] log_dir)",
                                       dir.string(), walked.string(), describe_uid(lst.st_uid)));
    }
    UniqueFd next(::openat(at.get(), name, own ? kDirFlags : (kDirFlags & ~O_NOFOLLOW)));
    if (!next) {
      const int err = errno;
      struct stat now {};
      if (err == ELOOP || (err == ENOTDIR && ::fstatat(at.get(), name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(now.st_mode)))
        throw StartupError(fmt::format("log dir {}: {} became a symlink while supd looked at it; start again",
                                       dir.string(), walked.string()));
      if (err == ENOTDIR)
        throw StartupError(fmt::format("{} is not a directory; the log dir must be one", walked.string()));
      throw StartupError(
          fmt::format("cannot use log dir {}: {}: {}", dir.string(), walked.string(), errno_message(err)));
    }
    struct stat st {};
    if (::fstat(next.get(), &st) != 0)
      throw StartupError(fmt::format("cannot use {}: {}", walked.string(), errno_message(errno)));
    const auto problem = own ? own_dir_problem(walked, st) : ancestor_problem(norm, walked, st);
    if (!problem.empty()) throw StartupError(problem);
    at = std::move(next);
  }
  if (parts.empty()) {  // "/" or "." itself
    struct stat st {};
    if (::fstat(at.get(), &st) == 0)
      if (const auto problem = own_dir_problem(norm, st); !problem.empty()) throw StartupError(problem);
  }
}

namespace {

// A refusal is lasting (EPERM): the job goes fatal with this error, as after a failed exec.
UniqueFd refused(std::string& error, std::string message) {
  error = std::move(message);
  errno = EPERM;
  return UniqueFd();
}

UniqueFd open_failed(std::string& error, const fs::path& what) {
  const int err = errno;
  error = fmt::format("open {}: {}", what.string(), errno_message(err));
  errno = err;  // the caller tells a passing EMFILE from a lasting EACCES
  return UniqueFd();
}

// The checked directory a log file lies in and the path that names the file, for messages.
struct LogParent {
  UniqueFd dir;
  fs::path file;
};

LogParent walk_to_parent(const fs::path& log_dir, const fs::path& path, std::string& error) {
  fs::path dir = path.parent_path();
  fs::path relative = path.filename();
  if (!log_dir.empty()) {
    const auto base = common::normal_dir(log_dir);  // "logs/" is "logs"
    const auto inside = path.lexically_normal().lexically_relative(base);
    if (!inside.empty() && *inside.begin() != ".." && inside.has_filename() && inside != ".") {
      dir = base;
      relative = inside;
    }
  }
  if (dir.empty()) dir = ".";
  auto refuse = [&](std::string message) { return refused(error, std::move(message)); };
  auto failed = [&](const fs::path& what) { return open_failed(error, what); };
  // `fd` is what openat(O_DIRECTORY | O_NOFOLLOW) gave for `name` in `parent`.
  auto checked_dir = [&](UniqueFd fd, int parent, const char* name, const fs::path& where) {
    struct stat st {};
    if (!fd) {
      const int err = errno;
      // O_NOFOLLOW | O_DIRECTORY on a symlink says ENOTDIR (or ELOOP): tell the two apart.
      if (err == ELOOP || (err == ENOTDIR && ::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(st.st_mode)))
        return refuse(fmt::format("{} is a symlink; supd never writes through one: remove it", where.string()));
      if (err == ENOTDIR) return refuse(fmt::format("{} is not a directory; remove it", where.string()));
      errno = err;
      return failed(where);
    }
    if (::fstat(fd.get(), &st) != 0) return failed(where);
    if (auto problem = own_dir_problem(where, st); !problem.empty()) return refuse(std::move(problem));
    return fd;
  };

  UniqueFd at = checked_dir(UniqueFd(::open(dir.c_str(), kDirFlags)), AT_FDCWD, dir.c_str(), dir);
  if (!at) return {};
  fs::path walked = dir;
  const auto parts = components(relative.parent_path());
  for (const auto& part : parts) {
    walked /= part;
    if (part == "..") return {refuse(fmt::format("{} leaves the log dir {}", path.string(), dir.string())), {}};
    UniqueFd next(::openat(at.get(), part.c_str(), kDirFlags));
    if (!next && errno == ENOENT) {  // `stdout = "sub/x"`: made here, supd's own, never through a link
      if (::mkdirat(at.get(), part.c_str(), 0700) != 0 && errno != EEXIST) return {failed(walked), {}};
      next = UniqueFd(::openat(at.get(), part.c_str(), kDirFlags));
    }
    at = checked_dir(std::move(next), at.get(), part.c_str(), walked);
    if (!at) return {};
  }
  return {std::move(at), walked / relative.filename()};
}

}  // namespace

UniqueFd open_log_parent(const fs::path& log_dir, const fs::path& path, std::string& error) {
  return walk_to_parent(log_dir, path, error).dir;
}

UniqueFd open_log_path(const fs::path& log_dir, const fs::path& path, std::string& error) {
  auto [at, file] = walk_to_parent(log_dir, path, error);
  if (!at) return {};
  auto refuse = [&](std::string message) { return refused(error, std::move(message)); };
  auto failed = [&](const fs::path& what) { return open_failed(error, what); };
  // O_NONBLOCK: opening a FIFO must not wait for a reader. O_NOCTTY: nor may a planted tty
  // become supd's controlling terminal.
  UniqueFd fd(::openat(at.get(), file.filename().c_str(),
                       O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0640));
  if (!fd) {
    if (errno == ELOOP)
      return refuse(fmt::format("{} is a symlink; supd never writes through one: remove it", file.string()));
    return failed(file);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failed(file);
  if (!S_ISREG(st.st_mode))
    return refuse(fmt::format("{} is {}, not a regular file; supd writes job output only into regular files: remove it",
                              file.string(), kind_of(st.st_mode)));
  if (st.st_uid != ::geteuid())
    return refuse(fmt::format("{} belongs to {}, not to supd's {}; remove it (supd creates its own)", file.string(),
                              describe_uid(st.st_uid), describe_uid(::geteuid())));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) (void)::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace supd::daemon
