// `status`: one row per job (all of them when `jobs` is empty or ["all"]).
//   params {"jobs": ["amsa"]}   reply {"jobs": [JobStatus...]}, in frames when long
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

struct Status {
  static constexpr std::string_view kMethod = "status";
  std::vector<std::string> jobs;
  bool operator==(const Status&) const = default;

  nlohmann::json params() const { return {{"jobs", jobs}}; }
  static Status decode(const Params& p) { return Status{p.job_list(false)}; }
  using Reply = JobsReply;
};

}  // namespace supd::protocol
