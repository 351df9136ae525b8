#include "ctl/stream.hpp"

#include "ctl/exit_codes.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {

int stream_replies(Session& session, bool follow, std::optional<std::string> (*as_json)(std::string_view line),
                   const StreamWords& words) {
  auto client = session.connect();
  auto reply = client.call(session.cli.command, session.limits.request);
  bool first = true;
  for (;;) {
    if (const auto* error = std::get_if<protocol::Error>(&reply.response.body))
      return session.fail(kFailed, error_text(*error));
    const auto& result = std::get<nlohmann::json>(reply.response.body);
    const auto text = session.cli.options.json ? as_json(reply.line) : render_result(session.cli.command, result);
    if (!text) return session.fail(kFailed, words.unreadable);
    if (const int code = session.print(*text); code != kOk) return code;
    if (words.note && !session.cli.options.json) {
      if (const auto note = words.note(result)) {
        session.err << "supctl: " << *note << '\n';
        session.err.flush();
      }
    }
    const bool more = protocol::has_more(result);
    // The first piece is all of a plain read's text when it is the last, and the tail a
    // follow begins with: empty, the user is told why that may be.
    if (first && text->empty() && (!more || follow) && !words.empty.empty() && !session.cli.options.json) {
      session.err << "supctl: " << words.empty << '\n';
      session.err.flush();
    }
    first = false;
    if (!more) return kOk;
    // A follow waits as long as it takes; a plain read comes at once.
    auto next = client.next(follow ? Timeout{} : Timeout{kDefaultTimeout});
    if (!next) {
      if (!follow) return session.fail(kFailed, words.cut);
      // No {"eof": true}: supd died, or cut this follower off for falling too far behind.
      return session.fail(kOk, words.ended);
    }
    reply = std::move(*next);
  }
}

}  // namespace supd::ctl
