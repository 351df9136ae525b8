// Whether a control socket may be trusted with a request: the owner and mode of its
// directory, and the uid of the server listening on it (SO_PEERCRED). One rule, used by
// supctl before it sends a byte and by supd when it is given a --socket path.
//
// Two layers: judge_socket_dir() is pure (facts in, a verdict out); check_socket_dir() and
// peer_uid() make the syscalls.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

namespace supd::common {

// What lstat and stat say about the socket's directory.
struct SocketDirFacts {
  uid_t owner = 0;
  mode_t mode = 0;                  // st_mode of the directory (the link's target if a symlink)
  std::optional<uid_t> link_owner;  // set when the path itself is a symlink: who may repoint it
};

// Why a socket is not trusted, with what the message names.
struct Distrust {
  enum class Reason {
    ForeignLink,       // the directory path is a symlink another user owns
    ForeignOwner,      // the directory belongs to another user (not root)
    WritableByOthers,  // group or others may write the directory (sticky or not)
    ForeignServer,     // the server on the socket runs as another uid (not root)
  };
  Reason reason = Reason::ForeignOwner;
  std::filesystem::path path;  // the directory, or the socket for ForeignServer
  uid_t owner = 0;             // of the directory or link; the server's uid for ForeignServer
  mode_t mode = 0;             // the directory's, for WritableByOthers
  bool operator==(const Distrust&) const = default;
};

// The rule: the directory is owned by `me` or root and nobody else may write to it (a sticky
// directory like /tmp is not enough: anyone may have created the socket there).
std::optional<Distrust> judge_socket_dir(const std::filesystem::path& dir, const SocketDirFacts& facts, uid_t me);

// A server is trusted when it runs as `me` or as root.
bool trusted_server(uid_t server, uid_t me);

// lstat/stat of the socket's directory, then judge_socket_dir(). A directory that cannot be
// examined (missing, no permission) is no verdict: connecting fails on its own then.
std::optional<Distrust> check_socket_dir(const std::filesystem::path& socket, uid_t me);

// SO_PEERCRED's uid of a connected Unix socket; nullopt if the kernel does not say.
std::optional<uid_t> peer_uid(int fd);

// "mallory (uid 999)", or "uid 999" when the passwd database has no name for it.
std::string describe_user(uid_t uid);

// One line: what is wrong with the socket's directory or server, and what to do instead.
std::string explain_distrust(const Distrust& distrust);

}  // namespace supd::common
