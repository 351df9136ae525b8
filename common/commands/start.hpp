// `start`: starts the jobs and, with wait, answers once they settle (running, or failed).
// ["all"] means every job; an empty list is refused (a forgotten name must not touch all).
//   params {"jobs": ["amsa"], "wait": true}   reply {"jobs": [JobStatus...]} of the jobs touched
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

struct Start {
  static constexpr std::string_view kMethod = "start";
  std::vector<std::string> jobs;
  bool wait = true;
  bool operator==(const Start&) const = default;

  nlohmann::json params() const { return {{"jobs", jobs}, {"wait", wait}}; }
  static Start decode(const Params& p) { return Start{p.job_list(true), p.optional_bool("wait", true)}; }
  using Reply = JobsReply;
};

}  // namespace supd::protocol
