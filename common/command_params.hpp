// What every command's codec (common/commands/*.hpp) reads its JSON with: Params for a
// request's "params" (a bad field throws ParamError, which decode_request turns into one
// bad_request reply naming the field), and ReplyFields for a result (a missing or mistyped
// member is nullopt, so a reply supctl cannot read becomes one clear error, never a throw).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace supd::protocol {

struct ParamError {
  std::string message;  // "params.job is required"
};

// The member `key` of a JSON object, or nullptr.
const nlohmann::json* field(const nlohmann::json& object, const char* key);
// An integer that fits an int, or nullopt.
std::optional<int> as_int(const nlohmann::json& v);

class Params {
public:
  explicit Params(const nlohmann::json& params) : params_(params) {}

  bool has(const char* key) const;      // present and not null
  bool present(const char* key) const;  // present, null included
  std::string required_string(const char* key) const;
  std::optional<std::string> optional_string(const char* key) const;  // null = absent
  bool optional_bool(const char* key, bool fallback) const;
  int optional_count(const char* key, int fallback) const;  // an integer >= 0
  std::optional<std::int64_t> optional_int64(const char* key, const char* what) const;
  // "jobs": an array of names; `required`: present and non-empty.
  std::vector<std::string> job_list(bool required) const;
  // "signal": text ("USR1", "10"); a JSON integer is taken as its digits.
  std::string signal_text() const;
  std::optional<int> optional_int(const char* key) const;
  // Strings of an array ("command") or an object's values ("environment"), NUL refused.
  std::vector<std::string> string_array(const char* key) const;  // required, non-empty
  std::vector<std::pair<std::string, std::string>> string_map(const char* key) const;  // optional

private:
  const nlohmann::json& params_;
};

// Members of a result object, each nullopt when missing, null or of another type.
class ReplyFields {
public:
  explicit ReplyFields(const nlohmann::json& result) : result_(result) {}
  bool is_object() const { return result_.is_object(); }
  bool has(const char* key) const;  // present (null included)
  std::optional<std::string> string(const char* key) const;
  std::optional<std::int64_t> integer(const char* key) const;
  std::optional<int> int32(const char* key) const;
  std::optional<double> number(const char* key) const;
  std::optional<bool> boolean(const char* key) const;
  // An array of strings (other items skipped); empty when missing.
  std::vector<std::string> strings(const char* key) const;
  const nlohmann::json* get(const char* key) const;  // present and not null

private:
  const nlohmann::json& result_;
};

// A member that is null when absent: {"pid": null}.
template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace supd::protocol
