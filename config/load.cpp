// TOML text -> Config, every problem collected as file:line:col; and reading the file itself
// without ever blocking on a FIFO or swallowing a device.
#include "config/load.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <system_error>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/fd.hpp"
#include "common/names.hpp"
#include "common/protocol.hpp"
#include "common/sys_error.hpp"
#include "config/command_check.hpp"
#include "config/job_fields.hpp"
#include "config/instances.hpp"
#include "config/order_check.hpp"
#include "config/parse_document.hpp"
#include "config/toml_reader.hpp"

namespace supd::config {
namespace {

namespace fs = std::filesystem;
using detail::Errors;
using detail::Pos;
using detail::quote;

constexpr std::string_view kTopLevelKeys[] = {"supd", "defaults", "jobs"};
constexpr std::string_view kSupdKeys[] = {"log_dir"};
constexpr std::size_t kMaxConfigBytes = 16u << 20;

// Why a job name is refused, in words a user can act on; nullopt when it is valid.
std::optional<std::string> job_name_problem(std::string_view name) {
  if (protocol::is_valid_job_name(name)) return std::nullopt;
  if (name.empty()) return "a job needs a name";
  if (name == "." || name == "..") return std::string(R"("." and ".." are reserved)");
  if (name.size() > 64) return fmt::format("at most 64 bytes, got {}", name.size());
  if (name.front() == '-') return std::string("must not start with '-'");
  return std::string("use letters, digits, '_', '.' and '-'");
}

fs::path absolute_base(const fs::path& base) {
  std::error_code ec;
  if (base.empty()) {
    auto cwd = fs::current_path(ec);
    return ec ? fs::path("/") : cwd;
  }
  if (base.is_absolute()) return base.lexically_normal();
  auto abs = fs::absolute(base, ec);
  return ec ? base : abs.lexically_normal();
}

void read_supd_table(const toml::node& node, Config& config, detail::ReadContext& ctx) {
  const auto* t = node.as_table();
  if (!t) {
    ctx.errors.add(node, fmt::format("supd: expected a table ([supd]), got {}", detail::type_name(node)));
    return;
  }
  detail::check_known_keys(*t, kSupdKeys, ctx.errors);
  if (const auto* log_dir = t->get("log_dir")) config.supd.log_dir = detail::read_directory(*log_dir, "log_dir", ctx);
}

void check_top_level_keys(const toml::table& root, const detail::Document& doc, Errors& errors) {
  for (const auto& [key, value] : root) {
    const std::string_view name = key.str();
    if (std::find(std::begin(kTopLevelKeys), std::end(kTopLevelKeys), name) != std::end(kTopLevelKeys)) continue;
    if (doc.is_duplicate_key(name)) continue;
    std::string message = fmt::format("unknown key {}", quote(name));
    const bool job_key = std::find(std::begin(detail::kJobKeys), std::end(detail::kJobKeys), name) !=
                         std::end(detail::kJobKeys);
    if (const auto guess = detail::closest_key(name, kTopLevelKeys))
      message += fmt::format(" (did you mean \"{}\"?)", *guess);
    else if (job_key)
      message += " (job settings go under [jobs.NAME] or [defaults])";
    else if (name == "log_dir")
      message += " (it belongs under [supd])";
    else
      message += " (the top level has [supd], [defaults] and [jobs.NAME])";
    errors.add(detail::pos_of(key), std::move(message));
  }
}

struct JobEntry {
  Pos pos;
  std::string name;
  const toml::node* node;
};

// A file two jobs write to would interleave without O_APPEND and rotate twice.
void check_output_files(const std::vector<detail::BuiltJob>& jobs, Errors& errors) {
  std::map<std::string, const std::string*> writers;  // file -> job name
  auto claim = [&](const std::string& file, const std::string& job, Pos pos, std::string_view key) {
    const auto [it, inserted] = writers.emplace(file, &job);
    if (!inserted)
      errors.add(pos, fmt::format("{}: {} is also written by job {}", key, quote(file), quote(*it->second)));
  };
  for (const auto& j : jobs) {
    claim(j.spec.stdout_file, j.spec.name, j.stdout_pos, "stdout");
    if (j.spec.stderr_file) claim(*j.spec.stderr_file, j.spec.name, j.stderr_pos, "stderr");
  }
}

void read_jobs(const toml::node& jobs_node, const detail::JobFields& defaults, Config& config,
               detail::ReadContext& ctx) {
  const auto* jobs = jobs_node.as_table();
  if (!jobs) {
    ctx.errors.add(jobs_node, fmt::format("jobs: expected a table of jobs ([jobs.NAME]), got {}",
                                          detail::type_name(jobs_node)));
    return;
  }
  // toml::table is a sorted map; jobs keep the order the file defines them in.
  std::vector<JobEntry> entries;
  entries.reserve(jobs->size());
  for (const auto& [key, node] : *jobs) {
    Pos pos = detail::pos_of(node);
    if (pos.line == 0) pos = detail::pos_of(key);
    entries.push_back({pos, std::string(key.str()), &node});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const JobEntry& a, const JobEntry& b) {
    return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
  });

