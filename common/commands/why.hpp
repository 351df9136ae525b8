// `why`: the post-mortem of the job's last exit, with its state now and its last lines.
//   params {"job": "amsa"}
//   reply  {"job", "exited": bool, "exit": exit object | null, "exit_pid", "exited_at" (UTC),
//           "uptime_s", "cause": {"kind", "text", "who": origin | null} | null, "restarts",
//           "state", "pid", "reason", "error", "next_try_s", "directory", "last_lines": [...]}
//           (null when unknown). last_lines are the exited run's own last lines when supd saw
//           that run start; else the log's last lines.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/command_params.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

struct Why {
  static constexpr std::string_view kMethod = "why";
  std::string job;
  bool operator==(const Why&) const = default;

  nlohmann::json params() const { return {{"job", job}}; }
  static Why decode(const Params& p) { return Why{p.required_string("job")}; }

  struct Cause {
    std::string kind;
    std::string text;
    nlohmann::json who;  // an event origin (common/event.hpp), or null
    bool operator==(const Cause&) const = default;
  };
  struct Reply {
    std::string job;
    std::optional<common::ExitStatus> exit;  // set when it has exited since supd started it
    std::optional<int> exit_pid;
    std::optional<std::string> exited_at;
    std::optional<double> uptime_s;
    std::optional<Cause> cause;
    int restarts = 0;
    std::string state;
    std::optional<int> pid;
    std::string reason;
    std::optional<std::string> error;
    std::optional<double> next_try_s;
    std::optional<std::string> directory;  // where the run that exited ran
    std::vector<std::string> last_lines;
    bool operator==(const Reply&) const = default;

    nlohmann::json to_json() const {
      nlohmann::json r = nlohmann::json::object();
      r["job"] = job;
      r["exited"] = exit.has_value();
      r["exit"] = exit ? exit_to_json(*exit) : nlohmann::json(nullptr);
      r["exit_pid"] = or_null(exit_pid);
      r["exited_at"] = or_null(exited_at);
      r["uptime_s"] = or_null(uptime_s);
      r["cause"] = cause ? nlohmann::json{{"kind", cause->kind}, {"text", cause->text}, {"who", cause->who}}
                         : nlohmann::json(nullptr);
      r["restarts"] = restarts;
      r["state"] = state;
      r["pid"] = or_null(pid);
      r["reason"] = reason;
      r["error"] = or_null(error);
      r["next_try_s"] = or_null(next_try_s);
      r["directory"] = or_null(directory);
      r["last_lines"] = last_lines;
      return r;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      auto job = f.string("job");
      if (!job || !f.has("exited")) return std::nullopt;
      Reply r;
      r.job = std::move(*job);
      if (f.boolean("exited").value_or(false))
        if (const auto* e = f.get("exit")) r.exit = exit_from_json(*e);
      r.exit_pid = f.int32("exit_pid");
      r.exited_at = f.string("exited_at");
      r.uptime_s = f.number("uptime_s");
      if (const auto* c = f.get("cause"); c != nullptr && c->is_object()) {
        const ReplyFields cause(*c);
        if (auto text = cause.string("text"))
          r.cause = Cause{cause.string("kind").value_or(""), std::move(*text), c->value("who", nlohmann::json())};
      }
      r.restarts = f.int32("restarts").value_or(0);
      r.state = f.string("state").value_or("");
      r.pid = f.int32("pid");
      r.reason = f.string("reason").value_or("");
      r.error = f.string("error");
      r.next_try_s = f.number("next_try_s");
      r.directory = f.string("directory");
      r.last_lines = f.strings("last_lines");
      return r;
    }
  };
};

}  // namespace supd::protocol
