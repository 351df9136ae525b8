// The control protocol: typed requests and responses, their JSON wire form, and a codec
// that never throws. One request object per line, one response object per line (a frame).
//
//   request:  {"id": 7, "method": "signal", "params": {"job": "amsa", "signal": "USR1"}}
//   response: {"id": 7, "ok": true, "result": {...}}
//             {"id": 7, "ok": false, "error": {"code": "unknown_job", "message": "..."}}
//
// Frames. A reply that grows with the number of jobs or lines (status, start/stop/restart,
// run, reload, logs, events) may span several frames, each a whole response line under
// kMaxLineBytes: every frame has the request's "id" and "ok": true; each carries part of the
// result (status: {"jobs": [a slice of the jobs]}); every frame but the last carries
// "more": true. The growing list (status's "jobs", reload's "jobs") is cut between items;
// the other members of the result come in the first frame. The reader gets the whole result
// back by concatenating the lists (merge_frame). A reply that fits in one frame is exactly
// what it always was: one line, no "more". `logs` and `events` are read as a stream instead:
// each frame is printed as it comes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/command_list.hpp"
#include "common/job_status.hpp"

namespace supd::protocol {

inline constexpr std::size_t kMaxLineBytes = 1 << 20;  // 1 MiB per request or response line
// A reply longer than this is cut into frames: replies that were one line before frames
// existed (anything under the cap) stay one line; the margin is for the envelope and the one
// item that may cross the budget.
inline constexpr std::size_t kFrameBudget = kMaxLineBytes - (64 << 10);

// Stable wire names ("unknown_job"): never renamed, never reused.
enum class ErrorCode {
  BadRequest,        // "bad_request": not JSON, not an object, missing/mistyped field
  UnknownMethod,     // "unknown_method"
  UnknownJob,        // "unknown_job"
  InvalidName,       // "invalid_name": a job name that can never exist ("a/b", "..", "")
  InvalidSignal,     // "invalid_signal"
  NotRunning,        // "not_running": pid/signal on a job without a process
  StartFailed,       // "start_failed": the job went fatal or exited while starting
  StopFailed,        // "stop_failed"
  PermissionDenied,  // "permission_denied": peer uid differs
  VersionMismatch,   // "version_mismatch"
  TooLarge,          // "too_large": request line over kMaxLineBytes
  ShuttingDown,      // "shutting_down": supd is stopping and takes no new work
  Internal,          // "internal"
  JobExists,         // "job_exists": `run` with a name already taken
  ConfigError,       // "config_error": persist could not write or re-read the config file
  UpgradeFailed,     // "upgrade_failed": the new binary failed its check or its exec; supd runs on
  TooManyConnections,  // "too_many_connections": the peer's uid is at supd's connection cap
};
std::string_view wire_name(ErrorCode code);
std::optional<ErrorCode> error_code_from_wire(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;  // one line a human can act on
  bool operator==(const Error&) const = default;
};

// ---- requests ------------------------------------------------------------------------
// Each command's request and reply live in common/commands/<name>.hpp (params(), decode(),
// Reply::to_json/from_json); the build lists them in command_list.hpp.
// A command's wire name is its type's kMethod ("status"); requests are decoded by that name,
// so the variant's order means nothing on the wire.
std::string_view method_name(const Command& command);

struct Request {
  std::uint64_t id = 0;
  Command command;
  bool operator==(const Request&) const = default;
};

// What a request line that cannot be served becomes; id is set when it could be read.
struct RequestError {
  std::optional<std::uint64_t> id;
  Error error;
};

// Never throws. Unknown fields are ignored; unknown methods give UnknownMethod; wrong types
// give BadRequest naming the field. "method" must match exactly (case-sensitive).
std::variant<Request, RequestError> decode_request(std::string_view line) noexcept;
std::string encode_request(const Request& request);  // one line, '\n'-terminated

// ---- responses -----------------------------------------------------------------------
struct Response {
  std::uint64_t id = 0;
  std::variant<nlohmann::json, Error> body;  // result, or error
  bool ok() const { return body.index() == 0; }
};
// A command's typed reply as a response: reply(id, Pid::Reply{4242}).
template <class R>
Response reply(std::uint64_t id, const R& result) {
  return {id, result.to_json()};
}

std::string encode_response(const Response& response);  // one line, '\n'-terminated
// An error reply whose request id could not be read carries "id": null.
std::string encode_error(std::optional<std::uint64_t> id, const Error& error);
// Never throws; a line that is not a well-formed response gives an Error (BadRequest).
// An error reply with "id": null (supd could not read the request) also gives its Error.
std::variant<Response, Error> decode_response(std::string_view line) noexcept;

// ---- frames ----------------------------------------------------------------------------
// Builds the frames of one reply whose `list_key` member grows: items are added one at a
// time and a frame is handed back whenever the next item would take it past `budget`.
// `head` (the result's other members) goes into the first frame. A reply whose items all
// fit gives exactly encode_response({id, head + {list_key: items}}). Items are kept as the
// text they are sent as: a frame of ~1 MiB held as JSON values took 6-7 MiB of supd's memory
// (`status` of 4744 jobs), and the heap does not give it back.
class FrameBuilder {
public:
  FrameBuilder(std::uint64_t id, std::string list_key, nlohmann::json head = nlohmann::json::object(),
               std::size_t budget = kFrameBudget);
  // A finished frame (not the last, "more": true) when this item starts a new one.
  std::optional<std::string> add(nlohmann::json item);
  std::string finish();  // the last frame: what is left, without "more"
  bool empty() const { return items_.empty() && first_; }

private:
  std::string frame(bool more);

  std::uint64_t id_;
  std::string key_;
  nlohmann::json head_;
  std::size_t budget_;
  std::string items_;      // the items as dumped, comma-separated
  std::size_t bytes_ = 0;  // of the head and items as dumped
  bool first_ = true;      // head_ not sent yet
};

// Cuts a whole result into frames along its `list_key` array (one frame when it fits).
std::vector<std::string> encode_frames(std::uint64_t id, const nlohmann::json& result, const std::string& list_key,
                                       std::size_t budget = kFrameBudget);

// True when a frame's result says more frames of the same reply follow.
bool has_more(const nlohmann::json& result);
// Adds a frame's result to the whole: arrays concatenate, other members are taken from the
// first frame that has them; "more" is dropped.
void merge_frame(nlohmann::json& whole, nlohmann::json part);

// Valid job names: [A-Za-z0-9_.-]+, at most 64 bytes, not "." or "..", not starting with '-'.
bool is_valid_job_name(std::string_view name);
// A job name, or one copy of a job with `instances`: NAME@3.
bool is_valid_instance_name(std::string_view name);

}  // namespace supd::protocol
