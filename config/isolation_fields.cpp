#include "config/isolation_fields.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "common/duration.hpp"

namespace supd::config::detail {
namespace {

// How a limit's value is written: a count, a size ("2GiB"), or CPU time ("1h", in seconds).
enum class LimitUnit { Count, Size, Seconds };
struct LimitName {
  std::string_view name;
  int resource;
  LimitUnit unit;
};
// The names of systemd's Limit*= and of ulimit, without the prefix.
constexpr LimitName kLimitNames[] = {
    {"as", RLIMIT_AS, LimitUnit::Size},           {"core", RLIMIT_CORE, LimitUnit::Size},
    {"cpu", RLIMIT_CPU, LimitUnit::Seconds},      {"data", RLIMIT_DATA, LimitUnit::Size},
    {"fsize", RLIMIT_FSIZE, LimitUnit::Size},     {"locks", RLIMIT_LOCKS, LimitUnit::Count},
    {"memlock", RLIMIT_MEMLOCK, LimitUnit::Size}, {"msgqueue", RLIMIT_MSGQUEUE, LimitUnit::Size},
    {"nice", RLIMIT_NICE, LimitUnit::Count},      {"nofile", RLIMIT_NOFILE, LimitUnit::Count},
    {"nproc", RLIMIT_NPROC, LimitUnit::Count},    {"rss", RLIMIT_RSS, LimitUnit::Size},
    {"rtprio", RLIMIT_RTPRIO, LimitUnit::Count},  {"sigpending", RLIMIT_SIGPENDING, LimitUnit::Count},
    {"stack", RLIMIT_STACK, LimitUnit::Size},
};

std::string limit_names() {
  std::string out;
  for (const auto& l : kLimitNames) out += (out.empty() ? "" : ", ") + std::string(l.name);
  return out;
}

bool unlimited_word(std::string_view text) { return text == "unlimited" || text == "infinity"; }

std::optional<std::optional<std::uint64_t>> read_limit_value(const toml::node& node, const LimitName& l,
                                                             Errors& errors) {
  const std::string key = fmt::format("limits.{}", l.name);
  if (const auto* i = node.as_integer()) {
    if (i->get() >= 0) return std::optional<std::uint64_t>(static_cast<std::uint64_t>(i->get()));
    errors.add(node, fmt::format("{}: must not be negative, got {}", key, i->get()));
    return std::nullopt;
  }
  if (const auto* s = node.as_string()) {
    const std::string& text = s->get();
    if (unlimited_word(text)) return std::optional<std::uint64_t>();
    if (l.unit == LimitUnit::Size)
      if (const auto size = common::parse_size(text)) return std::optional<std::uint64_t>(*size);
    if (l.unit == LimitUnit::Seconds)
      if (const auto d = common::parse_duration(text))
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(d->count() / 1000));
    const std::string_view hint = l.unit == LimitUnit::Size      ? "a size such as \"2GiB\", a number of bytes"
                                  : l.unit == LimitUnit::Seconds ? "a duration such as \"1h\", a number of seconds"
                                                                 : "a number";
    errors.add(node, fmt::format("{}: cannot read {} (use {}, or \"unlimited\")", key, quote(text), hint));
    return std::nullopt;
  }
  errors.add(node, fmt::format("{}: expected a number or \"unlimited\", got {}", key, type_name(node)));
  return std::nullopt;
}

// Raising a hard limit needs root; as root, nofile still stops at the kernel's fs.nr_open.
std::optional<std::string> above_hard_limit(const LimitName& l, std::optional<std::uint64_t> value) {
  if (::geteuid() == 0) {
    if (l.resource != RLIMIT_NOFILE) return std::nullopt;
    std::uint64_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    if (nr_open == 0 || (value && *value <= nr_open)) return std::nullopt;
    return fmt::format("is above the kernel's most open files per process, {} (fs.nr_open)", nr_open);
  }
  rlimit lim{};
  if (::getrlimit(l.resource, &lim) != 0 || lim.rlim_max == RLIM_INFINITY) return std::nullopt;
  if (value && *value <= lim.rlim_max) return std::nullopt;
  return fmt::format("is above supd's hard limit {}, which only root may raise (raise supd's own, e.g. "
                     "Limit{}= in its unit, or ulimit -H before starting it)",
                     lim.rlim_max, l.name == "nofile" ? "NOFILE" : fmt::format("{}", l.name));
}

std::string own_user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return std::to_string(::geteuid());
}

}  // namespace

