#include "config/instances.hpp"

#include <map>

#include <fmt/format.h>

namespace supd::config::detail {
namespace {

// Calls `each` for every piece of text a copy's `%i` may appear in.
template <class F>
void for_each_text(JobSpec& s, F&& each) {
  for (auto& word : s.argv) each(word);
  for (auto& [name, value] : s.environment) each(value);
  each(s.stdout_file);
  if (s.stderr_file) each(*s.stderr_file);
  if (s.health) {
    for (auto& word : s.health->exec) each(word);
    each(s.health->target);
  }
}

void refuse_index(const BuiltJob& j, Errors& errors) {
  const auto refuse = [&](Pos pos, std::string_view key) {
    errors.add(pos, fmt::format("{}: %i is the instance number, but job {} has no instances (add instances = N, "
                                "or write %%i for a literal %i)", key, quote(j.spec.name)));
  };
  const auto& s = j.spec;
  if (std::any_of(s.argv.begin(), s.argv.end(), has_index)) refuse(j.command_pos, "command");
  for (const auto& [name, value] : s.environment)
    if (has_index(value)) refuse(j.command_pos, fmt::format("environment.{}", name));
  if (has_index(s.stdout_file)) refuse(j.stdout_pos, "stdout");
  if (s.stderr_file && has_index(*s.stderr_file)) refuse(j.stderr_pos, "stderr");
  if (s.health && (has_index(s.health->target) || std::any_of(s.health->exec.begin(), s.health->exec.end(), has_index)))
    refuse(j.health_pos, "health");
}

}  // namespace

std::string with_index(std::string_view text, long index) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 1 < text.size() && (text[i + 1] == 'i' || text[i + 1] == '%')) {
      out += text[i + 1] == 'i' ? std::to_string(index) : "%";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool has_index(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (text[i + 1] == 'i') return true;
    ++i;  // "%%": the second '%' starts nothing
  }
  return false;
}

void expand_instances(std::vector<BuiltJob>& jobs, Errors& errors) {
  std::vector<BuiltJob> out;
  std::map<std::string, long, std::less<>> copies;  // NAME -> N, for dependencies on NAME
  for (auto& j : jobs) {
    if (!j.instances) {
      refuse_index(j, errors);
      out.push_back(std::move(j));
      continue;
    }
    const std::string base = j.spec.name;
    copies[base] = *j.instances;
    const bool default_stdout = j.stdout_defaulted;
    for (long i = 0; i < *j.instances; ++i) {
      BuiltJob copy = j;
      JobSpec& s = copy.spec;
      s.name = fmt::format("{}@{}", base, i);
      s.instance_of = base;
      for_each_text(s, [i](std::string& text) { text = with_index(text, i); });
      if (default_stdout) s.stdout_file = s.name + ".out";  // each copy its own file, like a job's own
      out.push_back(std::move(copy));
    }
  }
  for (auto& j : out) {
    std::vector<Dependency> deps;
    std::vector<Pos> positions;
    for (std::size_t k = 0; k < j.spec.depends_on.size(); ++k) {
      const auto& d = j.spec.depends_on[k];
      const Pos pos = k < j.depends_pos.size() ? j.depends_pos[k] : Pos{};
      const auto it = copies.find(d.job);
      const long n = it == copies.end() ? 0 : it->second;
      if (n == 0) {
        deps.push_back(d);
        positions.push_back(pos);
      }
      for (long i = 0; i < n; ++i) {
        deps.push_back({fmt::format("{}@{}", d.job, i), d.condition});
        positions.push_back(pos);
      }
    }
    j.spec.depends_on = std::move(deps);
    j.depends_pos = std::move(positions);
  }
  jobs = std::move(out);
}

}  // namespace supd::config::detail
