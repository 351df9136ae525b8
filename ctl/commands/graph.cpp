// `supctl graph [JOB...]`: the dependency tree, as `systemctl list-dependencies` draws one:
// each job that nothing listed depends on at the top, what it depends on below it, each edge
// with its condition and whether it holds now. --json gives the reply for tools.
#include <map>
#include <set>

#include <fmt/format.h>

#include "ctl/command_list.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;
using Node = proto::Graph::Node;

// No names or "all": every job (supd resolves both the same way).
proto::Command build_graph(std::span<const std::string> args, const SubcommandFlags&) { return proto::Graph{job_list(args)}; }

constexpr Subcommand kGraphRows[] = {{
    .name = "graph",
    .synopsis = "[JOB...]",
    .help = "draw what each job depends on, and whether each condition holds now",
    .min_args = 0,
    .max_args = kMany,
    .build = build_graph,
    .rank = 125,
    .document = true,
}};

std::string label(const Node& node) {
  std::string out = fmt::format("{} ({}", node.name, node.state);
  if (node.health) out += ", " + *node.health;
  return out + ")";
}

struct Drawer {
  std::map<std::string, const Node*> by_name;
  std::set<std::string> drawn;  // a job drawn with its dependencies once; later only named
  std::string out;

  void below(const Node& node, const std::string& indent) {
    for (std::size_t i = 0; i < node.depends_on.size(); ++i) {
      const auto& edge = node.depends_on[i];
      const bool last = i + 1 == node.depends_on.size();
      const auto it = by_name.find(edge.job);
      out += fmt::format("{}{}{} {}: {}", indent, last ? "└─ " : "├─ ", edge.condition,
                         edge.holds ? "yes" : "not yet", it != by_name.end() ? label(*it->second) : edge.job);
      if (it == by_name.end() || !drawn.insert(edge.job).second) {
        out += it != by_name.end() && !it->second->depends_on.empty() ? " (see above)\n" : "\n";
        continue;
      }
      out += "\n";
      below(*it->second, indent + (last ? "   " : "│  "));
    }
  }
};

}  // namespace

std::span<const Subcommand> rows(std::type_identity<proto::Graph>) { return kGraphRows; }

bool waits(const proto::Graph&) { return false; }

std::optional<std::string> render(const proto::Graph&, const proto::Graph::Reply& reply) {
  Drawer d;
  std::set<std::string> depended_on;
  for (const auto& node : reply.jobs) {
    d.by_name.emplace(node.name, &node);
    for (const auto& edge : node.depends_on) depended_on.insert(edge.job);
  }
  for (const auto& node : reply.jobs) {
    if (depended_on.contains(node.name)) continue;  // drawn under what depends on it
    d.out += label(node) + "\n";
    d.drawn.insert(node.name);
    d.below(node, "");
  }
  if (d.out.empty() && !reply.jobs.empty()) {  // every job is depended on: only a cycle does that
    for (const auto& node : reply.jobs) d.out += label(node) + "\n";
  }
  if (reply.jobs.empty()) d.out = "no jobs\n";
  return d.out;
}

}  // namespace supd::ctl
