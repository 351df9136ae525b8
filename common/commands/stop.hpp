// `stop`: stops the jobs and, with wait, answers once their processes are gone.
// ["all"] means every job; an empty list is refused (a forgotten name must not touch all).
//   params {"jobs": ["amsa"], "wait": true}   reply {"jobs": [JobStatus...]} of the jobs touched
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

struct Stop {
  static constexpr std::string_view kMethod = "stop";
  std::vector<std::string> jobs;
  bool wait = true;
  bool operator==(const Stop&) const = default;

  nlohmann::json params() const { return {{"jobs", jobs}, {"wait", wait}}; }
  static Stop decode(const Params& p) { return Stop{p.job_list(true), p.optional_bool("wait", true)}; }
  using Reply = JobsReply;
};

}  // namespace supd::protocol
