// `pid`: the main pid of a running job (not_running otherwise).
//   params {"job": "amsa"}   reply {"pid": 4242}
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Pid {
  static constexpr std::string_view kMethod = "pid";
  std::string job;
  bool operator==(const Pid&) const = default;

  nlohmann::json params() const { return {{"job", job}}; }
  static Pid decode(const Params& p) { return Pid{p.required_string("job")}; }

  struct Reply {
    int pid = 0;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const { return {{"pid", pid}}; }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const auto pid = ReplyFields(j).int32("pid");
      if (!pid || *pid <= 0) return std::nullopt;
      return Reply{*pid};
    }
  };
};

}  // namespace supd::protocol
