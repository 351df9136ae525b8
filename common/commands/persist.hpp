// `persist`: append an ad-hoc job (from `run`) to the config file, created if missing. Only
// what `run` was given is written; `from_defaults` names the settings the job now takes from
// the file's [defaults] (they differ from the built-in ones it ran with).
//   params {"job": "amsa"}   reply {"job": "amsa", "config": "/path/supd.toml", "created": false,
//                                   "from_defaults": [{"field", "old", "new", "restart"}]}
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"
#include "common/commands/reload.hpp"

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
    std::vector<Reload::Field> from_defaults;  // absent from an older supd: none said
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : from_defaults) fields.push_back(f.to_json());
      return {{"job", job}, {"config", config}, {"created", created}, {"from_defaults", std::move(fields)}};
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      auto job = f.string("job");
      if (!job) return std::nullopt;
      Reply r{std::move(*job), f.string("config").value_or("the config file"), f.boolean("created").value_or(false), {}};
      if (const auto* list = f.get("from_defaults"); list != nullptr && list->is_array())
        for (const auto& field : *list)
          if (field.is_object()) r.from_defaults.push_back(Reload::Field::from_json(field));
      return r;
    }
  };
};

}  // namespace supd::protocol
