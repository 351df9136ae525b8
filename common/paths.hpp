// Where supd's files live: flag > environment (SUPD_*) > XDG > default, one resolution
// shared by supd and supctl.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace supd::common {

using Getenv = std::function<std::optional<std::string>(std::string_view name)>;
std::optional<std::string> system_getenv(std::string_view name);  // unset or empty -> nullopt

struct PathFlags {  // values given on the command line, if any
  std::optional<std::string> config;
  std::optional<std::string> socket;
  std::optional<std::string> log_dir;
};

struct Paths {
  std::filesystem::path config;       // $XDG_CONFIG_HOME/supd/supd.toml
  std::filesystem::path socket;       // $XDG_RUNTIME_DIR/supd/supd.sock
  std::filesystem::path log_dir;      // $XDG_STATE_HOME/supd/logs
  std::filesystem::path state_dir;    // $XDG_STATE_HOME/supd (supd.log of --detach)
  bool config_explicit = false;       // from --config or SUPD_CONFIG
  bool log_dir_explicit = false;      // from --log-dir or SUPD_LOG_DIR (beats [supd] log_dir)
  bool socket_dir_is_default = false; // the socket's directory is supd's own runtime dir
};

// Fallbacks when XDG variables are unset: HOME/.config, HOME/.local/state, and for the
// runtime dir /run/user/<uid> if it exists, else /tmp/supd-<uid>. Relative flag values are
// made absolute against the current directory; "~/" expands to HOME.
Paths resolve_paths(const PathFlags& flags, const Getenv& env = system_getenv);
Paths resolve_paths(const PathFlags& flags, const Getenv& env, uid_t uid);

// The one directory rule (a job's directory, `supctl run`'s, the log dir): lexically normal,
// without a trailing slash, so "/a/b/" and "/a/./b" compare equal to "/a/b".
std::filesystem::path normal_dir(const std::filesystem::path& dir);

// "~" and "~/x" -> HOME-based; anything else unchanged.
std::filesystem::path expand_home(std::string_view path, const Getenv& env = system_getenv);

}  // namespace supd::common