  std::vector<detail::BuiltJob> built;
  built.reserve(entries.size());
  for (auto& entry : entries) {
    const bool reserved = common::is_reserved_job_name(entry.name);
    const bool named_well = !job_name_problem(entry.name) && !reserved;
    if (reserved)
      ctx.errors.add(entry.pos, common::reserved_job_name_message(entry.name));
    else if (!named_well)
      ctx.errors.add(entry.pos, fmt::format("job name {}: {}", quote(entry.name), *job_name_problem(entry.name)));
    const auto* table = entry.node->as_table();
    if (!table) {
      ctx.errors.add(entry.pos, fmt::format("job {}: expected a table ([jobs.{}]), got {}", quote(entry.name),
                                            named_well ? entry.name : quote(entry.name),
                                            detail::type_name(*entry.node)));
      continue;
    }
    auto fields = detail::read_job_fields(*table, ctx);
    auto job = detail::build_job(std::move(entry.name), entry.pos, defaults, fields, ctx);
    if (named_well) built.push_back(std::move(job));
  }
  detail::expand_instances(built, ctx.errors);
  check_output_files(built, ctx.errors);
  detail::check_order(built, ctx.errors);
  if (ctx.warnings != nullptr)
    for (const auto& j : built)
      for (const auto& missing : missing_command_files(j.spec, ctx.env))
        ctx.warnings->add(j.command_pos, fmt::format("warning: job {}: {}", j.spec.name, missing));
  config.jobs.reserve(built.size());
  for (auto& j : built) config.jobs.push_back(std::move(j.spec));
}

// The keys under a table header that was a duplicate are still checked, so a copy-pasted
// [jobs.amsa] with a typo inside reports both problems.
void check_duplicate_sections(const toml::table& root, const detail::Document& doc, detail::ReadContext& ctx) {
  for (const auto& d : doc.duplicates) {
    const auto* table = root.get_as<toml::table>(d.key);
    if (!table) continue;
    const bool job = d.path.size() == 2 && d.path[0] == "jobs";
    if (job || (d.path.size() == 1 && d.path[0] == "defaults")) {
      (void)detail::read_job_fields(*table, ctx);
    } else if (d.path.size() == 1 && d.path[0] == "supd") {
      Config ignored;
      read_supd_table(*table, ignored, ctx);
    }
  }
}

}  // namespace

std::string to_string(const ConfigError& error) {
  if (error.line == 0) return fmt::format("{}: {}", error.file, error.message);
  return fmt::format("{}:{}:{}: {}", error.file, error.line, error.column, error.message);
}

