// TOML -> Config, collecting every problem as "file:line:col: message".
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/paths.hpp"
#include "config/job_spec.hpp"

namespace supd::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (unreadable file)
  int column = 0;
  std::string message;
  bool operator==(const ConfigError&) const = default;
};

// "supd.toml:4:15: stop_signal: unknown signal \"TREM\"" (or "supd.toml: message" without position).
std::string to_string(const ConfigError& error);

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // all of them, in file order
  // Valid, but likely to fail when the job starts: a relative script that is not in the
  // job's directory, a program not on PATH. "warning: " leads each message.
  std::vector<ConfigError> warnings;
};

struct LoadOptions {
  std::filesystem::path base_dir;  // relative `directory` values resolve here (the config's dir)
  common::Getenv env = common::system_getenv;  // for "~" expansion
};

LoadResult parse_config(std::string_view text, std::string_view file_name, const LoadOptions& options);

// A config names the commands supd runs: one that others can write is a way to run code as
// supd's user. Refuse means a file writable by group or others, or owned by a user other than
// supd's own or root, is an error; Allow is the explicit opt-out (supd --allow-insecure-config).
// Root is not exempt by itself.
enum class ModeCheck { Refuse, Allow };

// Why a config file with this owner and mode must not be trusted, as one line that names the
// fix (printed after "FILE: " like every ConfigError); nullopt when it is fine. Pure, for the tests: load_config passes what fstat says.
std::optional<std::string> insecure_file_problem(std::string_view file, unsigned mode, unsigned owner,
                                                 unsigned supd_uid);
// The same for the directory holding the config: whoever may write it can replace the file.
// A sticky directory (/tmp) is fine: others cannot rename or remove a file they do not own.
std::optional<std::string> insecure_dir_problem(std::string_view dir, unsigned mode, unsigned owner,
                                                unsigned supd_uid);

// Reads the file (refusing FIFOs, directories, devices and files over 16 MiB with a clear
// error, never hanging; and with ModeCheck::Refuse a file others may write) and parses it with
// base_dir = the file's directory.
LoadResult load_config(const std::filesystem::path& file, common::Getenv env = common::system_getenv,
                       ModeCheck check = ModeCheck::Refuse);

}  // namespace supd::config
