// `reload`: re-read supd's config file, answer the diff, apply it unless dry_run. A config
// with errors changes nothing: the reply lists them all. With `wait`, the answer comes once the
// jobs it started or restarted have settled, and `failed` names those that did not start.
//   params {"dry_run": false, "wait": false}
//   reply  {"dry_run", "applied", "jobs": [{"name", "change": "added"|"removed"|"changed",
//           "restart", "action": "start"|"not started"|"stop"|"restart"|"next start"|"in place"|"none",
//           "fields": [{"field", "old", "new", "restart"}]}], "supd": [fields],
//           "warnings": [...], "errors": ["supd.toml:4:15: message", ...],
//           "failed": ["web: exec failed: ... (fatal)", ...]}
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Reload {
  static constexpr std::string_view kMethod = "reload";
  bool dry_run = false;
  bool wait = false;  // answer once the jobs it starts have settled (supctl's default)
  bool operator==(const Reload&) const = default;

  nlohmann::json params() const { return {{"dry_run", dry_run}, {"wait", wait}}; }
  static Reload decode(const Params& p) {
    return Reload{p.optional_bool("dry_run", false), p.optional_bool("wait", false)};
  }

  struct Field {
    std::string field;  // the config key: "command", "stop_timeout", "log_dir"
    std::string old_value;
    std::string new_value;
    bool restart = false;  // the running process must be replaced for it to take effect
    bool operator==(const Field&) const = default;
    nlohmann::json to_json() const {
      return {{"field", field}, {"old", old_value}, {"new", new_value}, {"restart", restart}};
    }
    static Field from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      return Field{f.string("field").value_or(""), f.string("old").value_or(""), f.string("new").value_or(""),
                   f.boolean("restart").value_or(false)};
    }
  };
  struct Job {
    std::string name;
    std::string change;  // "added", "removed", "changed"
    bool restart = false;
    std::vector<Field> fields;
    std::string action;  // what the reload did (or, dry, would do) to it
    bool operator==(const Job&) const = default;
  };
  struct Reply {
    bool dry_run = false;
    bool applied = false;  // false on errors and for a dry run
    std::vector<Job> jobs;
    std::vector<Field> supd;
    std::vector<std::string> warnings;  // what was not applied ([supd] log_dir)
    std::vector<std::string> errors;    // all of them, one "file:line:col: message" each
    std::vector<std::string> failed;    // jobs it started or restarted that did not start, with why
    bool operator==(const Reply&) const = default;

    nlohmann::json to_json() const {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& job : jobs) {
        nlohmann::json changed = nlohmann::json::array();
        for (const auto& f : job.fields) changed.push_back(f.to_json());
        list.push_back({{"name", job.name}, {"change", job.change}, {"restart", job.restart},
                        {"action", job.action}, {"fields", std::move(changed)}});
      }
      nlohmann::json own = nlohmann::json::array();
      for (const auto& f : supd) own.push_back(f.to_json());
      return {{"dry_run", dry_run}, {"applied", applied}, {"jobs", std::move(list)}, {"supd", std::move(own)},
              {"warnings", warnings}, {"errors", errors}, {"failed", failed}};
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto* list = f.get("jobs");
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      r.dry_run = f.boolean("dry_run").value_or(false);
      r.applied = f.boolean("applied").value_or(false);
      for (const auto& item : *list) {
        if (!item.is_object()) return std::nullopt;
        const ReplyFields job(item);
        Job row{job.string("name").value_or(""), job.string("change").value_or(""),
                job.boolean("restart").value_or(false), {}, job.string("action").value_or("")};
        if (const auto* changed = job.get("fields"); changed != nullptr && changed->is_array())
          for (const auto& field : *changed)
            if (field.is_object()) row.fields.push_back(Field::from_json(field));
        r.jobs.push_back(std::move(row));
      }
      if (const auto* own = f.get("supd"); own != nullptr && own->is_array())
        for (const auto& field : *own)
          if (field.is_object()) r.supd.push_back(Field::from_json(field));
      r.warnings = f.strings("warnings");
      r.errors = f.strings("errors");
      r.failed = f.strings("failed");
      return r;
    }
  };
};

}  // namespace supd::protocol
