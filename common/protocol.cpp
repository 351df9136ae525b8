#include "common/protocol.hpp"

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

// Thrown only inside decode_request and caught there: the first bad field ends decoding.
struct FieldError {
  std::string message;
};

const json* field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string checked_string(const json& v, const std::string& name) {
  if (!v.is_string()) throw FieldError{name + " must be a string"};
  auto s = v.get<std::string>();
  // A C API further down would silently cut "amsa\0x" to "amsa"; refuse it whole.
  if (s.find('\0') != std::string::npos) throw FieldError{name + " must not contain NUL bytes"};
  return s;
}

std::string required_string(const json& params, const char* key) {
  const json* v = field(params, key);
  if (!v) throw FieldError{std::string("params.") + key + " is required"};
  return checked_string(*v, std::string("params.") + key);
}

bool optional_bool(const json& params, const char* key, bool fallback) {
  const json* v = field(params, key);
  if (!v) return fallback;
  if (!v->is_boolean()) throw FieldError{std::string("params.") + key + " must be true or false"};
  return v->get<bool>();
}

int optional_count(const json& params, const char* key, int fallback) {
  const json* v = field(params, key);
  if (!v) return fallback;
  if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<std::int64_t>() < 0) ||
      (v->is_number_unsigned() && v->get<std::uint64_t>() > INT_MAX))
    throw FieldError{std::string("params.") + key + " must be an integer >= 0"};
  return static_cast<int>(v->get<std::int64_t>());
}

std::vector<std::string> job_list(const json& params, bool required) {
  const json* v = field(params, "jobs");
  if (!v) {
    if (required) throw FieldError{"params.jobs is required (a non-empty array of job names)"};
    return {};
  }
  if (!v->is_array()) throw FieldError{"params.jobs must be an array of strings"};
  if (required && v->empty()) throw FieldError{"params.jobs must name at least one job"};
  std::vector<std::string> jobs;
  for (const auto& item : *v) {
    if (!item.is_string()) throw FieldError{"params.jobs must be an array of strings"};
    jobs.push_back(checked_string(item, "params.jobs"));
  }
  return jobs;
}

// The signal travels as text ("USR1", "10"); a JSON integer is accepted as its digits.
std::string signal_text(const json& params) {
  const json* v = field(params, "signal");
  if (!v) throw FieldError{"params.signal is required"};
  if (v->is_number_unsigned()) return std::to_string(v->get<std::uint64_t>());
  if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
  if (!v->is_string()) throw FieldError{"params.signal must be a string or an integer"};
  return checked_string(*v, "params.signal");
}

int protocol_version(const json& params) {
  const json* v = field(params, "protocol");
  if (!v) return kProtocolVersion;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() <= INT_MAX)
    return static_cast<int>(v->get<std::uint64_t>());
  if (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() >= INT_MIN)
    return static_cast<int>(v->get<std::int64_t>());
  throw FieldError{"params.protocol must be an integer"};
}

std::optional<std::string> optional_string(const json& params, const char* key) {
  const json* v = field(params, key);
  if (!v || v->is_null()) return std::nullopt;
  return checked_string(*v, std::string("params.") + key);
}

Run decode_run(const json& p) {
  Run r;
  r.name = required_string(p, "name");
  const json* cmd = field(p, "command");
  if (!cmd || !cmd->is_array() || cmd->empty())
    throw FieldError{"params.command must be a non-empty array of strings"};
  for (const auto& word : *cmd) r.argv.push_back(checked_string(word, "params.command"));
  r.directory = required_string(p, "directory");
  if (const json* env = field(p, "environment"); env && !env->is_null()) {
    if (!env->is_object()) throw FieldError{"params.environment must be an object of strings"};
    for (const auto& [k, v] : env->items()) {
      if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
        throw FieldError{"params.environment: a variable name must be non-empty, without '=' or NUL"};
      r.environment[k] = checked_string(v, "params.environment." + k);
    }
  }
  r.restart = optional_string(p, "restart");
  r.stdout_file = optional_string(p, "stdout");
  r.wait = optional_bool(p, "wait", true);
  return r;
}

