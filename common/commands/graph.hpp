// `graph`: the jobs' dependencies, each edge with its condition and whether it holds now.
//   params {"jobs": ["web"]} (empty: every job)
//   reply  {"jobs": [{"name": "web", "state": "waiting", "health": null,
//                     "depends_on": [{"job": "db", "condition": "healthy", "holds": true}]}]}
// Named jobs come with everything they depend on, transitively.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Graph {
  static constexpr std::string_view kMethod = "graph";
  std::vector<std::string> jobs;
  bool operator==(const Graph&) const = default;

  nlohmann::json params() const { return {{"jobs", jobs}}; }
  static Graph decode(const Params& p) { return Graph{p.job_list(false)}; }

  struct Edge {
    std::string job;
    std::string condition;
    bool holds = false;
    bool operator==(const Edge&) const = default;
  };
  struct Node {
    std::string name;
    std::string state;
    std::optional<std::string> health;
    std::vector<Edge> depends_on;
    bool operator==(const Node&) const = default;
  };
  struct Reply {
    std::vector<Node> jobs;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& n : jobs) {
        nlohmann::json edges = nlohmann::json::array();
        for (const auto& e : n.depends_on) edges.push_back({{"job", e.job}, {"condition", e.condition}, {"holds", e.holds}});
        list.push_back({{"name", n.name}, {"state", n.state},
                        {"health", n.health ? nlohmann::json(*n.health) : nlohmann::json(nullptr)},
                        {"depends_on", std::move(edges)}});
      }
      return {{"jobs", std::move(list)}};
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const auto* list = j.is_object() && j.contains("jobs") ? &j["jobs"] : nullptr;
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      for (const auto& item : *list) {
        const ReplyFields f(item);
        Node n{f.string("name").value_or(""), f.string("state").value_or(""), f.string("health"), {}};
        if (n.name.empty() || !item.contains("depends_on") || !item["depends_on"].is_array()) return std::nullopt;
        for (const auto& edge : item["depends_on"]) {
          const ReplyFields e(edge);
          auto job = e.string("job");
          auto condition = e.string("condition");
          if (!job || !condition) return std::nullopt;
          n.depends_on.push_back({std::move(*job), std::move(*condition), e.boolean("holds").value_or(false)});
        }
        r.jobs.push_back(std::move(n));
      }
      return r;
    }
  };
};

}  // namespace supd::protocol
