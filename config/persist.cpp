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

// A key as TOML reads it back: bare when it can be, else quoted the way a string value is.
// (toml++ 3.3 prints a key holding ' between single quotes, which no parser reads back.)
std::string key_text(std::string_view key) {
  return bare_key(key) ? std::string(key) : formatted(toml::value<std::string>(std::string(key)));
}

}  // namespace

std::string job_table(const PersistedJob& job) {
  toml::table body;
  toml::array command;
  for (const auto& word : job.argv) command.push_back(word);
  body.insert("command", std::move(command));
  body.insert("directory", job.directory);
  if (job.restart) body.insert("restart", *job.restart);
  if (job.stdout_file) body.insert("stdout", *job.stdout_file);

  std::string text = "[jobs." + key_text(job.name) + "]\n" + formatted(body) + "\n";
  if (!job.environment.empty()) {  // environment = { K = 'v' }, not a [jobs.NAME.environment] table
    std::string env;
    for (const auto& [k, v] : job.environment)
      env += (env.empty() ? "" : ", ") + key_text(k) + " = " + formatted(toml::value<std::string>(v));
    text += "environment = { " + env + " }\n";
  }
  return text;
}

std::string append_job(std::string_view existing, const PersistedJob& job) {
  std::string out(existing);
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!out.empty()) out += '\n';
  return out + job_table(job);
}

}  // namespace supd::config
