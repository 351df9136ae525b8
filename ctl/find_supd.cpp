#include "ctl/find_supd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "common/instance_record.hpp"

namespace supd::ctl {

Client connect_to_supd(const common::Paths& paths, Timeout timeout, const std::string& start_hint,
                       const protocol::Command* then, std::ostream& note) {
  try {
    return Client::connect(paths.socket, timeout, start_hint, then);
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
        auto client = Client::connect(other, timeout, start_hint, then);
        note << fmt::format("supctl: no supd at {}; the one at {} answered (this shell's XDG_RUNTIME_DIR "
                            "differs from supd's; --socket {} names it)\n",
                            paths.socket.string(), other.string(), other.string());
        note.flush();
        return client;
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

}  // namespace supd::ctl
