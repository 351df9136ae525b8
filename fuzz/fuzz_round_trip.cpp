// Fuzz target: the protocol from the typed side. The input builds a Request (any method, any
// field values) and a response (an error, or a status result of JobStatus rows, or any JSON
// result); each is encoded and decoded again. fuzz_protocol starts from wire bytes (decode,
// encode, decode); this one reaches values random bytes rarely spell, e.g. strings with
// quotes, escapes and U+0000, ids near 2^64, negative counts.
//   Every command's own codec (whatever commands exist): what decode() reads from its params
//   encodes back to the same request, and what Reply::from_json reads to the same reply.
//   A request the wire can carry decodes to the same request, and its encoding is canonical.
//   One it cannot (a NUL in a string, an empty job list for start/stop/restart, a negative
//   count, an empty command or a bad variable name for run) is refused as bad_request, with
//   its id; never mis-read as something else. Invalid UTF-8 travels as U+FFFD (by design),
//   so such requests only have to decode and then re-encode stably (or, when two `run`
//   variable names merged that way, be refused).
#include <climits>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/protocol.hpp"
#include "fuzz/fuzz_check.hpp"
#include "fuzz/fuzz_input.hpp"

namespace proto = supd::protocol;
using nlohmann::json;
using supd::fuzz::FuzzInput;

namespace {

bool one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1; }
std::string_view unterminated(const std::string& wire) { return std::string_view(wire).substr(0, wire.size() - 1); }

