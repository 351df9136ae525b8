#include "common/protocol.hpp"

#include <algorithm>

#include <array>
#include <climits>
#include <utility>

#include "common/signals.hpp"

namespace supd::protocol {
using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 17> kErrorCodes{{
    {ErrorCode::BadRequest, "bad_request"},
    {ErrorCode::UnknownMethod, "unknown_method"},
    {ErrorCode::UnknownJob, "unknown_job"},
    {ErrorCode::InvalidName, "invalid_name"},
    {ErrorCode::InvalidSignal, "invalid_signal"},
    {ErrorCode::NotRunning, "not_running"},
    {ErrorCode::StartFailed, "start_failed"},
    {ErrorCode::StopFailed, "stop_failed"},
    {ErrorCode::PermissionDenied, "permission_denied"},
    {ErrorCode::VersionMismatch, "version_mismatch"},
    {ErrorCode::TooLarge, "too_large"},
    {ErrorCode::ShuttingDown, "shutting_down"},
    {ErrorCode::Internal, "internal"},
    {ErrorCode::JobExists, "job_exists"},
    {ErrorCode::ConfigError, "config_error"},
    {ErrorCode::UpgradeFailed, "upgrade_failed"},
    {ErrorCode::TooManyConnections, "too_many_connections"},
}};

// nlohmann's parser recurses once per nesting level, so `[[[[...` 10000 deep could blow
// the stack. No real request nests more than a few levels; refuse deep ones before parsing.
constexpr std::size_t kMaxDepth = 64;

bool nested_too_deep(std::string_view line) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : line) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// One line of JSON; invalid UTF-8 (job output, file names) becomes U+FFFD instead of throwing.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The command whose kMethod is `name`, nullopt for an unknown method.
template <std::size_t I = 0>
std::optional<Command> decode_named(std::string_view name, const json& params) {
  if constexpr (I == std::variant_size_v<Command>) {
    return std::nullopt;
  } else {
    using T = std::variant_alternative_t<I, Command>;
    if (name == T::kMethod) return Command{T::decode(Params(params))};
    return decode_named<I + 1>(name, params);
  }
}

template <std::size_t... I>
bool is_method_of(std::string_view name, std::index_sequence<I...>) {
  return ((name == std::variant_alternative_t<I, Command>::kMethod) || ...);
}
bool is_method(std::string_view name) {
  return is_method_of(name, std::make_index_sequence<std::variant_size_v<Command>>{});
}

// Method names are unique: two commands with one name could never both be reached.
template <std::size_t I = 0, std::size_t J = I + 1>
constexpr bool method_names_unique() {
  if constexpr (I == std::variant_size_v<Command>) {
    return true;
  } else if constexpr (J == std::variant_size_v<Command>) {
    return method_names_unique<I + 1>();
  } else {
    return std::variant_alternative_t<I, Command>::kMethod != std::variant_alternative_t<J, Command>::kMethod &&
           method_names_unique<I, J + 1>();
  }
}
static_assert(method_names_unique());

// Echoing a hostile method name back is fine (the encoder escapes it), but keep it short.
std::string quoted_excerpt(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out = "'" + std::string(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "'";
}

RequestError bad_request(std::optional<std::uint64_t> id, std::string message) {
  return {id, {ErrorCode::BadRequest, std::move(message)}};
}

// Body of decode_request; ParamError and anything nlohmann throws are caught by the caller.
std::variant<Request, RequestError> decode_request_unchecked(std::string_view line) {
  if (line.size() > kMaxLineBytes)
    return RequestError{std::nullopt, {ErrorCode::TooLarge, "request line is over " +
                                                                std::to_string(kMaxLineBytes) + " bytes"}};
  if (line.find_first_not_of(" \t\r") == std::string_view::npos)
    return bad_request(std::nullopt, "empty request: send one JSON object per line");
  if (nested_too_deep(line))
    return bad_request(std::nullopt, "request nests deeper than " + std::to_string(kMaxDepth) + " levels");
  const json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad_request(std::nullopt, "request is not valid JSON");
  if (!doc.is_object()) return bad_request(std::nullopt, "request must be a JSON object");

  const json* id = field(doc, "id");
  if (!id) return bad_request(std::nullopt, "request has no \"id\" (a non-negative integer)");
  if (!id->is_number_unsigned()) return bad_request(std::nullopt, "\"id\" must be a non-negative integer");
  const auto request_id = id->get<std::uint64_t>();

  const json* method = field(doc, "method");
  if (!method || !method->is_string()) return bad_request(request_id, "\"method\" must be a string");
  const auto name = method->get<std::string>();
  static const json kNoParams = json::object();
  const json* params = field(doc, "params");
  if (!is_method(name))
    return RequestError{request_id, {ErrorCode::UnknownMethod, "unknown method " + quoted_excerpt(name)}};
  if (params && !params->is_object()) return bad_request(request_id, "\"params\" must be an object");
  try {
    return Request{request_id, *decode_named(name, params ? *params : kNoParams)};
  } catch (const ParamError& e) {
    return bad_request(request_id, e.message);
  }
}

}  // namespace

std::string_view wire_name(ErrorCode code) {
  for (const auto& [c, name] : kErrorCodes)
    if (c == code) return name;
  return "internal";
}

std::optional<ErrorCode> error_code_from_wire(std::string_view name) {
  for (const auto& [c, n] : kErrorCodes)
    if (n == name) return c;
  return std::nullopt;
}

std::string_view method_name(const Command& command) {
  return std::visit([](const auto& c) { return std::decay_t<decltype(c)>::kMethod; }, command);
}

