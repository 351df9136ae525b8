#include "config/order_check.hpp"

#include <map>
#include <string_view>

#include <fmt/format.h>

namespace supd::config::detail {
namespace {

// Depth-first over the dependencies; an edge back to a job on the current path closes a cycle,
// reported once, at that edge, as the path from the job it returns to.
class CycleFinder {
public:
  CycleFinder(const std::vector<BuiltJob>& jobs, Errors& errors) : jobs_(jobs), errors_(errors) {
    for (std::size_t i = 0; i < jobs.size(); ++i) index_.emplace(jobs[i].spec.name, i);
  }
  void run() {
    colour_.assign(jobs_.size(), Colour::New);
    for (std::size_t i = 0; i < jobs_.size(); ++i)
      if (colour_[i] == Colour::New) visit(i);
  }

private:
  enum class Colour { New, OnPath, Done };
  void visit(std::size_t job) {
    colour_[job] = Colour::OnPath;
    path_.push_back(job);
    const auto& spec = jobs_[job].spec;
    for (std::size_t d = 0; d < spec.depends_on.size(); ++d) {
      const auto it = index_.find(spec.depends_on[d].job);
      if (it == index_.end() || it->second == job) continue;  // reported apart
      if (colour_[it->second] == Colour::New) {
        visit(it->second);
      } else if (colour_[it->second] == Colour::OnPath) {
        std::string cycle;
        bool on = false;
        for (const auto member : path_) {
          on = on || member == it->second;
          if (on) cycle += jobs_[member].spec.name + " -> ";
        }
        errors_.add(jobs_[job].depends_pos[d],
                    fmt::format("depends_on: a cycle: {}{}; no job of it could ever start, remove one of "
                                "these dependencies",
                                cycle, jobs_[it->second].spec.name));
      }
    }
    path_.pop_back();
    colour_[job] = Colour::Done;
  }

  const std::vector<BuiltJob>& jobs_;
  Errors& errors_;
  std::map<std::string_view, std::size_t> index_;
  std::vector<Colour> colour_;
  std::vector<std::size_t> path_;
};

}  // namespace

void check_order(const std::vector<BuiltJob>& jobs, Errors& errors) {
  std::map<std::string_view, const JobSpec*> by_name;
  std::vector<std::string_view> names;
  for (const auto& j : jobs) {
    by_name.emplace(j.spec.name, &j.spec);
    names.push_back(j.spec.name);
  }
  for (const auto& j : jobs) {
    const JobSpec& spec = j.spec;
    for (std::size_t d = 0; d < spec.depends_on.size(); ++d) {
      const auto& [name, condition] = spec.depends_on[d];
      const Pos pos = j.depends_pos[d];
      const auto it = by_name.find(name);
      if (name == spec.name) {
        errors.add(pos, fmt::format("depends_on: job {} cannot depend on itself", quote(spec.name)));
      } else if (it == by_name.end()) {
        const auto guess = closest_key(name, names);
        errors.add(pos, fmt::format("depends_on: no job {} in this file{}", quote(name),
                                    guess ? fmt::format(" (did you mean \"{}\"?)", *guess) : std::string()));
      } else if (condition == Condition::Healthy && !it->second->health) {
        errors.add(pos, fmt::format("depends_on: {} has no health check, so it is never \"healthy\"; add "
                                    "[jobs.{}.health] or wait for \"running\"",
                                    quote(name), name));
      }
    }
    if (spec.health && spec.type == JobType::Oneshot)
      errors.add(j.health_pos, "health: a oneshot job runs to completion; health checks are for services "
                               "(depend on it with \"completed\" instead)");
    if (!spec.schedule.empty() && spec.every)
      errors.add(j.every_pos, "every: give schedule or every, not both");
    if ((!spec.schedule.empty() || spec.every) && spec.restart == RestartPolicy::Always)
      errors.add(spec.schedule.empty() ? j.every_pos : j.schedule_pos,
                 fmt::format("{}: a job with restart = \"always\" never finishes, so it cannot run on a schedule; "
                             "use restart = \"on-failure\" or \"never\"",
                             spec.schedule.empty() ? "every" : "schedule"));
  }
  CycleFinder(jobs, errors).run();
}

}  // namespace supd::config::detail