// One decoder per command type: a command without one does not compile (decode_named).
template <class T> struct As {};
Hello decode(const json& p, As<Hello>) { return Hello{protocol_version(p)}; }
Status decode(const json& p, As<Status>) { return Status{job_list(p, false)}; }
Start decode(const json& p, As<Start>) { return Start{job_list(p, true), optional_bool(p, "wait", true)}; }
Stop decode(const json& p, As<Stop>) { return Stop{job_list(p, true), optional_bool(p, "wait", true)}; }
Restart decode(const json& p, As<Restart>) { return Restart{job_list(p, true), optional_bool(p, "wait", true)}; }
SignalJob decode(const json& p, As<SignalJob>) {
  auto job = required_string(p, "job");
  auto sig = signal_text(p);
  return SignalJob{std::move(job), std::move(sig), optional_bool(p, "group", false)};
}
Pid decode(const json& p, As<Pid>) { return Pid{required_string(p, "job")}; }
Shutdown decode(const json& p, As<Shutdown>) { return Shutdown{optional_bool(p, "leave_running", false)}; }
Reload decode(const json& p, As<Reload>) { return Reload{optional_bool(p, "dry_run", false)}; }
Run decode(const json& p, As<Run>) { return decode_run(p); }
Persist decode(const json& p, As<Persist>) { return Persist{required_string(p, "job")}; }
Events decode(const json& p, As<Events>) {
  Events ev;
  if (field(p, "job") && !field(p, "job")->is_null()) ev.job = required_string(p, "job");
  ev.follow = optional_bool(p, "follow", false);
  if (field(p, "limit") && !field(p, "limit")->is_null()) ev.limit = optional_count(p, "limit", 0);
  return ev;
}
Why decode(const json& p, As<Why>) { return Why{required_string(p, "job")}; }
Upgrade decode(const json&, As<Upgrade>) { return Upgrade{}; }
Logs decode(const json& p, As<Logs>) {
  Logs logs;
  logs.reopen = optional_bool(p, "reopen", false);
  if (!logs.reopen || field(p, "job")) logs.job = required_string(p, "job");
  logs.lines = optional_count(p, "lines", 10);
  logs.follow = optional_bool(p, "follow", false);
  logs.from_stderr = optional_bool(p, "stderr", false);
  logs.timestamps = optional_bool(p, "timestamps", false);
  if (const json* since = field(p, "since"); since && !since->is_null()) {
    if (!since->is_number_integer()) throw FieldError{"params.since must be a time in unix milliseconds"};
    logs.since_ms = since->get<std::int64_t>();
  }
  return logs;
}

// The command whose kMethod is `name`, nullopt for an unknown method.
template <std::size_t I = 0>
std::optional<Command> decode_named(std::string_view name, const json& params) {
  if constexpr (I == std::variant_size_v<Command>) {
    return std::nullopt;
  } else {
    using T = std::variant_alternative_t<I, Command>;
    if (name == T::kMethod) return Command{decode(params, As<T>{})};
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

json params_of(const Hello& c) { return {{"protocol", c.protocol}}; }
json params_of(const Status& c) { return {{"jobs", c.jobs}}; }
json params_of(const Start& c) { return {{"jobs", c.jobs}, {"wait", c.wait}}; }
json params_of(const Stop& c) { return {{"jobs", c.jobs}, {"wait", c.wait}}; }
json params_of(const Restart& c) { return {{"jobs", c.jobs}, {"wait", c.wait}}; }
json params_of(const SignalJob& c) { return {{"job", c.job}, {"signal", c.signal}, {"group", c.group}}; }
json params_of(const Pid& c) { return {{"job", c.job}}; }
json params_of(const Shutdown& c) {
  return c.leave_running ? json{{"leave_running", true}} : json::object();  // as before when false
}
json params_of(const Upgrade&) { return json::object(); }
json params_of(const Logs& c) {
  json p = {{"lines", c.lines}, {"follow", c.follow}, {"stderr", c.from_stderr}, {"reopen", c.reopen}};
  if (!c.reopen || !c.job.empty()) p["job"] = c.job;
  if (c.timestamps) p["timestamps"] = true;
  if (c.since_ms) p["since"] = *c.since_ms;
  return p;
}

json params_of(const Reload& c) { return {{"dry_run", c.dry_run}}; }
json params_of(const Run& c) {
  json p = {{"name", c.name}, {"command", c.argv}, {"directory", c.directory},
            {"environment", c.environment}, {"wait", c.wait}};
  if (c.restart) p["restart"] = *c.restart;
  if (c.stdout_file) p["stdout"] = *c.stdout_file;
  return p;
}
json params_of(const Persist& c) { return {{"job", c.job}}; }
json params_of(const Events& c) {
  json p = {{"follow", c.follow}};
  if (c.job) p["job"] = *c.job;
  if (c.limit) p["limit"] = *c.limit;
  return p;
}
json params_of(const Why& c) { return {{"job", c.job}}; }

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

// Body of decode_request; FieldError and anything nlohmann throws are caught by the caller.
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
  } catch (const FieldError& e) {
    return bad_request(request_id, e.message);
  }
}

std::optional<int> as_int(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= INT_MAX) return static_cast<int>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= INT_MIN && i <= INT_MAX) return static_cast<int>(i);
  }
  return std::nullopt;
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
  const json params = std::visit([](const auto& c) { return params_of(c); }, request.command);
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

json exit_to_json(const common::ExitStatus& e) {
  json j = json::object();
  j["code"] = e.signaled || e.unknown ? json(nullptr) : json(e.code);  // both null: unknown (adopted)
  if (e.signaled) {
    const auto name = common::signal_name(e.signal);
    j["signal"] = name.empty() ? std::to_string(e.signal) : name;  // digits still parse back
  } else {
    j["signal"] = nullptr;
  }
  j["core_dumped"] = e.core_dumped;
  j["description"] = common::describe(e);
  return j;
}

