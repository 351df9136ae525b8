// Claiming the control socket: a safe directory, one supd per socket (an flock'ed lock file
// beside it), a stale socket replaced, a live one never. Start-up code: throws one-line errors.
#pragma once
#include <filesystem>

#include <sys/types.h>

#include "common/fd.hpp"
#include "daemon/core/startup_error.hpp"

namespace supd::daemon {

struct ControlSocket {
  common::UniqueFd listen_fd;  // bound and listening, close-on-exec
  common::UniqueFd lock_fd;    // held for supd's lifetime
  std::filesystem::path path;
  bool adopted = false;        // systemd's socket (LISTEN_FDS): systemd removes it, not supd
  // The socket file as supd found it bound (device, inode): removed only while it is still this one.
  dev_t file_dev = 0;
  ino_t file_ino = 0;
};

// Removes the socket file when supd exits or fails to start, unless it is systemd's (adopted)
// or no longer the file supd bound. Call it while the lock is still held: then no other supd
// can be using the path.
void remove_socket_file(const ControlSocket& socket);

// Calls remove_socket_file() on the way out of start-up and of the loop, error or not.
class SocketFileRemover {
public:
  explicit SocketFileRemover(const ControlSocket& socket) : socket_(socket) {}
  ~SocketFileRemover() { remove_socket_file(socket_); }
  SocketFileRemover(const SocketFileRemover&) = delete;
  SocketFileRemover& operator=(const SocketFileRemover&) = delete;

private:
  const ControlSocket& socket_;
};

// `dir_is_supds_own`: the directory is supd's default runtime dir, which must be 0700 and
// ours; a directory the user chose must be ours (or root's) and not writable by others
// unless sticky, like /tmp.
ControlSocket claim_control_socket(const std::filesystem::path& socket_path, bool dir_is_supds_own);

// Socket activation: takes the listening socket systemd passed as `fd` (a bound, listening
// AF_UNIX stream socket, or StartupError) and the same `<socket>.lock`, the path being the
// socket's own address.
ControlSocket adopt_control_socket(int fd);

// Creates `dir` (and parents) with mode 0700 where missing.
void make_private_dirs(const std::filesystem::path& dir);

}  // namespace supd::daemon
