#include "config/persist.hpp"

#include <sstream>

#include <toml++/toml.h>

namespace supd::config {
namespace {

bool bare_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

std::string formatted(const toml::node& node) {
  std::ostringstream os;
  node.visit([&os](const auto& n) { os << toml::toml_formatter{n}; });
  return os.str();
}

}  // namespace

std::string job_table(const PersistedJob& job) {
  toml::table body;
  toml::array command;
  for (const auto& word : job.argv) command.push_back(word);
  body.insert("command", std::move(command));
  body.insert("directory", job.directory);
  if (!job.environment.empty()) {
    toml::table env;
    for (const auto& [k, v] : job.environment) env.insert(k, v);
    env.is_inline(true);  // environment = { K = 'v' }, not a [jobs.NAME.environment] table
    body.insert("environment", std::move(env));
  }
  if (job.restart) body.insert("restart", *job.restart);
  if (job.stdout_file) body.insert("stdout", *job.stdout_file);

  const std::string key = bare_key(job.name) ? job.name : formatted(toml::value<std::string>(job.name));
  return "[jobs." + key + "]\n" + formatted(body) + "\n";
}

std::string append_job(std::string_view existing, const PersistedJob& job) {
  std::string out(existing);
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!out.empty()) out += '\n';
  return out + job_table(job);
}

}  // namespace supd::config
