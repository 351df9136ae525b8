// `export`: each named job as the file another supervisor would run it from (today: a
// systemd user unit), for users who move a job to systemd.
//   params {"format": "systemd", "jobs": ["api"]}   ("all": every job)
//   reply  {"units": [{"job": "api", "file": "api.service", "text": "[Unit]\n..."}]}
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Export {
  static constexpr std::string_view kMethod = "export";
  std::string format = "systemd";
  std::vector<std::string> jobs;
  bool operator==(const Export&) const = default;

  nlohmann::json params() const { return {{"format", format}, {"jobs", jobs}}; }
  static Export decode(const Params& p) { return Export{p.required_string("format"), p.job_list(true)}; }

  struct Unit {
    std::string job;
    std::string file;
    std::string text;
    bool operator==(const Unit&) const = default;
  };
  struct Reply {
    std::vector<Unit> units;
    bool operator==(const Reply&) const = default;

    nlohmann::json to_json() const {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& u : units) list.push_back({{"job", u.job}, {"file", u.file}, {"text", u.text}});
      return {{"units", std::move(list)}};
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const auto* list = ReplyFields(j).get("units");
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      for (const auto& item : *list) {
        const ReplyFields f(item);
        auto job = f.string("job"), file = f.string("file"), text = f.string("text");
        if (!job || !file || !text) return std::nullopt;
        r.units.push_back({std::move(*job), std::move(*file), std::move(*text)});
      }
      return r;
    }
  };
};

}  // namespace supd::protocol
