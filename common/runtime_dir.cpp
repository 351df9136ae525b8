#include "common/runtime_dir.hpp"

#include <cerrno>
#include <filesystem>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/socket_trust.hpp"

namespace supd::common {
namespace {

// The fix: a login shell sets XDG_RUNTIME_DIR for the user it logs in (`su -`, not `su`).
std::string fix_for(uid_t me) {
  const passwd* pw = ::getpwuid(me);
  if (pw != nullptr && pw->pw_name != nullptr && pw->pw_name[0] != '\0')
    return fmt::format("log in with `su - {}` (not `su {}`), or unset XDG_RUNTIME_DIR", pw->pw_name, pw->pw_name);
  return "log in as this user (`su -`, not `su`), or unset XDG_RUNTIME_DIR";
}

}  // namespace

std::optional<std::string> judge_runtime_dir(std::string_view value, const RuntimeDirFacts& facts, uid_t me) {
  const std::string you = describe_user(me);
  switch (facts.state) {
  case RuntimeDirFacts::State::Exists:
    if (facts.owner == me) return std::nullopt;
    return fmt::format("XDG_RUNTIME_DIR={} belongs to {}, not to you, {}: {}", value, describe_user(facts.owner), you,
                       fix_for(me));
  case RuntimeDirFacts::State::Forbidden:
    return fmt::format("XDG_RUNTIME_DIR={} is another user's (you, {}, may not enter it): {}", value, you,
                       fix_for(me));
  case RuntimeDirFacts::State::Missing:
    if (facts.creatable) return std::nullopt;
    return fmt::format("XDG_RUNTIME_DIR={} does not exist and you, {}, may not create it: {}", value, you,
                       fix_for(me));
  }
  return std::nullopt;
}

std::optional<std::string> foreign_runtime_dir(const Getenv& env, uid_t me) {
  const auto value = env("XDG_RUNTIME_DIR");
  if (!value || value->empty() || value->front() != '/') return std::nullopt;
  RuntimeDirFacts facts;
  struct stat st {};
  if (::stat(value->c_str(), &st) == 0) {
    facts.owner = st.st_uid;
  } else if (errno == EACCES || errno == EPERM) {
    facts.state = RuntimeDirFacts::State::Forbidden;
  } else if (errno == ENOENT) {
    facts.state = RuntimeDirFacts::State::Missing;
    std::filesystem::path up = std::filesystem::path(*value).parent_path();
    while (::stat(up.c_str(), &st) != 0 && errno == ENOENT && up != up.parent_path()) up = up.parent_path();
    facts.creatable = ::access(up.c_str(), W_OK | X_OK) == 0;
  } else {
    return std::nullopt;  // no verdict: creating or connecting reports it
  }
  return judge_runtime_dir(*value, facts, me);
}

}  // namespace supd::common