std::optional<std::vector<std::string>> read_env_file(const toml::node& node, Errors& errors) {
  std::vector<std::string> out;
  const auto take_one = [&](const toml::node& element) {
    auto text = read_string(element, "env_file", errors);
    if (!text) return false;
    if (text->empty() || *text == "-") {
      errors.add(element, "env_file: a file name must not be empty");
      return false;
    }
    out.push_back(std::move(*text));
    return true;
  };
  if (node.is_string()) {
    if (!take_one(node)) return std::nullopt;
    return out;
  }
  const auto* a = node.as_array();
  if (a == nullptr) {
    errors.add(node, fmt::format("env_file: expected an array of file names ([\"~/app.env\"]), got {}",
                                 type_name(node)));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& element : *a) ok = take_one(element) && ok;
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_account(const toml::node& node, std::string_view key, Errors& errors) {
  auto name = read_string(node, key, errors);
  if (!name) return std::nullopt;
  if (name->empty()) {
    errors.add(node, fmt::format("{}: must not be empty; leave it out to run as supd's own {}", key, key));
    return std::nullopt;
  }
  const bool is_user = key == "user";
  const passwd* pw = is_user ? ::getpwnam(name->c_str()) : nullptr;
  const group* gr = is_user ? nullptr : ::getgrnam(name->c_str());
  if (is_user ? pw == nullptr : gr == nullptr) {
    errors.add(node, fmt::format("{}: no {} named {} on this machine (see: getent {})", key, key, quote(*name),
                                 is_user ? "passwd" : "group"));
    return std::nullopt;
  }
  if (::geteuid() != 0 && (is_user ? pw->pw_uid != ::geteuid() : gr->gr_gid != ::getegid())) {
    errors.add(node, fmt::format("{}: supd runs as {}, not root, so it cannot run a job as {} {}; leave {} out, "
                                 "or run supd as root (a machine's supervisor)",
                                 key, quote(own_user_name()), key, quote(*name), key));
    return std::nullopt;
  }
  return name;
}

std::optional<unsigned> read_umask(const toml::node& node, Errors& errors) {
  constexpr std::string_view kHint = "write it as octal digits in a string, e.g. umask = \"0027\"";
  if (const auto* i = node.as_integer()) {
    if (!!(i->flags() & toml::value_flags::format_as_octal) && i->get() >= 0 && i->get() <= 0777)
      return static_cast<unsigned>(i->get());
    errors.add(node, fmt::format("umask: {} is not an octal mode ({})", i->get(), kHint));
    return std::nullopt;
  }
  const auto text = read_string(node, "umask", errors);
  if (!text) return std::nullopt;
  const bool digits = !text->empty() && text->size() <= 4 &&
                      std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '7'; });
  const unsigned value = digits ? static_cast<unsigned>(std::stoul(*text, nullptr, 8)) : 01000;
  if (value > 0777) {
    errors.add(node, fmt::format("umask: {} is not an octal mode ({})", quote(*text), kHint));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<ResourceLimit>> read_limits(const toml::node& node, Errors& errors) {
  const auto* t = node.as_table();
  if (t == nullptr) {
    errors.add(node, fmt::format("limits: expected a table ({{ nofile = 4096 }}), got {}", type_name(node)));
    return std::nullopt;
  }
  std::vector<ResourceLimit> out;
  bool ok = true;
  for (const auto& [k, value] : *t) {
    const auto name = k.str();
    const auto* l = std::find_if(std::begin(kLimitNames), std::end(kLimitNames),
                                 [&](const LimitName& n) { return n.name == name; });
    if (l == std::end(kLimitNames)) {
      std::vector<std::string_view> known;
      for (const auto& n : kLimitNames) known.push_back(n.name);
      const auto near = closest_key(name, known);
      errors.add(pos_of(k), fmt::format("limits: unknown limit {}{}", quote(name),
                                        near ? fmt::format(" (did you mean {}?)", quote(*near))
                                             : fmt::format(" (use {})", limit_names())));
      ok = false;
      continue;
    }
    const auto v = read_limit_value(value, *l, errors);
    if (!v) {
      ok = false;
      continue;
    }
    if (const auto why = above_hard_limit(*l, *v)) {
      errors.add(value, fmt::format("limits.{}: {} {}", l->name, *v ? std::to_string(**v) : "unlimited", *why));
      ok = false;
      continue;
    }
    out.push_back({std::string(l->name), l->resource, *v});
  }
  if (!ok) return std::nullopt;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::optional<long> read_instances(const toml::node& node, Errors& errors) {
  const auto* i = node.as_integer();
  if (i != nullptr && i->get() < 1) {
    errors.add(node, fmt::format("instances: must be at least 1, got {} (leave it out for one copy)", i->get()));
    return std::nullopt;
  }
  const auto v = read_int(node, "instances", 1, kMaxInstances, errors);
  if (!v) return std::nullopt;
  return static_cast<long>(*v);
}

bool read_cgroup_limit(const toml::node& node, std::string_view key, CgroupLimits& limits, Errors& errors) {
  const auto* s = node.as_string();
  const bool max = s != nullptr && (s->get() == "max" || unlimited_word(s->get()));
  if (key == "memory_max" || key == "memory_high") {
    auto& into = key == "memory_max" ? limits.memory_max : limits.memory_high;
    into.reset();
    if (max) return true;
    const auto size = read_size(node, key, errors);
    into = size;
    return size.has_value();
  }
  if (key == "pids_max") {
    limits.pids_max.reset();
    if (max) return true;
    const auto n = read_int(node, key, 1, 1 << 22, errors);
    if (n) limits.pids_max = static_cast<long>(*n);
    return n.has_value();
  }
  // cpu_max: "50%" of one CPU, "200%" for two.
  limits.cpu_max_percent.reset();
  if (max) return true;
  const auto text = read_string(node, key, errors);
  if (!text) return false;
  double percent = 0;
  std::size_t used = 0;
  try {
    percent = std::stod(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used + 1 != text->size() || text->back() != '%' || !(percent > 0) || percent > 100000) {
    errors.add(node, fmt::format("cpu_max: expected a share of one CPU such as \"50%\" (\"200%\" is two CPUs) or "
                                 "\"max\", got {}", quote(*text)));
    return false;
  }
  limits.cpu_max_percent = percent;
  return true;
}

}  // namespace supd::config::detail
