// `env_file`: KEY=VALUE files read at each start of a job (DESIGN.md, "Process environment and
// isolation"), in the syntax users of systemd's EnvironmentFile= and of .env files expect:
//   - blank lines and lines whose first non-blank is `#` are skipped; `export KEY=value` is fine;
//   - KEY is a variable name (common/names.hpp's rule);
//   - `KEY=value`: blanks around the value trimmed, and a ` #comment` after a blank dropped;
//   - `KEY="value"`: escapes \" \\ \n \t \$; `KEY='value'`: literal; after the closing quote
//     only blanks or a comment; no value spans lines;
//   - no variable expansion ($HOME stays "$HOME"), as in systemd;
//   - CRLF line ends are fine; a NUL byte, or a file over 1 MiB, is an error.
// A later line wins over an earlier one, a later file over an earlier file.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace supd::config {

// One file's text; each problem is "PATH:LINE: message".
std::map<std::string, std::string> parse_env_text(std::string_view text, std::string_view path,
                                                  std::vector<std::string>& errors);

// An entry as the spec keeps it: the path, and whether a leading '-' made it optional.
struct EnvFileEntry {
  std::string path;
  bool optional = false;
};
EnvFileEntry env_file_entry(std::string_view entry);

// Every entry's file in order; a missing file without '-' or an unreadable one is an error.
std::map<std::string, std::string> read_env_files(const std::vector<std::string>& entries,
                                                  std::vector<std::string>& errors);

}  // namespace supd::config