LoadResult parse_config(std::string_view text, std::string_view file_name, const LoadOptions& options) {
  LoadResult out;
  Errors errors{std::string(file_name)};

  auto doc = detail::parse_document(text, file_name, errors);
  if (!doc.root) {  // a syntax error: nothing after it can be trusted
    out.errors = errors.take();
    return out;
  }
  const toml::table& root = *doc.root;

  detail::Errors warnings{std::string(file_name)};
  detail::ReadContext ctx{absolute_base(options.base_dir), options.env, errors, &warnings};
  Config config;
  check_top_level_keys(root, doc, errors);
  if (const auto* supd = root.get("supd")) read_supd_table(*supd, config, ctx);

  detail::JobFields defaults;
  if (const auto* node = root.get("defaults")) {
    if (const auto* t = node->as_table()) {
      defaults = detail::read_job_fields(*t, ctx);
      for (const auto key : detail::kPerJobKeys)
        if (const auto* value = t->get(key))
          errors.add(*value, fmt::format("{}: set it per job ([jobs.NAME]), not in [defaults]", key));
    } else
      errors.add(*node, fmt::format("defaults: expected a table ([defaults]), got {}", detail::type_name(*node)));
  }
  if (const auto* jobs = root.get("jobs")) read_jobs(*jobs, defaults, config, ctx);
  check_duplicate_sections(root, doc, ctx);

  out.errors = errors.take();
  out.warnings = warnings.take();
  if (out.errors.empty()) out.config = std::move(config);
  return out;
}

std::optional<std::string> insecure_file_problem(std::string_view file, unsigned mode, unsigned owner,
                                                 unsigned supd_uid) {
  constexpr std::string_view kOptOut = " (or start supd with --allow-insecure-config)";
  if (owner != supd_uid && owner != 0)
    return fmt::format("owned by uid {}, who could change the commands supd runs; fix it with: chown {} {}{}",
                       owner, supd_uid, file, kOptOut);
  if ((mode & (S_IWGRP | S_IWOTH)) != 0)
    return fmt::format("writable by group or others (mode {:04o}), who could change the commands supd runs; "
                       "fix it with: chmod go-w {}{}", mode & 07777, file, kOptOut);
  return std::nullopt;
}

std::optional<std::string> insecure_dir_problem(std::string_view dir, unsigned mode, unsigned owner,
                                                unsigned supd_uid) {
  constexpr std::string_view kOptOut = " (or start supd with --allow-insecure-config)";
  if (owner != supd_uid && owner != 0)
    return fmt::format("its directory {} is owned by uid {}, who could replace the file; fix it with: chown {} {}{}",
                       dir, owner, supd_uid, dir, kOptOut);
  if ((mode & (S_IWGRP | S_IWOTH)) != 0 && (mode & S_ISVTX) == 0)
    return fmt::format("its directory {} is writable by group or others (mode {:04o}), who could replace the file; "
                       "fix it with: chmod go-w {}{}", dir, mode & 07777, dir, kOptOut);
  return std::nullopt;
}

LoadResult load_config(const fs::path& file, common::Getenv env, ModeCheck check) {
  const std::string name = file.string();
  auto fail = [&](std::string message) {
    LoadResult r;
    r.errors.push_back({name, 0, 0, std::move(message)});
    return r;
  };
  // stat first: opening a FIFO, a socket or a device can block or have side effects.
  struct stat st {};
  if (::stat(name.c_str(), &st) != 0) return fail(common::errno_message(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");

  common::UniqueFd fd(::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail(common::errno_message(errno));
  if (::fstat(fd.get(), &st) != 0) return fail(common::errno_message(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");  // swapped since the stat
  if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigBytes) return fail("config file is larger than 16 MiB");
  if (check == ModeCheck::Refuse) {  // the opened file's own mode: no race with a chmod
    if (auto problem = insecure_file_problem(name, st.st_mode, st.st_uid, ::geteuid())) {
      LoadResult r;
      r.errors.push_back({name, 0, 0, std::move(*problem)});
      return r;
    }
    const auto parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    struct stat dir_st {};
    if (::stat(parent.c_str(), &dir_st) == 0)
      if (auto problem = insecure_dir_problem(parent.string(), dir_st.st_mode, dir_st.st_uid, ::geteuid()))
        return fail(std::move(*problem));
  }

  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {  // the file grew, or reports no size (/proc): read on, capped
      if (text.size() > kMaxConfigBytes) return fail("config file is larger than 16 MiB");
      text.resize(std::min(kMaxConfigBytes + 1, std::max<std::size_t>(4096, text.size() * 2)));
    }
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(common::errno_message(errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  text.resize(used);
  if (text.size() > kMaxConfigBytes) return fail("config file is larger than 16 MiB");

  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  if (ec) absolute = file;
  LoadOptions options{absolute.lexically_normal().parent_path(), std::move(env)};
  return parse_config(text, name, options);
}

}  // namespace supd::config
