#include "common/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

namespace supd::common {
namespace fs = std::filesystem;
namespace {

// An injected Getenv may hand back "": treat it as unset, as system_getenv does.
std::optional<std::string> get(const Getenv& env, std::string_view name) {
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

// $HOME, else the passwd entry (systemd services and `env -i` may run without HOME).
std::optional<std::string> home_dir(const Getenv& env, uid_t uid) {
  if (auto home = get(env, "HOME")) return home;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir &&
      found->pw_dir[0] != '\0')
    return std::string(found->pw_dir);
  return std::nullopt;
}

fs::path expand_home(std::string_view path, const Getenv& env, uid_t uid) {
  if (path != "~" && path.substr(0, 2) != "~/") return fs::path(path);
  const auto home = home_dir(env, uid);
  if (!home) return fs::path(path);  // nothing better to offer; absolute() makes it cwd-based
  if (path == "~") return fs::path(*home);
  return fs::path(*home) / path.substr(2);
}

// A user-given path: "~/" expanded, then made absolute against the current directory, so
// supd and supctl agree on it whatever directory each later runs in.
fs::path user_path(std::string_view value, const Getenv& env, uid_t uid) {
  fs::path p = expand_home(value, env, uid);
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return ec ? p : abs.lexically_normal();
}

// Flag beats environment; nullopt when neither is given.
std::optional<fs::path> override_path(const std::optional<std::string>& flag,
                                      std::string_view env_name, const Getenv& env, uid_t uid) {
  if (flag && !flag->empty()) return user_path(*flag, env, uid);
  if (auto v = get(env, env_name)) return user_path(*v, env, uid);
  return std::nullopt;
}

// The XDG spec says a relative path in an XDG_* variable is invalid and must be ignored.
std::optional<fs::path> xdg_dir(std::string_view name, const Getenv& env) {
  auto v = get(env, name);
  if (!v || (*v)[0] != '/') return std::nullopt;
  return fs::path(*v);
}

fs::path home_or_root(const Getenv& env, uid_t uid) {
  return fs::path(home_dir(env, uid).value_or("/"));
}

fs::path default_runtime_dir(const Getenv& env, uid_t uid) {
  if (auto xdg = xdg_dir("XDG_RUNTIME_DIR", env)) return *xdg / "supd";
  const fs::path run_user = fs::path("/run/user") / std::to_string(uid);
  std::error_code ec;
  if (fs::is_directory(run_user, ec)) return run_user / "supd";
  return fs::path("/tmp") / ("supd-" + std::to_string(uid));
}

}  // namespace

std::optional<std::string> system_getenv(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v || *v == '\0') return std::nullopt;
  return std::string(v);
}

fs::path normal_dir(const fs::path& dir) {
  fs::path out = dir.lexically_normal();
  if (out.has_relative_path() && !out.has_filename()) out = out.parent_path();  // "/a/b/" -> "/a/b"
  return out;
}

fs::path expand_home(std::string_view path, const Getenv& env) {
  return expand_home(path, env, ::getuid());
}

Paths resolve_paths(const PathFlags& flags, const Getenv& env) {
  return resolve_paths(flags, env, ::getuid());
}

Paths resolve_paths(const PathFlags& flags, const Getenv& env, uid_t uid) {
  Paths p;
  const auto config_home = xdg_dir("XDG_CONFIG_HOME", env);
  const auto state_home = xdg_dir("XDG_STATE_HOME", env);
  p.state_dir = (state_home ? *state_home : home_or_root(env, uid) / ".local" / "state") / "supd";

  if (auto c = override_path(flags.config, "SUPD_CONFIG", env, uid)) {
    p.config = *c;
    p.config_explicit = true;
  } else {
    p.config = (config_home ? *config_home : home_or_root(env, uid) / ".config") / "supd" / "supd.toml";
  }

  if (auto l = override_path(flags.log_dir, "SUPD_LOG_DIR", env, uid)) {
    p.log_dir = *l;
    p.log_dir_explicit = true;
  } else {
    p.log_dir = p.state_dir / "logs";
  }

  if (auto s = override_path(flags.socket, "SUPD_SOCKET", env, uid)) {
    p.socket = *s;
  } else {
    p.socket = default_runtime_dir(env, uid) / "supd.sock";
    p.socket_dir_is_default = true;
  }
  return p;
}

}  // namespace supd::common
