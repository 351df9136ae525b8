#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "common/paths.hpp"

using namespace supd::common;
namespace fs = std::filesystem;

namespace {

// An environment that is exactly the map given, nothing from the real one.
Getenv fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

PathFlags flags(std::optional<std::string> config, std::optional<std::string> socket,
                std::optional<std::string> log_dir) {
  PathFlags f;
  f.config = std::move(config);
  f.socket = std::move(socket);
  f.log_dir = std::move(log_dir);
  return f;
}

constexpr uid_t kNoSuchUid = 3999999;  // no /run/user/<uid> for this one

}  // namespace

TEST_CASE("defaults follow XDG variables", "[paths]") {
  const auto p = resolve_paths({}, fake_env({{"HOME", "/home/u"},
                                             {"XDG_CONFIG_HOME", "/cfg"},
                                             {"XDG_STATE_HOME", "/state"},
                                             {"XDG_RUNTIME_DIR", "/run/user/1000"}}),
                               kNoSuchUid);
  CHECK(p.config == "/cfg/supd/supd.toml");
  CHECK(p.state_dir == "/state/supd");
  CHECK(p.log_dir == "/state/supd/logs");
  CHECK(p.socket == "/run/user/1000/supd/supd.sock");
  CHECK_FALSE(p.config_explicit);
  CHECK_FALSE(p.log_dir_explicit);
  CHECK(p.socket_dir_is_default);
}

TEST_CASE("without XDG variables, HOME and /tmp are the fallbacks", "[paths]") {
  const auto p = resolve_paths({}, fake_env({{"HOME", "/home/u"}}), kNoSuchUid);
  CHECK(p.config == "/home/u/.config/supd/supd.toml");
  CHECK(p.state_dir == "/home/u/.local/state/supd");
  CHECK(p.log_dir == "/home/u/.local/state/supd/logs");
  CHECK(p.socket == fs::path("/tmp/supd-" + std::to_string(kNoSuchUid)) / "supd.sock");
  CHECK(p.socket_dir_is_default);
}

TEST_CASE("without XDG_RUNTIME_DIR, /run/user/<uid> is used when it exists", "[paths]") {
  const uid_t uid = ::getuid();
  const fs::path run_user = fs::path("/run/user") / std::to_string(uid);
  const auto p = resolve_paths({}, fake_env({{"HOME", "/home/u"}}), uid);
  if (fs::is_directory(run_user))
    CHECK(p.socket == run_user / "supd" / "supd.sock");
  else
    CHECK(p.socket == fs::path("/tmp/supd-" + std::to_string(uid)) / "supd.sock");
  CHECK(p.socket_dir_is_default);
}

TEST_CASE("relative XDG values are ignored, as the spec says", "[paths]") {
  const auto p = resolve_paths({}, fake_env({{"HOME", "/home/u"},
                                             {"XDG_CONFIG_HOME", "cfg"},
                                             {"XDG_STATE_HOME", "state"},
                                             {"XDG_RUNTIME_DIR", "run"}}),
                               kNoSuchUid);
  CHECK(p.config == "/home/u/.config/supd/supd.toml");
  CHECK(p.state_dir == "/home/u/.local/state/supd");
  CHECK(p.socket.parent_path() == fs::path("/tmp/supd-" + std::to_string(kNoSuchUid)));
}

