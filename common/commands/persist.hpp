// `persist`: append an ad-hoc job (from `run`) to the config file, created if missing.
//   params {"job": "amsa"}   reply {"job": "amsa", "config": "/path/supd.toml", "created": false}
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Persist {
  static constexpr std::string_view kMethod = "persist";
  std::string job;
  bool operator==(const Persist&) const = default;

  nlohmann::json params() const { return {{"job", job}}; }
  static Persist decode(const Params& p) { return Persist{p.required_string("job")}; }

  struct Reply {
    std::string job;
    std::string config;  // the file written
    bool created = false;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const { return {{"job", job}, {"config", config}, {"created", created}}; }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      auto job = f.string("job");
      if (!job) return std::nullopt;
      return Reply{std::move(*job), f.string("config").value_or("the config file"), f.boolean("created").value_or(false)};
    }
  };
};

}  // namespace supd::protocol