std::variant<Request, RequestError> decode_request(std::string_view line) noexcept {
  try {
    return decode_request_unchecked(line);
  } catch (...) {  // bad_alloc or a surprise from the parser: still an answer, never a throw
    return RequestError{std::nullopt, {ErrorCode::Internal, "could not decode the request"}};
  }
}

std::string encode_request(const Request& request) {
  const json params = std::visit([](const auto& c) { return c.params(); }, request.command);
  return "{\"id\":" + std::to_string(request.id) + ",\"method\":\"" +
         std::string(method_name(request.command)) + "\",\"params\":" + dump(params) + "}\n";
}

// The envelope is written by hand so "id" comes first, as a human reading socat expects.
std::string encode_response(const Response& response) {
  if (const auto* error = std::get_if<Error>(&response.body)) return encode_error(response.id, *error);
  return "{\"id\":" + std::to_string(response.id) + ",\"ok\":true,\"result\":" +
         dump(std::get<json>(response.body)) + "}\n";
}

std::string encode_error(std::optional<std::uint64_t> id, const Error& error) {
  const json body = {{"code", wire_name(error.code)}, {"message", error.message}};
  return "{\"id\":" + (id ? std::to_string(*id) : std::string("null")) + ",\"ok\":false,\"error\":" +
         dump(body) + "}\n";
}

std::variant<Response, Error> decode_response(std::string_view line) noexcept {
  try {
    const Error malformed{ErrorCode::BadRequest, "malformed response from supd"};
    if (nested_too_deep(line)) return malformed;
    const json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return malformed;
    const json* ok = field(doc, "ok");
    const json* id = field(doc, "id");
    if (!ok || !ok->is_boolean() || !id) return malformed;
    if (ok->get<bool>()) {
      const json* result = field(doc, "result");
      if (!id->is_number_unsigned() || !result) return malformed;
      return Response{id->get<std::uint64_t>(), *result};
    }
    const json* err = field(doc, "error");
    if (!err || !err->is_object()) return malformed;
    const json* code = field(*err, "code");
    const json* message = field(*err, "message");
    if (!code || !code->is_string() || (message && !message->is_string())) return malformed;
    // A newer supd may know codes we don't: keep its message, call it internal.
    Error e{error_code_from_wire(code->get<std::string>()).value_or(ErrorCode::Internal),
            message ? message->get<std::string>() : std::string()};
    // "id": null answers a request supd could not read: hand the client the error itself.
    if (id->is_null()) return e;
    if (!id->is_number_unsigned()) return malformed;
    return Response{id->get<std::uint64_t>(), std::move(e)};
  } catch (...) {
    return Error{ErrorCode::Internal, "could not decode the response"};
  }
}

FrameBuilder::FrameBuilder(std::uint64_t id, std::string list_key, json head, std::size_t budget)
    : id_(id), key_(std::move(list_key)), head_(std::move(head)), budget_(budget) {
  if (!head_.is_object()) head_ = json::object();
  bytes_ = dump(head_).size();
}

std::optional<std::string> FrameBuilder::add(json item) {
  std::string text = dump(item);
  const std::size_t size = text.size() + 1;  // and its comma
  std::optional<std::string> done;
  if (!items_.empty() && bytes_ + size > budget_) done = frame(true);
  bytes_ += size;
  if (!items_.empty()) items_ += ',';
  items_ += text;
  return done;
}

std::string FrameBuilder::finish() { return frame(false); }

std::string FrameBuilder::frame(bool more) {
  json result = first_ ? std::move(head_) : json::object();
  first_ = false;
  // A one-string array stands in for the items, and its text is then replaced by theirs. The
  // placeholder's quotes are JSON's own (inside a string value every quote is escaped), so
  // `"key":["\u0001items\u0001"]` is found where the array is and nowhere else.
  constexpr const char* kItems = "\x01items\x01";
  static const std::string array = dump(json::array({kItems}));  // made once
  result[key_] = json::array({kItems});
  if (more) result["more"] = true;
  bytes_ = 0;
  std::string line = encode_response({id_, std::move(result)});
  const std::string member = dump(json(key_)) + ":" + array;
  const auto at = line.find(member) + member.size() - array.size();
  line.replace(at, array.size(), "[" + std::exchange(items_, std::string()) + "]");
  return line;
}

std::vector<std::string> encode_frames(std::uint64_t id, const json& result, const std::string& list_key,
                                       std::size_t budget) {
  const auto list = result.is_object() ? result.find(list_key) : result.end();
  if (list == result.end() || !list->is_array()) return {encode_response({id, result})};
  json head = result;
  head.erase(list_key);
  FrameBuilder frames(id, list_key, std::move(head), budget);
  std::vector<std::string> out;
  for (const auto& item : *list)
    if (auto frame = frames.add(item)) out.push_back(std::move(*frame));
  out.push_back(frames.finish());
  return out;
}

bool has_more(const json& result) {
  if (!result.is_object()) return false;
  const auto it = result.find("more");
  return it != result.end() && it->is_boolean() && it->get<bool>();
}

void merge_frame(json& whole, json part) {
  if (!part.is_object()) return;
  if (!whole.is_object()) whole = json::object();
  for (auto& [key, value] : part.items()) {
    if (key == "more") continue;
    const auto have = whole.find(key);
    if (have == whole.end()) {
      whole[key] = std::move(value);
    } else if (have->is_array() && value.is_array()) {
      for (auto& item : value) have->push_back(std::move(item));
    }
  }
}

bool is_valid_job_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == ".." || name.front() == '-')
    return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool is_valid_instance_name(std::string_view name) {
  const auto at = name.rfind('@');
  if (at == std::string_view::npos) return is_valid_job_name(name);
  const auto index = name.substr(at + 1);
  return is_valid_job_name(name.substr(0, at)) && !index.empty() && index.size() <= 5 &&
         std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace supd::protocol
