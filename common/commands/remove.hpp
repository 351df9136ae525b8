// `remove`: an ad-hoc job (from `run`) stopped as `stop` stops it, then forgotten: gone from
// status and events (its log file stays). A job from the config file is refused: the file
// says it exists. With wait, answered once it is gone.
//   params {"job": "web", "wait": true}   reply {"job": "web", "removed": true}
//   ("removed": false: still stopping, forgotten once its processes are gone; --no-wait)
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Remove {
  static constexpr std::string_view kMethod = "remove";
  std::string job;
  bool wait = true;
  bool operator==(const Remove&) const = default;

  nlohmann::json params() const { return {{"job", job}, {"wait", wait}}; }
  static Remove decode(const Params& p) { return Remove{p.required_string("job"), p.optional_bool("wait", true)}; }

  struct Reply {
    std::string job;
    bool removed = false;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const { return {{"job", job}, {"removed", removed}}; }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      auto job = f.string("job");
      if (!job) return std::nullopt;
      return Reply{std::move(*job), f.boolean("removed").value_or(false)};
    }
  };
};

}  // namespace supd::protocol
