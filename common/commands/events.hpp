// `events`: the event history (one job's, or every job's and supd's merged in time order),
// its last `limit` events (all kept when unset), then with `follow` new events as they happen.
//   params {"job": "amsa" (optional), "follow": false, "limit": 20 (optional)}
//   reply  a stream of {"events": [Event...], "more": true} pieces, the last without "more";
//          a follow ends with {"eof": true} when supd shuts down
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/event.hpp"

namespace supd::protocol {

struct Events {
  static constexpr std::string_view kMethod = "events";
  std::optional<std::string> job;
  bool follow = false;
  std::optional<int> limit;
  bool operator==(const Events&) const = default;

  nlohmann::json params() const {
    nlohmann::json p = {{"follow", follow}};
    if (job) p["job"] = *job;
    if (limit) p["limit"] = *limit;
    return p;
  }
  static Events decode(const Params& p) {
    Events ev;
    if (p.has("job")) ev.job = p.required_string("job");
    ev.follow = p.optional_bool("follow", false);
    if (p.has("limit")) ev.limit = p.optional_count("limit", 0);
    return ev;
  }

  // One piece of the stream: a batch of events, or the end mark.
  struct Reply {
    std::vector<common::Event> events;
    bool eof = false;
    bool more = false;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      if (eof) return {{"eof", true}};
      nlohmann::json list = nlohmann::json::array();
      for (const auto& e : events) list.push_back(common::to_json(e));
      nlohmann::json j{{"events", std::move(list)}};
      if (more) j["more"] = true;
      return j;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      if (!f.is_object()) return std::nullopt;
      if (f.has("eof")) return Reply{{}, true, false};
      const auto* list = f.get("events");
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      for (const auto& item : *list) {
        auto e = common::event_from_json(item);
        if (!e) return std::nullopt;
        r.events.push_back(std::move(*e));
      }
      r.more = f.boolean("more").value_or(false);
      return r;
    }
  };
};

}  // namespace supd::protocol
