// Reaching supd when the socket this shell resolves is silent: a supd started where
// XDG_RUNTIME_DIR was unset (or set) listens elsewhere. supctl then tries the other places supd
// may listen (common/instance_record.hpp), each trusted only as any socket is (Client::connect),
// and says which one answered, or names them all in its error.
#pragma once
#include <functional>
#include <string>

#include "common/paths.hpp"
#include "ctl/client.hpp"

namespace supd::ctl {

// Where the line naming a found supd goes (stderr, as a Session or the plain path writes it).
using Note = std::function<void(const std::string& line)>;

// Client::connect to `paths.socket`; when that fails as Unreachable and the socket was not
// named by the user (--socket, SUPD_SOCKET), the other places in turn. A found supd is named
// on `note` in one line. Throws the first failure, with the places also tried appended; an
// XDG_RUNTIME_DIR of another user's (common/runtime_dir.hpp) before any, when the socket is
// the default one.
Client connect_to_supd(const common::Paths& paths, Timeout timeout, const std::string& start_hint,
                       const protocol::Command* then, const Note& note, const common::Getenv& env);

// The same search for `supctl bridge`: the trusted socket, without the hello.
common::UniqueFd open_supd_socket(const common::Paths& paths, Timeout timeout, const std::string& start_hint,
                                  const Note& note, const common::Getenv& env);

}  // namespace supd::ctl
