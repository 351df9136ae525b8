// `signal`: one signal to a running job's main process, or with `group` to its process group.
//   params {"job": "amsa", "signal": "USR1", "group": false}
//   reply  {"job": "amsa", "pid": 4242, "signal": "USR1", "group": false} (pid: the one signalled,
//          the group's id with group)
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct SignalJob {
  static constexpr std::string_view kMethod = "signal";
  std::string job;
  std::string signal;  // a name or number as parse_signal reads it; supctl sends the name
  bool group = false;
  bool operator==(const SignalJob&) const = default;

  nlohmann::json params() const { return {{"job", job}, {"signal", signal}, {"group", group}}; }
  static SignalJob decode(const Params& p) {
    auto job = p.required_string("job");
    auto sig = p.signal_text();
    return SignalJob{std::move(job), std::move(sig), p.optional_bool("group", false)};
  }

  struct Reply {
    std::string job;
    int pid = 0;
    std::string signal;
    bool group = false;
    // NAME of a job with instances: the other running copies it reached, as {"job", "pid"}.
    std::vector<std::pair<std::string, int>> also = {};
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json j = {{"job", job}, {"pid", pid}, {"signal", signal}, {"group", group}};
      if (!also.empty()) {
        j["also"] = nlohmann::json::array();
        for (const auto& [name, p] : also) j["also"].push_back({{"job", name}, {"pid", p}});
      }
      return j;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto pid = f.int32("pid");
      if (!pid) return std::nullopt;
      Reply r{f.string("job").value_or(""), *pid, f.string("signal").value_or(""), f.boolean("group").value_or(false)};
      if (const auto it = j.find("also"); it != j.end() && it->is_array())
        for (const auto& o : *it)
          if (o.is_object() && o.value("job", nlohmann::json()).is_string() && o.value("pid", nlohmann::json()).is_number_integer())
            r.also.emplace_back(o["job"].get<std::string>(), o["pid"].get<int>());
      return r;
    }
  };
};

}  // namespace supd::protocol
