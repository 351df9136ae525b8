#include "ctl/find_supd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "common/instance_record.hpp"
#include "common/runtime_dir.hpp"

namespace supd::ctl {
namespace {

// `reach(socket)` on paths.socket, then on the other places supd may listen; see the header.
template <class Reach>
auto reach_supd(const common::Paths& paths, const Note& note, const common::Getenv& env, Reach reach)
    -> decltype(reach(paths.socket)) {
  // The default socket under another user's XDG_RUNTIME_DIR (su without -): say so, not EACCES.
  if (paths.socket_dir_is_default)
    if (const auto why = common::foreign_runtime_dir(env, ::geteuid()))
      throw ClientFailure(ClientFailure::Kind::Unreachable, *why);
  try {
    return reach(paths.socket);
  } catch (const ClientFailure& first) {
    if (first.kind() != ClientFailure::Kind::Unreachable || !paths.socket_dir_is_default) throw;
    std::vector<std::string> tried;
    for (const auto& other : common::other_sockets(paths, ::geteuid())) {
      struct stat st {};
      if (::lstat(other.c_str(), &st) != 0) {  // nothing there: named, not tried
        tried.push_back(other.string());
        continue;
      }
      try {
        auto found = reach(other);
        note(fmt::format("supctl: no supd at {}; the one at {} answered (this shell's XDG_RUNTIME_DIR "
                         "differs from supd's; --socket {} names it)\n",
                         paths.socket.string(), other.string(), other.string()));
        return found;
      } catch (const ClientFailure& e) {
        tried.push_back(fmt::format("{} ({})", other.string(), e.what()));
      }
    }
    if (tried.empty()) throw;
    std::string also;
    for (const auto& t : tried) also += (also.empty() ? "" : ", ") + t;
    throw ClientFailure(first.kind(), fmt::format("{}; no supd at {} either", first.what(), also));
  }
}

}  // namespace

Client connect_to_supd(const common::Paths& paths, Timeout timeout, const std::string& start_hint,
                       const protocol::Command* then, const Note& note, const common::Getenv& env) {
  return reach_supd(paths, note, env, [&](const std::filesystem::path& socket) {
    return Client::connect(socket, timeout, start_hint, then);
  });
}

common::UniqueFd open_supd_socket(const common::Paths& paths, Timeout timeout, const std::string& start_hint,
                                  const Note& note, const common::Getenv& env) {
  return reach_supd(paths, note, env, [&](const std::filesystem::path& socket) {
    return Client::open_socket(socket, timeout, start_hint);
  });
}

}  // namespace supd::ctl
