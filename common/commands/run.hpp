// `run`: an ad-hoc job, started at once (the `nohup CMD &` replacement); with wait, answered
// once it settles. supctl sends argv (no shell) and an absolute directory.
//   params {"name", "command": [argv...], "directory", "environment": {K: V}, "restart",
//           "stdout", "wait"}
//   reply  {"jobs": [JobStatus]}
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

struct Run {
  static constexpr std::string_view kMethod = "run";
  std::string name;
  std::vector<std::string> argv;
  std::string directory;
  std::map<std::string, std::string> environment;
  std::optional<std::string> restart;      // "always" | "on-failure" | "never"
  std::optional<std::string> stdout_file;  // relative to log_dir
  bool wait = true;
  bool operator==(const Run&) const = default;

  nlohmann::json params() const {
    nlohmann::json p = {{"name", name}, {"command", argv}, {"directory", directory},
                        {"environment", environment}, {"wait", wait}};
    if (restart) p["restart"] = *restart;
    if (stdout_file) p["stdout"] = *stdout_file;
    return p;
  }
  static Run decode(const Params& p) {
    Run r;
    r.name = p.required_string("name");
    r.argv = p.string_array("command");
    r.directory = p.required_string("directory");
    for (auto& [k, v] : p.string_map("environment")) r.environment[k] = std::move(v);
    r.restart = p.optional_string("restart");
    r.stdout_file = p.optional_string("stdout");
    r.wait = p.optional_bool("wait", true);
    return r;
  }
  using Reply = JobsReply;
};

}  // namespace supd::protocol
