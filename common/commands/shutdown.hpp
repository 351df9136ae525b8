// `shutdown`: stop every job, then supd; answered just before supd exits. With
// `leave_running` supd exits without stopping its jobs, for the next supd to adopt.
//   params {} | {"leave_running": true}
//   reply  {"stopped": 3} | {"stopped": 0, "left_running": 3}
#pragma once
#include <optional>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Shutdown {
  static constexpr std::string_view kMethod = "shutdown";
  bool leave_running = false;
  bool operator==(const Shutdown&) const = default;

  nlohmann::json params() const {
    return leave_running ? nlohmann::json{{"leave_running", true}} : nlohmann::json::object();  // as before when false
  }
  static Shutdown decode(const Params& p) { return Shutdown{p.optional_bool("leave_running", false)}; }

  struct Reply {
    int stopped = 0;
    std::optional<int> left_running;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json j{{"stopped", stopped}};
      if (left_running) j["left_running"] = *left_running;
      return j;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto stopped = f.int32("stopped");
      if (!stopped) return std::nullopt;
      return Reply{*stopped, f.int32("left_running")};
    }
  };
};

}  // namespace supd::protocol
