// `stats`: what each job's processes use now, read by supd from /proc: CPU seconds, CPU% over
// the time since the last `stats` of that job (a watcher asking every second gets the last
// second; else since the job started), RSS and the number of processes of its whole process
// group and, where it has one, its cgroup.
//   params {"jobs": ["api"]}   (empty or ["all"]: every job)
//   reply  {"jobs": [{"name", "state", "pid" | null, "cpu_s", "cpu_pct" | null, "cpu_window_s" | null,
//                     "rss_bytes", "processes"}]}, in frames when long
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"

namespace supd::protocol {

struct JobStats {
  std::string name;
  std::string state;
  std::optional<int> pid;
  double cpu_s = 0;                     // user + system time of its processes now alive
  std::optional<double> cpu_pct;        // 100 = one CPU; nullopt when nothing runs
  std::optional<double> cpu_window_s;   // the time cpu_pct is measured over
  std::uint64_t rss_bytes = 0;
  int processes = 0;
  bool operator==(const JobStats&) const = default;

  nlohmann::json to_json() const {
    return {{"name", name},          {"state", state},         {"pid", or_null(pid)},
            {"cpu_s", cpu_s},        {"cpu_pct", or_null(cpu_pct)}, {"cpu_window_s", or_null(cpu_window_s)},
            {"rss_bytes", rss_bytes}, {"processes", processes}};
  }
  static std::optional<JobStats> from_json(const nlohmann::json& j) {
    const ReplyFields f(j);
    auto name = f.string("name");
    if (!name) return std::nullopt;
    JobStats s;
    s.name = std::move(*name);
    s.state = f.string("state").value_or("");
    s.pid = f.int32("pid");
    s.cpu_s = f.number("cpu_s").value_or(0);
    s.cpu_pct = f.number("cpu_pct");
    s.cpu_window_s = f.number("cpu_window_s");
    s.rss_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, f.integer("rss_bytes").value_or(0)));
    s.processes = f.int32("processes").value_or(0);
    return s;
  }
};

struct Stats {
  static constexpr std::string_view kMethod = "stats";
  std::vector<std::string> jobs;
  bool operator==(const Stats&) const = default;

  nlohmann::json params() const { return {{"jobs", jobs}}; }
  static Stats decode(const Params& p) { return Stats{p.job_list(false)}; }

  struct Reply {
    std::vector<JobStats> jobs;
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& j : jobs) list.push_back(j.to_json());
      return {{"jobs", std::move(list)}};
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const auto* list = ReplyFields(j).get("jobs");
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      for (const auto& item : *list) {
        auto s = JobStats::from_json(item);
        if (!s) return std::nullopt;
        r.jobs.push_back(std::move(*s));
      }
      return r;
    }
  };
};

}  // namespace supd::protocol
