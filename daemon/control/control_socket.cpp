#include "daemon/control/control_socket.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "common/socket_trust.hpp"
#include "common/sys_error.hpp"

namespace supd::daemon {
namespace {

using common::UniqueFd;
using common::errno_message;

void check_directory(const std::filesystem::path& dir, bool supds_own) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw StartupError(fmt::format("cannot use runtime dir {}: {}", dir.string(), errno_message(errno)));
  if (S_ISLNK(st.st_mode))
    throw StartupError(fmt::format("runtime dir {} is a symlink; remove it, supd creates its own", dir.string()));
  if (!S_ISDIR(st.st_mode)) throw StartupError(fmt::format("{} is not a directory", dir.string()));
  const uid_t me = ::geteuid();
  const unsigned mode = st.st_mode & 07777;
  if (supds_own) {
    if (st.st_uid != me)
      throw StartupError(fmt::format("runtime dir {} belongs to uid {}, not {}; remove it or use --socket",
                                     dir.string(), st.st_uid, me));
    if ((mode & 0777) != 0700)
      throw StartupError(fmt::format("runtime dir {} has mode {:04o}; fix it with: chmod 700 {}", dir.string(),
                                     mode, dir.string()));
    return;
  }
  // supctl's rule (common/socket_trust.hpp): a socket supctl would refuse is not served either.
  const auto distrust = common::judge_socket_dir(dir, {st.st_uid, st.st_mode, std::nullopt}, me);
  if (!distrust) return;
  if (distrust->reason == common::Distrust::Reason::ForeignOwner)
    throw StartupError(fmt::format("socket dir {} belongs to uid {}; choose a dir of your own with --socket",
                                   dir.string(), st.st_uid));
  if ((mode & S_ISVTX) != 0)
    throw StartupError(fmt::format("socket dir {} is writable by others (mode {:04o}), who could have put a socket "
                                   "there first; choose a dir of your own with --socket",
                                   dir.string(), mode));
  throw StartupError(fmt::format("socket dir {} is writable by others (mode {:04o}); fix it with: chmod go-w {}",
                                 dir.string(), mode, dir.string()));
}

sockaddr_un address_of(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string s = path.string();
  if (s.size() >= sizeof addr.sun_path)
    throw StartupError(fmt::format("socket path {} is longer than {} bytes; choose a shorter --socket", s,
                                   sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, s.c_str(), s.size() + 1);
  return addr;
}

UniqueFd take_lock(const std::filesystem::path& socket_path) {
  const auto lock_path = socket_path.string() + ".lock";
  UniqueFd fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw StartupError(fmt::format("cannot open {}: {}", lock_path, errno_message(errno)));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const auto n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    const std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("?");
    throw StartupError(fmt::format("supd is already running on {} (pid {}); stop it with: supctl shutdown",
                                   socket_path.string(), pid.substr(0, pid.find('\n'))));
  }
  const auto me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) [[maybe_unused]] auto w = ::pwrite(fd.get(), me.data(), me.size(), 0);
  return fd;
}

// A socket file with nobody listening is left by a supd that was killed: remove it. One that
// answers belongs to a live supd (perhaps an older one without the lock): refuse.
void clear_stale(const std::filesystem::path& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode))
    throw StartupError(fmt::format("{} exists and is not a socket; remove it or choose another --socket", path.string()));
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe && ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    throw StartupError(fmt::format("supd is already running on {}; stop it with: supctl shutdown", path.string()));
  ::unlink(path.c_str());
}

// What is at `path` now, so that exit removes this file and never a later one.
void remember_file(ControlSocket& socket) {
  struct stat st {};
  if (::lstat(socket.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
  socket.file_dev = st.st_dev;
  socket.file_ino = st.st_ino;
}

}  // namespace

void remove_socket_file(const ControlSocket& socket) {
  if (socket.adopted || socket.file_ino == 0) return;
  struct stat st {};
  if (::lstat(socket.path.c_str(), &st) != 0 || st.st_dev != socket.file_dev || st.st_ino != socket.file_ino) return;
  ::unlink(socket.path.c_str());
}

void make_private_dirs(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      throw StartupError(fmt::format("cannot create {}: {}", partial.string(), errno_message(errno)));
  }
}

ControlSocket claim_control_socket(const std::filesystem::path& socket_path, bool dir_is_supds_own) {
  const auto dir = socket_path.parent_path();
  make_private_dirs(dir);
  check_directory(dir, dir_is_supds_own);
  const auto addr = address_of(socket_path);

  ControlSocket out;
  out.path = socket_path;
  out.lock_fd = take_lock(socket_path);
  clear_stale(socket_path, addr);

  out.listen_fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!out.listen_fd) throw StartupError(fmt::format("socket: {}", errno_message(errno)));
  const mode_t old_mask = ::umask(0177);  // born 0600: no window where others could connect
  const int rc = ::bind(out.listen_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0)
    throw StartupError(fmt::format("cannot bind {}: {}", socket_path.string(), errno_message(bind_errno)));
  ::chmod(socket_path.c_str(), 0600);
  remember_file(out);
  if (::listen(out.listen_fd.get(), SOMAXCONN) != 0) {
    const int err = errno;
    remove_socket_file(out);
    throw StartupError(fmt::format("listen {}: {}", socket_path.string(), errno_message(err)));
  }
  return out;
}

ControlSocket adopt_control_socket(int fd) {
  ControlSocket out;
  out.listen_fd = UniqueFd(fd);
  out.adopted = true;
  int type = 0, listening = 0;
  socklen_t optlen = sizeof type;
  sockaddr_un addr{};
  socklen_t addrlen = sizeof addr;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0 || type != SOCK_STREAM ||
      ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &(optlen = sizeof listening)) != 0 || !listening ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addrlen) != 0 || addr.sun_family != AF_UNIX ||
      addrlen <= offsetof(sockaddr_un, sun_path) || addr.sun_path[0] == '\0')
    throw StartupError("the socket systemd passed is not a listening Unix stream socket with a path; "
                       "supd.socket needs one ListenStream=%t/supd/supd.sock");
  out.path = std::string(addr.sun_path, ::strnlen(addr.sun_path, addrlen - offsetof(sockaddr_un, sun_path)));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  out.lock_fd = take_lock(out.path);
  remember_file(out);  // for an upgrade's handover: the file the old supd bound
  return out;
}

}  // namespace supd::daemon
