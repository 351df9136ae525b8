// `supctl persist`: the TOML text of an ad-hoc job's [jobs.NAME] table, and the config file's
// new text with that table appended (the old text kept byte for byte as its prefix).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace supd::config {

struct PersistedJob {
  std::string name;
  std::vector<std::string> argv;
  std::string directory;
  std::map<std::string, std::string> environment;
  std::optional<std::string> restart;      // "always" | "on-failure" | "never"
  std::optional<std::string> stdout_file;
};

// "[jobs.web]\ncommand = [ 'python3', '-m', 'http.server' ]\ndirectory = '/srv'\n..." with
// every string escaped by toml++ (a name with '.' is quoted: [jobs."web.1"]).
std::string job_table(const PersistedJob& job);

// existing + (a newline if it lacks one) + a blank line + job_table(job).
std::string append_job(std::string_view existing, const PersistedJob& job);

}  // namespace supd::config
