// `upgrade`: supd re-execs itself in place from its binary; the jobs keep running. The new
// supd answers on the same connection.
//   params {}   reply {"pid": 4242, "version": "0.1.0", "adopted": 3}
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Upgrade {
  static constexpr std::string_view kMethod = "upgrade";
  bool operator==(const Upgrade&) const = default;

  nlohmann::json params() const { return nlohmann::json::object(); }
  static Upgrade decode(const Params&) { return Upgrade{}; }

  struct Reply {
    int pid = 0;
    std::string version;
    int adopted = 0;  // jobs kept
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const { return {{"pid", pid}, {"version", version}, {"adopted", adopted}}; }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto pid = f.int32("pid");
      const auto adopted = f.int32("adopted");
      if (!pid || !adopted) return std::nullopt;
      return Reply{*pid, f.string("version").value_or("?"), *adopted};
    }
  };
};

}  // namespace supd::protocol
