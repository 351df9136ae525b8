#include "config/command_check.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "common/path_search.hpp"

namespace supd::config {
namespace {

namespace fs = std::filesystem;

// Arguments an interpreter takes as its program: looked for even without a '/' in them.
bool looks_like_script(std::string_view arg) {
  constexpr std::array<std::string_view, 11> kExtensions{".py", ".sh", ".js", ".mjs", ".cjs", ".rb",
                                                         ".pl", ".php", ".lua", ".jar", ".ts"};
  return std::any_of(kExtensions.begin(), kExtensions.end(),
                     [&](std::string_view ext) { return arg.size() > ext.size() && arg.ends_with(ext); });
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// The PATH the job's exec searches: its own environment's PATH if it sets one, else supd's.
std::string search_path(const JobSpec& spec, const common::Getenv& env) {
  for (const auto& [key, value] : spec.environment)
    if (key == "PATH") return value;
  return env("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
}

std::string where(const JobSpec& spec) {
  return fmt::format("{} (the job's directory, where relative paths start; give the full path or set "
                     "directory = \"...\")",
                     spec.directory.string());
}

}  // namespace

std::vector<std::string> missing_command_files(const JobSpec& spec, const common::Getenv& env) {
  std::vector<std::string> out;
  if (spec.shell || spec.argv.empty()) return out;
  const std::string& program = spec.argv.front();
  if (program.find('/') != std::string::npos) {
    const fs::path p = fs::path(program).is_absolute() ? fs::path(program) : spec.directory / program;
    if (!present(p))
      out.push_back(fs::path(program).is_absolute() ? fmt::format("program {} does not exist", program)
                                                    : fmt::format("program {} is not in {}", program, where(spec)));
  } else if (!common::find_in_path(program, search_path(spec, env))) {
    out.push_back(fmt::format("program {} is not on PATH; give its full path", program));
  }
  for (std::size_t i = 1; i < spec.argv.size(); ++i) {
    const std::string& arg = spec.argv[i];
    if (arg.empty() || arg.front() == '-' || arg.find('=') != std::string::npos || !looks_like_script(arg)) continue;
    const fs::path p(arg);
    if (!present(p.is_absolute() ? p : spec.directory / p))
      out.push_back(p.is_absolute() ? fmt::format("{} does not exist", arg)
                                    : fmt::format("{} is not in {}", arg, where(spec)));
  }
  return out;
}

}  // namespace supd::config