std::optional<common::ExitStatus> exit_from_json(const json& j) noexcept {
  try {
  if (!j.is_object()) return std::nullopt;
  bool core = false;
  if (const json* c = field(j, "core_dumped"); c && !c->is_null()) {
    if (!c->is_boolean()) return std::nullopt;
    core = c->get<bool>();
  }
  if (const json* s = field(j, "signal"); s && !s->is_null()) {
    if (!s->is_string()) return std::nullopt;
    const auto signo = common::parse_signal(s->get<std::string>());
    if (!signo) return std::nullopt;
    return common::ExitStatus::killed(*signo, core);
  }
  const json* code = field(j, "code");
  if (!code) return std::nullopt;
  if (code->is_null()) return common::ExitStatus::unknown_adopted();  // an adopted job's exit
  const auto value = as_int(*code);
  if (!value) return std::nullopt;
  return common::ExitStatus::exited(*value);
  } catch (...) {
    return std::nullopt;
  }
}

json to_json(const JobStatus& job) {
  json j = json::object();
  j["name"] = job.name;
  j["state"] = job.state;
  j["pid"] = job.pid ? json(*job.pid) : json(nullptr);
  j["uptime_s"] = job.uptime_s ? json(*job.uptime_s) : json(nullptr);
  j["restarts"] = job.restarts;
  j["last_exit"] = job.last_exit ? exit_to_json(*job.last_exit) : json(nullptr);
  j["error"] = job.error ? json(*job.error) : json(nullptr);
  if (job.origin) j["origin"] = *job.origin;
  j["next_try_s"] = job.next_try_s ? json(*job.next_try_s) : json(nullptr);
  if (job.status_text) j["status_text"] = *job.status_text;
  return j;
}

std::optional<JobStatus> job_status_from_json(const json& j) noexcept {
  try {
    if (!j.is_object()) return std::nullopt;
    JobStatus s;
    const json* name = field(j, "name");
    const json* state = field(j, "state");
    if (!name || !name->is_string() || !state || !state->is_string()) return std::nullopt;
    s.name = name->get<std::string>();
    s.state = state->get<std::string>();
    if (const json* v = field(j, "pid"); v && !v->is_null()) {
      if (!(s.pid = as_int(*v))) return std::nullopt;
    }
    if (const json* v = field(j, "uptime_s"); v && !v->is_null()) {
      if (!v->is_number()) return std::nullopt;
      s.uptime_s = v->get<double>();
    }
    if (const json* v = field(j, "restarts"); v && !v->is_null()) {
      const auto n = as_int(*v);
      if (!n) return std::nullopt;
      s.restarts = *n;
    }
    if (const json* v = field(j, "last_exit"); v && !v->is_null()) {
      if (!(s.last_exit = exit_from_json(*v))) return std::nullopt;
    }
    if (const json* v = field(j, "error"); v && !v->is_null()) {
      if (!v->is_string()) return std::nullopt;
      s.error = v->get<std::string>();
    }
    if (const json* v = field(j, "origin"); v && v->is_string()) s.origin = v->get<std::string>();
    if (const json* v = field(j, "next_try_s"); v && !v->is_null()) {
      if (!v->is_number()) return std::nullopt;
      s.next_try_s = v->get<double>();
    }
    if (const json* v = field(j, "status_text"); v && v->is_string()) s.status_text = v->get<std::string>();
    return s;
  } catch (...) {
    return std::nullopt;
  }
}

json jobs_result(const std::vector<JobStatus>& jobs) {
  json list = json::array();
  for (const auto& job : jobs) list.push_back(to_json(job));
  return {{"jobs", std::move(list)}};
}

std::optional<std::vector<JobStatus>> parse_jobs_result(const json& result) noexcept {
  try {
    if (!result.is_object()) return std::nullopt;
    const json* list = field(result, "jobs");
    if (!list || !list->is_array()) return std::nullopt;
    std::vector<JobStatus> out;
    for (const auto& item : *list) {
      auto job = job_status_from_json(item);
      if (!job) return std::nullopt;
      out.push_back(std::move(*job));
    }
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

FrameBuilder::FrameBuilder(std::uint64_t id, std::string list_key, json head, std::size_t budget)
    : id_(id), key_(std::move(list_key)), head_(std::move(head)), budget_(budget) {
  if (!head_.is_object()) head_ = json::object();
  bytes_ = dump(head_).size();
}

std::optional<std::string> FrameBuilder::add(json item) {
  const std::size_t size = dump(item).size() + 1;  // and its comma
  std::optional<std::string> done;
  if (!items_.empty() && bytes_ + size > budget_) done = frame(true);
  bytes_ += size;
  items_.push_back(std::move(item));
  return done;
}

std::string FrameBuilder::finish() { return frame(false); }

std::string FrameBuilder::frame(bool more) {
  json result = first_ ? std::move(head_) : json::object();
  first_ = false;
  result[key_] = std::exchange(items_, json::array());
  if (more) result["more"] = true;
  bytes_ = 0;
  return encode_response({id_, std::move(result)});
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

}  // namespace supd::protocol