// A strict dump throws on invalid UTF-8 where the wire's replaces it.
bool utf8_clean(const json& j) {
  try {
    (void)j.dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

// ---- requests --------------------------------------------------------------------------

struct Domain {
  bool ok = true;     // the request fits what the decoder accepts
  bool clean = true;  // every string is valid UTF-8, so nothing is replaced on the way
  // Two `run` variable names that differ only in invalid bytes become one name on the wire,
  // and JSON keeps the last value: whatever made the first one unacceptable may be gone.
  bool keys_clean = true;
  void string(const std::string& s) {
    ok = ok && s.find('\0') == std::string::npos;
    clean = clean && utf8_clean(json(s));
  }
};

std::vector<std::string> jobs(FuzzInput& in, Domain& d, bool required) {
  std::vector<std::string> out(in.byte() % 4);
  for (auto& j : out) d.string(j = in.byte() % 8 == 0 ? std::string("all") : in.string());
  if (required && out.empty()) d.ok = false;
  return out;
}

proto::Command command(FuzzInput& in, Domain& d) {
  const auto str = [&](std::size_t max = 32) {
    std::string s = in.string(max);
    d.string(s);
    return s;
  };
  switch (in.byte() % std::variant_size_v<proto::Command>) {
  case 0: return proto::Hello{in.integer<int>()};
  case 1: return proto::Status{jobs(in, d, false)};
  case 2: { auto j = jobs(in, d, true); return proto::Start{std::move(j), in.flag()}; }
  case 3: { auto j = jobs(in, d, true); return proto::Stop{std::move(j), in.flag()}; }
  case 4: { auto j = jobs(in, d, true); return proto::Restart{std::move(j), in.flag()}; }
  case 5: { auto job = str(); auto sig = str(); return proto::SignalJob{std::move(job), std::move(sig), in.flag()}; }
  case 6: return proto::Pid{str()};
  case 7: return proto::Shutdown{in.flag()};
  case 8: {
    proto::Logs l;
    l.reopen = in.flag();
    l.job = in.string();
    if (!l.reopen || !l.job.empty()) d.string(l.job);  // sent only then (reopen needs no job)
    l.lines = in.integer<int>();
    d.ok = d.ok && l.lines >= 0;
    l.follow = in.flag();
    l.from_stderr = in.flag();
    l.timestamps = in.flag();
    if (in.flag()) l.since_ms = in.integer<std::int64_t>();
    return l;
  }
  case 9: return proto::Reload{in.flag(), in.flag()};
  case 10: {
    proto::Run r;
    r.name = str();
    r.argv.resize(in.byte() % 4);
    for (auto& a : r.argv) a = str();
    d.ok = d.ok && !r.argv.empty();
    r.directory = str();
    for (int n = in.byte() % 4; n > 0; --n) {
      std::string key = in.string(8);
      r.environment[std::move(key)] = in.string();  // a repeated name replaces the value
    }
    for (const auto& [key, value] : r.environment) {
      d.ok = d.ok && !key.empty() && key.find_first_of(std::string_view("=\0", 2)) == std::string::npos;
      d.keys_clean = d.keys_clean && utf8_clean(json(key));
      d.clean = d.clean && d.keys_clean;
      d.string(value);
    }
    if (in.flag()) r.restart = str();
    if (in.flag()) r.stdout_file = str();
    r.wait = in.flag();
    return r;
  }
  case 11: return proto::Persist{str()};
  case 12: {
    proto::Events e;
    if (in.flag()) e.job = str();
    e.follow = in.flag();
    if (in.flag()) {
      e.limit = in.integer<int>();
      d.ok = d.ok && *e.limit >= 0;
    }
    return e;
  }
  case 13: return proto::Why{str()};
  case 14: { auto job = str(); return proto::Remove{std::move(job), in.flag()}; }
  case 15: { auto format = str(); return proto::Export{std::move(format), jobs(in, d, true)}; }
  case 16: { auto list = jobs(in, d, false); return proto::Stats{std::move(list), in.flag()}; }
  default: return proto::Upgrade{};
  }
}

void check_request(FuzzInput& in) {
  Domain domain;
  const proto::Request request{in.integer<std::uint64_t>(), command(in, domain)};
  const std::string wire = proto::encode_request(request);
  FUZZ_CHECK(one_line(wire));
  const auto decoded = proto::decode_request(unterminated(wire));
  if (!domain.ok) {
    const auto* refused = std::get_if<proto::RequestError>(&decoded);
    if (refused != nullptr || domain.keys_clean) {
      FUZZ_CHECK(refused != nullptr);
      FUZZ_CHECK(refused->id == request.id);
      FUZZ_CHECK(refused->error.code == proto::ErrorCode::BadRequest);
      return;
    }
  }
  const auto* back = std::get_if<proto::Request>(&decoded);
  FUZZ_CHECK(back != nullptr);
  const std::string again = proto::encode_request(*back);
  FUZZ_CHECK(utf8_clean(json::parse(unterminated(again))));
  if (domain.clean) {
    FUZZ_CHECK(*back == request);
    FUZZ_CHECK(again == wire);
  } else {  // replaced once, stable after that
    const auto third = proto::decode_request(unterminated(again));
    FUZZ_CHECK(std::holds_alternative<proto::Request>(third));
    FUZZ_CHECK(proto::encode_request(std::get<proto::Request>(third)) == again);
  }
}

// ---- responses -------------------------------------------------------------------------

double finite(FuzzInput& in) {
  const double v = static_cast<double>(in.integer<std::int64_t>()) / (1 + in.byte());
  return std::isfinite(v) ? v : 0.0;
}

supd::common::ExitStatus exit_status(FuzzInput& in) {
  switch (in.byte() % 3) {
  case 0: return supd::common::ExitStatus::exited(in.integer<int>());
  case 1: return supd::common::ExitStatus::killed(1 + in.byte() % SIGRTMAX, in.flag());
  default: return supd::common::ExitStatus::unknown_adopted();
  }
}

proto::JobStatus job_status(FuzzInput& in) {
  proto::JobStatus s;
  s.name = in.string();
  s.state = in.string(12);
  if (in.flag()) s.pid = in.integer<int>();
  if (in.flag()) s.uptime_s = finite(in);
  s.restarts = in.integer<int>();
  if (in.flag()) s.last_exit = exit_status(in);
  if (in.flag()) s.error = in.string();
  if (in.flag()) s.origin = in.string(8);
  if (in.flag()) s.next_try_s = finite(in);
  if (in.flag()) s.status_text = in.string();
  return s;
}

json any_json(FuzzInput& in, int depth) {
  switch (in.byte() % (depth > 0 ? 8 : 6)) {
  case 0: return nullptr;
  case 1: return in.flag();
  case 2: return in.integer<std::int64_t>();
  case 3: return in.integer<std::uint64_t>();
  case 4: return finite(in);
  case 5: return in.string();
  case 6: {
    json a = json::array();
    for (int n = in.byte() % 4; n > 0; --n) a.push_back(any_json(in, depth - 1));
    return a;
  }
  default: {
    json o = json::object();
    for (int n = in.byte() % 4; n > 0; --n) o[in.string(8)] = any_json(in, depth - 1);
    return o;
  }
  }
}

// ---- every command by its own codec ------------------------------------------------------
// A new command is covered here with no line added: its default request's and reply's keys,
// given random values (or dropped), must decode and encode back to the same value.

json random_members(FuzzInput& in, const json& shape) {
  json out = json::object();
  if (!shape.is_object()) return out;
  for (const auto& [key, value] : shape.items()) {
    switch (in.byte() % 4) {
    case 0: break;                                     // left out
    case 1: out[key] = value; break;                   // as the default has it
    default: out[key] = any_json(in, 2); break;        // anything
    }
  }
  return out;
}

template <class T>
void check_codec(FuzzInput& in) {
  try {
    const T request = T::decode(proto::Params(random_members(in, T{}.params())));
    FUZZ_CHECK(T::decode(proto::Params(request.params())) == request);
  } catch (const proto::ParamError&) {
  }
  if (const auto reply = T::Reply::from_json(random_members(in, typename T::Reply{}.to_json())))
    FUZZ_CHECK(T::Reply::from_json(reply->to_json()) == reply);
}

template <std::size_t I = 0>
void check_codec_of(std::size_t index, FuzzInput& in) {
  if constexpr (I < std::variant_size_v<proto::Command>) {
    if (index == I) return check_codec<std::variant_alternative_t<I, proto::Command>>(in);
    check_codec_of<I + 1>(index, in);
  }
}

void check_response(FuzzInput& in) {
  const std::uint64_t id = in.integer<std::uint64_t>();
  const int kind = in.byte() % 4;
  if (kind < 2) {  // an error, with or without an id
    const proto::Error error{static_cast<proto::ErrorCode>(in.byte() % 16), in.string()};
    const bool with_id = kind == 0;
    const std::string wire = with_id ? proto::encode_response({id, error}) : proto::encode_error(std::nullopt, error);
    FUZZ_CHECK(one_line(wire));
    const auto decoded = proto::decode_response(unterminated(wire));
    const proto::Error* back = nullptr;
    if (with_id) {
      const auto* response = std::get_if<proto::Response>(&decoded);
      FUZZ_CHECK(response != nullptr && response->id == id);
      back = std::get_if<proto::Error>(&response->body);
    } else {
      back = std::get_if<proto::Error>(&decoded);
    }
    FUZZ_CHECK(back != nullptr);
    FUZZ_CHECK(back->code == error.code);
    if (utf8_clean(json(error.message))) FUZZ_CHECK(back->message == error.message);
    return;
  }
  std::vector<proto::JobStatus> rows;
  if (kind == 2)
    for (int n = in.byte() % 4; n > 0; --n) rows.push_back(job_status(in));
  const json result = kind == 2 ? proto::jobs_result(rows) : any_json(in, 4);
  const std::string wire = proto::encode_response({id, result});
  FUZZ_CHECK(one_line(wire));
  const auto decoded = proto::decode_response(unterminated(wire));
  const auto* response = std::get_if<proto::Response>(&decoded);
  FUZZ_CHECK(response != nullptr && response->id == id && response->ok());
  const json& body = std::get<json>(response->body);
  if (!utf8_clean(result)) return;  // replaced on the wire, by design
  FUZZ_CHECK(body == result);
  if (kind == 2) FUZZ_CHECK(proto::parse_jobs_result(body) == rows);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  switch (in.byte() % 3) {
  case 0: check_request(in); break;
  case 1: check_response(in); break;
  default: check_codec_of(in.byte() % std::variant_size_v<proto::Command>, in); break;
  }
  return 0;
}