TEST_CASE("environment beats XDG, and flags beat the environment", "[paths]") {
  const auto env = fake_env({{"HOME", "/home/u"},
                             {"XDG_CONFIG_HOME", "/cfg"},
                             {"XDG_STATE_HOME", "/state"},
                             {"XDG_RUNTIME_DIR", "/run/user/1000"},
                             {"SUPD_CONFIG", "/env/supd.toml"},
                             {"SUPD_SOCKET", "/env/supd.sock"},
                             {"SUPD_LOG_DIR", "/env/logs"}});
  const auto from_env = resolve_paths({}, env, kNoSuchUid);
  CHECK(from_env.config == "/env/supd.toml");
  CHECK(from_env.socket == "/env/supd.sock");
  CHECK(from_env.log_dir == "/env/logs");
  CHECK(from_env.state_dir == "/state/supd");  // no override for the state dir
  CHECK(from_env.config_explicit);
  CHECK(from_env.log_dir_explicit);
  CHECK_FALSE(from_env.socket_dir_is_default);

  const auto from_flags =
      resolve_paths(flags("/flag/supd.toml", "/flag/supd.sock", "/flag/logs"),
                    env, kNoSuchUid);
  CHECK(from_flags.config == "/flag/supd.toml");
  CHECK(from_flags.socket == "/flag/supd.sock");
  CHECK(from_flags.log_dir == "/flag/logs");
  CHECK(from_flags.config_explicit);
  CHECK(from_flags.log_dir_explicit);
  CHECK_FALSE(from_flags.socket_dir_is_default);

  // One flag alone overrides only its own path.
  const auto mixed = resolve_paths(flags({}, "/flag/supd.sock", {}), env, kNoSuchUid);
  CHECK(mixed.socket == "/flag/supd.sock");
  CHECK(mixed.config == "/env/supd.toml");
}

TEST_CASE("empty values count as unset", "[paths]") {
  const auto p = resolve_paths(flags("", {}, {}), fake_env({{"HOME", "/home/u"}, {"SUPD_SOCKET", ""},
                                                         {"XDG_CONFIG_HOME", ""}}),
                               kNoSuchUid);
  CHECK(p.config == "/home/u/.config/supd/supd.toml");
  CHECK_FALSE(p.config_explicit);
  CHECK(p.socket_dir_is_default);
}

TEST_CASE("relative flag and env values become absolute against the cwd", "[paths]") {
  const fs::path cwd = fs::current_path();
  const auto p = resolve_paths(flags("conf/supd.toml", {}, "./logs"),
                               fake_env({{"HOME", "/home/u"}, {"SUPD_SOCKET", "s.sock"}}), kNoSuchUid);
  CHECK(p.config == (cwd / "conf/supd.toml").lexically_normal());
  CHECK(p.log_dir == (cwd / "logs").lexically_normal());
  CHECK(p.socket == (cwd / "s.sock").lexically_normal());
  CHECK(p.config.is_absolute());
}

TEST_CASE("~ expands to HOME in flags, env values and expand_home", "[paths]") {
  const auto env = fake_env({{"HOME", "/home/u"}, {"SUPD_LOG_DIR", "~/logs"}});
  const auto p = resolve_paths(flags("~/supd.toml", "~", {}), env, kNoSuchUid);
  CHECK(p.config == "/home/u/supd.toml");
  CHECK(p.log_dir == "/home/u/logs");
  CHECK(p.socket == "/home/u");

  CHECK(expand_home("~", env) == "/home/u");
  CHECK(expand_home("~/a/b", env) == "/home/u/a/b");
  CHECK(expand_home("/abs/~/x", env) == "/abs/~/x");
  CHECK(expand_home("~other/x", env) == "~other/x");  // ~user is not supported: left alone
  CHECK(expand_home("rel", env) == "rel");
}

TEST_CASE("without HOME the passwd entry gives the home directory", "[paths]") {
  const auto p = resolve_paths({}, fake_env({}), ::getuid());
  CHECK(p.config.is_absolute());
  CHECK(p.config.filename() == "supd.toml");
  CHECK(expand_home("~/x", fake_env({})).is_absolute());
}

TEST_CASE("system_getenv treats unset and empty alike", "[paths]") {
  ::setenv("SUPD_TEST_EMPTY", "", 1);
  ::setenv("SUPD_TEST_SET", "v", 1);
  CHECK_FALSE(system_getenv("SUPD_TEST_EMPTY"));
  CHECK(system_getenv("SUPD_TEST_SET") == "v");
  CHECK_FALSE(system_getenv("SUPD_TEST_SURELY_UNSET_12345"));
  ::unsetenv("SUPD_TEST_EMPTY");
  ::unsetenv("SUPD_TEST_SET");
}
