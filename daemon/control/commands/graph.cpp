// `graph`: the named jobs (or all) with what they depend on, transitively, each edge with
// whether its condition holds now (daemon/core/dependencies.hpp decides, as for a start).
#include <set>

#include "daemon/control/command_handlers.hpp"
#include "daemon/control/handlers.hpp"
#include "daemon/core/dependencies.hpp"

namespace supd::daemon {

protocol::Response serve(const protocol::Graph& command, Call& call) {
  std::vector<const Job*> named;
  if (auto err = call.handlers.resolve(command.jobs, true, named)) return {call.id, *err};
  const Supervisor& sup = call.sup;
  // The named jobs first, then what they depend on that was not named, in the order reached.
  std::vector<const Job*> order;
  std::set<const Job*> seen;
  for (std::size_t i = 0; i < named.size(); ++i)
    if (seen.insert(named[i]).second) order.push_back(named[i]);
  for (std::size_t i = 0; i < order.size(); ++i)
    for (const auto& d : order[i]->spec.depends_on)
      if (const Job* dep = sup.find(d.job); dep != nullptr && seen.insert(dep).second) order.push_back(dep);
  protocol::Graph::Reply reply;
  for (const Job* job : order) {
    protocol::Graph::Node node{job->spec.name, std::string(to_string(job->rt.state)), std::nullopt, {}};
    if (job->health.status != Health::None) node.health = std::string(to_string(job->health.status));
    for (const auto& d : job->spec.depends_on) {
      const Job* dep = sup.find(d.job);
      const bool holds = dep != nullptr && progress(d.condition, sup.order_view(*dep)) == Progress::Holds;
      node.depends_on.push_back({d.job, std::string(config::to_string(d.condition)), holds});
    }
    reply.jobs.push_back(std::move(node));
  }
  return protocol::reply(call.id, reply);
}

}  // namespace supd::daemon
