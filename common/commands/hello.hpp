// `hello`: the first request of every connection; both sides must speak one protocol.
//   params {"protocol": 1}   reply {"protocol": 1, "version": "0.1.0"}
#pragma once
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

inline constexpr int kProtocolVersion = 1;  // bump when any message changes shape

struct Hello {
  static constexpr std::string_view kMethod = "hello";
  int protocol = kProtocolVersion;
  bool operator==(const Hello&) const = default;

  nlohmann::json params() const { return {{"protocol", protocol}}; }
  static Hello decode(const Params& p) { return Hello{p.optional_int("protocol").value_or(kProtocolVersion)}; }

  struct Reply {
    int protocol = kProtocolVersion;
    std::string version;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const { return {{"protocol", protocol}, {"version", version}}; }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto protocol = f.int32("protocol");
      if (!protocol) return std::nullopt;
      return Reply{*protocol, f.string("version").value_or("")};
    }
  };
};

}  // namespace supd::protocol
