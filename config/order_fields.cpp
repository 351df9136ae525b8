#include "config/order_fields.hpp"

#include <fmt/format.h>

#include "common/cron.hpp"
#include "common/tcp_target.hpp"
#include "config/command_line.hpp"

namespace supd::config::detail {
namespace {

constexpr std::string_view kConditions = "\"started\", \"running\", \"healthy\" or \"completed\"";
constexpr std::string_view kHealthKeys[] = {"exec",    "http",         "tcp",         "interval",
                                            "timeout", "start_period", "on_unhealthy", "retries"};

std::optional<Condition> read_condition(const toml::node& node, std::string_view job, Errors& errors) {
  const auto text = read_string(node, fmt::format("depends_on.{}", job), errors);
  if (!text) return std::nullopt;
  if (const auto c = parse_condition(*text)) return c;
  errors.add(node, fmt::format("depends_on.{}: unknown condition {} (use {})", job, quote(*text), kConditions));
  return std::nullopt;
}

std::optional<std::vector<std::string>> read_probe_command(const toml::node& node, Errors& errors) {
  if (const auto text = node.as_string()) {
    std::string why;
    auto argv = split_command(text->get(), why);
    if (!argv || argv->empty() || argv->front().empty()) {
      errors.add(node, fmt::format("health.exec: {}", argv ? "must not be empty" : why));
      return std::nullopt;
    }
    return argv;
  }
  const auto* array = node.as_array();
  if (array == nullptr || array->empty()) {
    errors.add(node, fmt::format("health.exec: expected a command (an array of strings or a string), got {}",
                                 array ? "an empty array" : type_name(node)));
    return std::nullopt;
  }
  std::vector<std::string> argv;
  for (const auto& word : *array) {
    auto text = read_string(word, "health.exec", errors);
    if (!text) return std::nullopt;
    argv.push_back(std::move(*text));
  }
  if (argv.front().empty()) {
    errors.add(node, "health.exec: the program name must not be empty");
    return std::nullopt;
  }
  return argv;
}

}  // namespace

std::optional<JobType> read_type(const toml::node& node, Errors& errors) {
  const auto text = read_string(node, "type", errors);
  if (!text) return std::nullopt;
  if (*text == "service") return JobType::Service;
  if (*text == "oneshot") return JobType::Oneshot;
  errors.add(node, fmt::format("type: unknown type {} (use \"service\" or \"oneshot\")", quote(*text)));
  return std::nullopt;
}

std::optional<std::vector<PlacedDependency>> read_depends_on(const toml::node& node, Errors& errors) {
  std::vector<PlacedDependency> out;
  bool ok = true;
  if (const auto* array = node.as_array()) {
    for (const auto& element : *array) {
      const auto name = read_string(element, "depends_on", errors);
      if (!name) {
        ok = false;
        continue;
      }
      out.push_back({{*name, Condition::Running}, pos_of(element)});
    }
  } else if (const auto* table = node.as_table()) {
    for (const auto& [key, value] : *table) {
      const auto condition = read_condition(value, key.str(), errors);
      if (!condition) {
        ok = false;
        continue;
      }
      out.push_back({{std::string(key.str()), *condition}, pos_of(key)});
    }
  } else {
    errors.add(node, fmt::format("depends_on: expected a list of job names ([\"db\"]) or a table of conditions "
                                 "({{ db = \"healthy\" }}), got {}",
                                 type_name(node)));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_schedule(const toml::node& node, Errors& errors) {
  auto text = read_string(node, "schedule", errors);
  if (!text) return std::nullopt;
  std::string why;
  std::size_t column = 0;
  if (common::parse_cron(*text, why, &column)) return text;
  Pos pos = pos_of(node);
  if (pos.line != 0) pos.column += 1 + static_cast<int>(column);  // past the opening quote, at the field
  errors.add(pos, fmt::format("schedule: {}", why));
  return std::nullopt;
}

std::optional<HealthCheck> read_health(const toml::node& node, Errors& errors) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    errors.add(node, fmt::format("health: expected a table ([jobs.NAME.health]), got {}", type_name(node)));
    return std::nullopt;
  }
  check_known_keys(*table, kHealthKeys, errors);
  HealthCheck check;
  int kinds = 0;
  bool ok = true;
  for (const auto& [k, value] : *table) {
    const std::string_view key = k.str();
    if (key == "exec" || key == "http" || key == "tcp") {
      if (++kinds > 1) {
        errors.add(pos_of(k), "health: give one of exec, http and tcp, not several (one check per job)");
        ok = false;
        continue;
      }
      if (key == "exec") {
        check.kind = HealthCheck::Kind::Exec;
        if (auto argv = read_probe_command(value, errors)) check.exec = std::move(*argv);
        else ok = false;
        continue;
      }
      auto text = read_string(value, fmt::format("health.{}", key), errors);
      if (!text) {
        ok = false;
      } else if (key == "http" && !text->starts_with("http://") && !text->starts_with("https://")) {
        errors.add(value, fmt::format("health.http: {} is not an http:// or https:// URL", quote(*text)));
        ok = false;
      } else if (std::string why; key == "tcp" && !common::parse_tcp_target(*text, why)) {
        errors.add(value, fmt::format("health.tcp: {} (e.g. \"127.0.0.1:6379\")", why));
        ok = false;
      }
      check.kind = key == "http" ? HealthCheck::Kind::Http : HealthCheck::Kind::Tcp;
      if (text) check.target = std::move(*text);
    } else if (key == "interval" || key == "timeout" || key == "start_period") {
      const auto d = read_duration(value, fmt::format("health.{}", key), errors);
      if (!d) {
        ok = false;
      } else if (key != "start_period" && d->count() == 0) {
        errors.add(value, fmt::format("health.{}: must be more than 0", key));
        ok = false;
      } else {
        (key == "interval" ? check.interval : key == "timeout" ? check.timeout : check.start_period) = *d;
      }
    } else if (key == "retries") {
      if (const auto n = read_int(value, "health.retries", 1, 1000, errors)) check.retries = static_cast<int>(*n);
      else ok = false;
    } else if (key == "on_unhealthy") {
      const auto text = read_string(value, "health.on_unhealthy", errors);
      if (text && (*text == "restart" || *text == "none")) {
        check.restart_on_unhealthy = *text == "restart";
      } else {
        if (text) errors.add(value, fmt::format("health.on_unhealthy: unknown action {} (use \"restart\" or \"none\")",
                                                quote(*text)));
        ok = false;
      }
    }
  }
  if (kinds == 0) {
    errors.add(node, "health: give the check: exec = [...], http = \"http://...\" or tcp = \"host:port\"");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return check;
}

}  // namespace supd::config::detail
