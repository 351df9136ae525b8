// The answers that come as a stream (`logs`, `events`): each piece printed as it arrives,
// until the piece without "more": true, or, for a follow, until supd goes away (exit 0: a
// follow ends with supd).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "ctl/session.hpp"

namespace supd::ctl {

// How a stream's messages name what it carries.
struct StreamWords {
  std::string_view unreadable;  // a piece supctl cannot read
  std::string_view cut;         // supd hung up before the last piece of a plain read
  std::string_view ended;       // a follow ended without supd's end mark
  // Said on stderr (not with --json) when the first piece is empty: why there may be nothing.
  std::string_view empty = {};
  // What a piece says to the person rather than the output (on stderr, not with --json).
  std::optional<std::string> (*note)(const nlohmann::json& result) = nullptr;
};

// Sends the session's command and prints its stream: each piece rendered by the command's
// file, or with --json by `as_json` from the raw line. Throws ClientFailure.
int stream_replies(Session& session, bool follow, std::optional<std::string> (*as_json)(std::string_view line),
                   const StreamWords& words);

}  // namespace supd::ctl
