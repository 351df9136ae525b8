// `logs`: the last `lines` lines of the job's log (its stderr file with from_stderr), then
// with `follow` its new output as supd writes it. With `reopen` (no job): reopen every log
// file. `timestamps` prefixes each line with its time (from the side index); `since_ms`
// keeps only lines written at or after that time (unix ms), then the last `lines` of them.
//   params {"job", "lines", "follow", "stderr", "reopen", "timestamps", "since"}
//   reply  a stream of {"text": "...", "more": true} pieces, the last without "more"; a follow
//          ends with {"eof": true} when supd shuts down; reopen answers {"reopened": N}; a
//          follow that fell so far behind that lines were rotated away before it read them
//          gets {"skipped": BYTES, "more": true} where they were
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/command_params.hpp"

namespace supd::protocol {

struct Logs {
  static constexpr std::string_view kMethod = "logs";
  std::string job;
  int lines = 10;
  bool follow = false;
  bool from_stderr = false;
  bool reopen = false;
  bool timestamps = false;
  std::optional<std::int64_t> since_ms = std::nullopt;
  bool operator==(const Logs&) const = default;

  nlohmann::json params() const {
    nlohmann::json p = {{"lines", lines}, {"follow", follow}, {"stderr", from_stderr}, {"reopen", reopen}};
    if (!reopen || !job.empty()) p["job"] = job;
    if (timestamps) p["timestamps"] = true;
    if (since_ms) p["since"] = *since_ms;
    return p;
  }
  static Logs decode(const Params& p) {
    Logs logs;
    logs.reopen = p.optional_bool("reopen", false);
    if (!logs.reopen || p.present("job")) logs.job = p.required_string("job");
    logs.lines = p.optional_count("lines", 10);
    logs.follow = p.optional_bool("follow", false);
    logs.from_stderr = p.optional_bool("stderr", false);
    logs.timestamps = p.optional_bool("timestamps", false);
    logs.since_ms = p.optional_int64("since", "a time in unix milliseconds");
    return logs;
  }

  // One piece of the stream: text, the reopen count, or the end mark.
  struct Reply {
    std::optional<std::string> text;
    std::optional<int> reopened;
    bool eof = false;
    bool more = false;  // more pieces follow
    std::optional<std::int64_t> skipped = std::nullopt;  // bytes no longer on disk when reached
    bool operator==(const Reply&) const = default;
    nlohmann::json to_json() const {
      nlohmann::json j = nlohmann::json::object();
      if (text) j["text"] = *text;
      if (reopened) j["reopened"] = *reopened;
      if (skipped) j["skipped"] = *skipped;
      if (eof) j["eof"] = true;
      if (more) j["more"] = true;
      return j;
    }
    static std::optional<Reply> from_json(const nlohmann::json& j) {
      const ReplyFields f(j);
      Reply r{f.string("text"), f.int32("reopened"), f.has("eof"), f.boolean("more").value_or(false),
              f.integer("skipped")};
      if (!r.text && !r.reopened && !r.eof && !r.skipped) return std::nullopt;
      return r;
    }
  };
};

}  // namespace supd::protocol
