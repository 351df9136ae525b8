#include "common/socket_trust.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

namespace supd::common {
namespace {

constexpr const char* kOwnDir = "use a socket in a directory of your own (--socket, SUPD_SOCKET or XDG_RUNTIME_DIR)";

bool owner_trusted(uid_t owner, uid_t me) { return owner == me || owner == 0; }

}  // namespace

std::optional<Distrust> judge_socket_dir(const std::filesystem::path& dir, const SocketDirFacts& facts, uid_t me) {
  using Reason = Distrust::Reason;
  if (facts.link_owner && !owner_trusted(*facts.link_owner, me))
    return Distrust{Reason::ForeignLink, dir, *facts.link_owner, 0};
  if (!owner_trusted(facts.owner, me)) return Distrust{Reason::ForeignOwner, dir, facts.owner, 0};
  // Sticky does not help here: it only stops others from removing our socket, not from
  // creating theirs first.
  if ((facts.mode & (S_IWGRP | S_IWOTH)) != 0)
    return Distrust{Reason::WritableByOthers, dir, facts.owner, facts.mode & 07777};
  return std::nullopt;
}

bool trusted_server(uid_t server, uid_t me) { return server == me || server == 0; }

std::optional<Distrust> check_socket_dir(const std::filesystem::path& socket, uid_t me) {
  auto dir = socket.parent_path();
  if (dir.empty()) dir = ".";
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return std::nullopt;
  SocketDirFacts facts;
  if (S_ISLNK(st.st_mode)) {
    facts.link_owner = st.st_uid;
    if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  }
  if (!S_ISDIR(st.st_mode)) return std::nullopt;  // connect() fails with ENOTDIR and says so
  facts.owner = st.st_uid;
  facts.mode = st.st_mode;
  return judge_socket_dir(dir, facts, me);
}

std::optional<uid_t> peer_uid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return std::nullopt;
  return cred.uid;
}

std::string describe_user(uid_t uid) {
  const long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr && found->pw_name != nullptr &&
      found->pw_name[0] != '\0')
    return fmt::format("{} (uid {})", found->pw_name, uid);
  return fmt::format("uid {}", uid);
}

std::string explain_distrust(const Distrust& d) {
  const std::string path = d.path.string();
  const std::string who = describe_user(d.owner);
  switch (d.reason) {
  case Distrust::Reason::ForeignLink:
    return fmt::format("its directory {} is a symlink owned by {}, who may point it anywhere; remove it (as its "
                       "owner or root), or {}",
                       path, who, kOwnDir);
  case Distrust::Reason::ForeignOwner:
    return fmt::format("its directory {} is owned by {}, not by you, who may have put any server there; remove {} "
                       "(as its owner or root), or {}",
                       path, who, path, kOwnDir);
  case Distrust::Reason::WritableByOthers:
    if ((d.mode & S_ISVTX) != 0)  // /tmp and the like: chmod is not the fix
      return fmt::format("its directory {} (owner {}) is writable by others (mode {:04o}), who may have put any "
                         "server there; {}",
                         path, who, d.mode, kOwnDir);
    return fmt::format("its directory {} (owner {}) is writable by group or others (mode {:04o}), who may have put "
                       "any server there; fix it with: chmod go-w {}, or {}",
                       path, who, d.mode, path, kOwnDir);
  case Distrust::Reason::ForeignServer:
    return fmt::format("the server listening on {} runs as {}, not as you or root, so it is not your supd; remove "
                       "{} (as its owner or root), or {}",
                       path, who, path, kOwnDir);
  }
  return "it is not trusted";
}

}  // namespace supd::common
