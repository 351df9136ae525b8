// Whether $XDG_RUNTIME_DIR is this user's. After `su alice` (without `-`) it still names the
// first user's directory, and supd and supctl then fail with a path and "Permission denied"
// that send alice after the wrong fix; this names the variable and the fix instead.
//
// Two layers: judge_runtime_dir() is pure (facts in, a message out); foreign_runtime_dir()
// makes the syscalls.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "common/paths.hpp"

namespace supd::common {

struct RuntimeDirFacts {
  enum class State {
    Exists,      // stat worked: `owner` says whose it is
    Missing,     // nothing there: `creatable` says whether we could make it
    Forbidden,   // we may not even look (EACCES): another user's
  };
  State state = State::Exists;
  uid_t owner = 0;
  bool creatable = true;  // Missing: its nearest existing ancestor is writable by us
};

// One line naming XDG_RUNTIME_DIR, its owner and the fix, or nullopt when it is ours (or
// missing and ours to create). Users are named as describe_user() does: "alice (uid 1000)".
std::optional<std::string> judge_runtime_dir(std::string_view value, const RuntimeDirFacts& facts, uid_t me);

// The same for the environment's XDG_RUNTIME_DIR (nullopt when it is unset or relative,
// which the paths code ignores anyway).
std::optional<std::string> foreign_runtime_dir(const Getenv& env, uid_t me);

}  // namespace supd::common
