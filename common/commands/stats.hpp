// `stats`: what each job's processes use now, read by supd from /proc: CPU seconds, CPU% over
// the time since the last `stats` of that job (a watcher asking every second gets the last
// second; else since the job started), RSS and the number of processes of its whole process
// group and, where it has one, its cgroup.
//   params {"jobs": ["api"], "last_line": false}   (jobs empty or ["all"]: every job)
//   reply  {"jobs": [{"name", "state", "pid" | null, "cpu_s", "cpu_pct" | null, "cpu_window_s" | null,
//                     "rss_bytes", "processes"[, "last_line"]}],
//           "supd": {"pid", "uptime_s"}}, in frames when long
// With "last_line": true each row also holds the last line of the job's stdout log ("" when
// none), what `supctl top` shows beside it.
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
  std::optional<std::string> last_line = std::nullopt;  // only when asked for
  bool operator==(const JobStats&) const = default;

  nlohmann::json to_json() const {
    nlohmann::json j = {{"name", name},          {"state", state},         {"pid", or_null(pid)},
                        {"cpu_s", cpu_s},        {"cpu_pct", or_null(cpu_pct)}, {"cpu_window_s", or_null(cpu_window_s)},
                        {"rss_bytes", rss_bytes}, {"processes", processes}};
    if (last_line) j["last_line"] = *last_line;
    return j;
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
    s.last_line = f.string("last_line");
    return s;
  }
};

// supd itself, for the header of `supctl top`.
struct SupdStats {
  int pid = 0;
  double uptime_s = 0;
  bool operator==(const SupdStats&) const = default;
  nlohmann::json to_json() const { return {{"pid", pid}, {"uptime_s", uptime_s}}; }
};

struct Stats {
  static constexpr std::string_view kMethod = "stats";
  std::vector<std::string> jobs;
  bool last_line = false;
  bool operator==(const Stats&) const = default;

  nlohmann::json params() const {
    nlohmann::json p = {{"jobs", jobs}};
    if (last_line) p["last_line"] = true;
    return p;
  }
  static Stats decode(const Params& p) { return Stats{p.job_list(false), p.optional_bool("last_line", false)}; }

  struct Reply {
    std::vector<JobStats> jobs;
    std::optional<SupdStats> supd = std::nullopt;  // absent from the first supds with stats
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& j : jobs) list.push_back(j.to_json());
      nlohmann::json r = {{"jobs", std::move(list)}};
      if (supd) r["supd"] = supd->to_json();
      return r;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      const auto* list = f.get("jobs");
      if (list == nullptr || !list->is_array()) return std::nullopt;
      Reply r;
      if (const auto* s = f.get("supd"); s != nullptr && s->is_object()) {
        const ReplyFields sf(*s);
        r.supd = SupdStats{sf.int32("pid").value_or(0), sf.number("uptime_s").value_or(0)};
      }
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
