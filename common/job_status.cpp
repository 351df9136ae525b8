#include "common/job_status.hpp"

#include "common/command_params.hpp"
#include "common/signals.hpp"

namespace supd::protocol {
using json = nlohmann::json;

json exit_to_json(const common::ExitStatus& e) {
  json j = json::object();
  j["code"] = e.signaled || e.unknown ? json(nullptr) : json(e.code);  // both null: unknown (adopted)
  if (e.signaled) {
    const auto name = common::signal_name(e.signal);
    j["signal"] = name.empty() ? std::to_string(e.signal) : name;  // digits still parse back
  } else {
    j["signal"] = nullptr;
  }
  j["core_dumped"] = e.core_dumped;
  j["description"] = common::describe(e);
  return j;
}

std::optional<common::ExitStatus> exit_from_json(const json& j) noexcept {
  try {
  if (!j.is_object()) return std::nullopt;
  bool core = false;
  if (const json* c = field(j, "core_dumped"); c && !c->is_null()) {
    if (!c->is_boolean()) return std::nullopt;
    core = c->get<bool>();
  }
  if (const json* s = field(j, "signal"); s && !s->is_null()) {
    if (!s->is_string()) return std::nullopt;
    const auto signo = common::parse_signal(s->get<std::string>());
    if (!signo) return std::nullopt;
    return common::ExitStatus::killed(*signo, core);
  }
  const json* code = field(j, "code");
  if (!code) return std::nullopt;
  if (code->is_null()) return common::ExitStatus::unknown_adopted();  // an adopted job's exit
  const auto value = as_int(*code);
  if (!value) return std::nullopt;
  return common::ExitStatus::exited(*value);
  } catch (...) {
    return std::nullopt;
  }
}

json to_json(const JobStatus& job) {
  json j = json::object();
  j["name"] = job.name;
  j["state"] = job.state;
  j["pid"] = job.pid ? json(*job.pid) : json(nullptr);
  j["uptime_s"] = job.uptime_s ? json(*job.uptime_s) : json(nullptr);
  j["restarts"] = job.restarts;
  j["last_exit"] = job.last_exit ? exit_to_json(*job.last_exit) : json(nullptr);
  j["error"] = job.error ? json(*job.error) : json(nullptr);
  if (job.origin) j["origin"] = *job.origin;
  j["next_try_s"] = job.next_try_s ? json(*job.next_try_s) : json(nullptr);
  if (job.status_text) j["status_text"] = *job.status_text;
  if (job.reason) j["reason"] = *job.reason;
  j["health"] = job.health ? json(*job.health) : json(nullptr);
  if (job.next_run) j["next_run"] = *job.next_run;
  return j;
}

std::optional<JobStatus> job_status_from_json(const json& j) noexcept {
  try {
    if (!j.is_object()) return std::nullopt;
    JobStatus s;
    const json* name = field(j, "name");
    const json* state = field(j, "state");
    if (!name || !name->is_string() || !state || !state->is_string()) return std::nullopt;
    s.name = name->get<std::string>();
    s.state = state->get<std::string>();
    if (const json* v = field(j, "pid"); v && !v->is_null()) {
      if (!(s.pid = as_int(*v))) return std::nullopt;
    }
    if (const json* v = field(j, "uptime_s"); v && !v->is_null()) {
      if (!v->is_number()) return std::nullopt;
      s.uptime_s = v->get<double>();
    }
    if (const json* v = field(j, "restarts"); v && !v->is_null()) {
      const auto n = as_int(*v);
      if (!n) return std::nullopt;
      s.restarts = *n;
    }
    if (const json* v = field(j, "last_exit"); v && !v->is_null()) {
      if (!(s.last_exit = exit_from_json(*v))) return std::nullopt;
    }
    if (const json* v = field(j, "error"); v && !v->is_null()) {
      if (!v->is_string()) return std::nullopt;
      s.error = v->get<std::string>();
    }
    if (const json* v = field(j, "origin"); v && v->is_string()) s.origin = v->get<std::string>();
    if (const json* v = field(j, "next_try_s"); v && !v->is_null()) {
      if (!v->is_number()) return std::nullopt;
      s.next_try_s = v->get<double>();
    }
    if (const json* v = field(j, "status_text"); v && v->is_string()) s.status_text = v->get<std::string>();
    if (const json* v = field(j, "reason"); v && v->is_string()) s.reason = v->get<std::string>();
    if (const json* v = field(j, "health"); v && v->is_string()) s.health = v->get<std::string>();
    if (const json* v = field(j, "next_run"); v && v->is_string()) s.next_run = v->get<std::string>();
    return s;
  } catch (...) {
    return std::nullopt;
  }
}

json jobs_result(const std::vector<JobStatus>& jobs) {
  json list = json::array();
  for (const auto& job : jobs) list.push_back(to_json(job));
  return {{"jobs", std::move(list)}};
}

std::optional<std::vector<JobStatus>> parse_jobs_result(const json& result) noexcept {
  try {
    if (!result.is_object()) return std::nullopt;
    const json* list = field(result, "jobs");
    if (!list || !list->is_array()) return std::nullopt;
    std::vector<JobStatus> out;
    for (const auto& item : *list) {
      auto job = job_status_from_json(item);
      if (!job) return std::nullopt;
      out.push_back(std::move(*job));
    }
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace supd::protocol
