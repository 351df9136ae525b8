#include "config/env_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/fd.hpp"
#include "common/names.hpp"
#include "common/sys_error.hpp"

namespace supd::config {
namespace {

constexpr std::size_t kMaxEnvFileBytes = 1 << 20;

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// After a closing quote: nothing, blanks, or a comment.
bool only_comment(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#';
}

// The value part of one line; nullopt (and `problem`) when it cannot be read.
std::optional<std::string> read_value(std::string_view v, std::string& problem) {
  v = trim(v);
  if (v.empty()) return std::string();
  const char quote = v.front();
  if (quote == '\'') {
    const auto end = v.find('\'', 1);
    if (end == std::string_view::npos) {
      problem = "unterminated ' quote (a value may not span lines)";
      return std::nullopt;
    }
    if (!only_comment(v.substr(end + 1))) {
      problem = "text after the closing quote";
      return std::nullopt;
    }
    return std::string(v.substr(1, end - 1));
  }
  if (quote == '"') {
    std::string out;
    for (std::size_t i = 1; i < v.size(); ++i) {
      const char c = v[i];
      if (c == '"') {
        if (!only_comment(v.substr(i + 1))) {
          problem = "text after the closing quote";
          return std::nullopt;
        }
        return out;
      }
      if (c == '\\' && i + 1 < v.size()) {
        const char n = v[++i];
        switch (n) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '"':
        case '\\':
        case '$': out += n; break;
        default: out += '\\', out += n;  // unknown escapes stay as written
        }
        continue;
      }
      out += c;
    }
    problem = "unterminated \" quote (a value may not span lines)";
    return std::nullopt;
  }
  // Unquoted: a comment starts at a '#' after a blank.
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] == '#' && blank(v[i - 1])) return std::string(trim(v.substr(0, i)));
  return std::string(v);
}

}  // namespace

std::map<std::string, std::string> parse_env_text(std::string_view text, std::string_view path,
                                                  std::vector<std::string>& errors) {
  std::map<std::string, std::string> out;
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto bad = [&](const std::string& message) { errors.push_back(fmt::format("{}:{}: {}", path, number, message)); };
    if (line.find('\0') != std::string_view::npos) {
      bad("a NUL byte; an env file is text");
      continue;
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export") && line.size() > 6 && blank(line[6])) line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      bad(fmt::format("expected KEY=VALUE, got '{}'", line.substr(0, 60)));
      continue;
    }
    const std::string key(trim(line.substr(0, eq)));
    if (key.find_first_of(" \t") != std::string::npos) {
      bad(fmt::format("expected KEY=VALUE, got '{}'", line.substr(0, 60)));
      continue;
    }
    if (const auto problem = common::environment_name_problem(key)) {
      bad(fmt::format("invalid variable name '{}' ({})", key.substr(0, 60), *problem));
      continue;
    }
    std::string problem;
    auto value = read_value(line.substr(eq + 1), problem);
    if (!value) {
      bad(fmt::format("{}: {}", key, problem));
      continue;
    }
    out[key] = std::move(*value);
  }
  return out;
}

EnvFileEntry env_file_entry(std::string_view entry) {
  if (entry.starts_with('-')) return {std::string(entry.substr(1)), true};
  return {std::string(entry), false};
}

std::map<std::string, std::string> read_env_files(const std::vector<std::string>& entries,
                                                  std::vector<std::string>& errors) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    const auto entry = env_file_entry(e);
    // Non-blocking, and a regular file only: a FIFO named here must not hang supd's loop at a start.
    common::UniqueFd fd(::open(entry.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat st {};
    if (fd && (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))) {
      errors.push_back(fmt::format("{}: not a regular file; name a file of KEY=VALUE lines", entry.path));
      continue;
    }
    if (!fd) {
      if (errno == ENOENT && entry.optional) continue;
      errors.push_back(errno == ENOENT
                           ? fmt::format("{}: no such file (write '-{}' in env_file if it may be missing)", entry.path,
                                         entry.path)
                           : fmt::format("{}: {}", entry.path, common::errno_message(errno)));
      continue;
    }
    std::string text;
    char buf[16384];
    ssize_t n;
    bool failed = false;
    while ((n = ::read(fd.get(), buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || text.size() + static_cast<std::size_t>(n) > kMaxEnvFileBytes) {
        errors.push_back(n < 0 ? fmt::format("{}: {}", entry.path, common::errno_message(errno))
                               : fmt::format("{}: larger than 1 MiB; an env file holds variables", entry.path));
        failed = true;
        break;
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    if (failed) continue;
    for (auto& [k, v] : parse_env_text(text, entry.path, errors)) out[k] = std::move(v);
  }
  return out;
}

}  // namespace supd::config
