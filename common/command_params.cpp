#include "common/command_params.hpp"

#include <climits>

namespace supd::protocol {
using json = nlohmann::json;

namespace {

std::string checked_string(const json& v, const std::string& name) {
  if (!v.is_string()) throw ParamError{name + " must be a string"};
  auto s = v.get<std::string>();
  // A C API further down would silently cut "amsa\0x" to "amsa"; refuse it whole.
  if (s.find('\0') != std::string::npos) throw ParamError{name + " must not contain NUL bytes"};
  return s;
}

std::string name_of(const char* key) { return std::string("params.") + key; }

}  // namespace

const json* field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
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

bool Params::has(const char* key) const {
  const json* v = field(params_, key);
  return v != nullptr && !v->is_null();
}

bool Params::present(const char* key) const { return field(params_, key) != nullptr; }

std::string Params::required_string(const char* key) const {
  const json* v = field(params_, key);
  if (!v) throw ParamError{name_of(key) + " is required"};
  return checked_string(*v, name_of(key));
}

std::optional<std::string> Params::optional_string(const char* key) const {
  const json* v = field(params_, key);
  if (!v || v->is_null()) return std::nullopt;
  return checked_string(*v, name_of(key));
}

bool Params::optional_bool(const char* key, bool fallback) const {
  const json* v = field(params_, key);
  if (!v) return fallback;
  if (!v->is_boolean()) throw ParamError{name_of(key) + " must be true or false"};
  return v->get<bool>();
}

int Params::optional_count(const char* key, int fallback) const {
  const json* v = field(params_, key);
  if (!v) return fallback;
  if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<std::int64_t>() < 0) ||
      (v->is_number_unsigned() && v->get<std::uint64_t>() > INT_MAX))
    throw ParamError{name_of(key) + " must be an integer >= 0"};
  return static_cast<int>(v->get<std::int64_t>());
}

std::optional<std::int64_t> Params::optional_int64(const char* key, const char* what) const {
  const json* v = field(params_, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number_integer()) throw ParamError{name_of(key) + " must be " + what};
  return v->get<std::int64_t>();
}

std::optional<int> Params::optional_int(const char* key) const {
  const json* v = field(params_, key);
  if (!v) return std::nullopt;
  const auto n = as_int(*v);
  if (!n) throw ParamError{name_of(key) + " must be an integer"};
  return n;
}

std::vector<std::string> Params::job_list(bool required) const {
  const json* v = field(params_, "jobs");
  if (!v) {
    if (required) throw ParamError{"params.jobs is required (a non-empty array of job names)"};
    return {};
  }
  if (!v->is_array()) throw ParamError{"params.jobs must be an array of strings"};
  if (required && v->empty()) throw ParamError{"params.jobs must name at least one job"};
  std::vector<std::string> jobs;
  for (const auto& item : *v) {
    if (!item.is_string()) throw ParamError{"params.jobs must be an array of strings"};
    jobs.push_back(checked_string(item, "params.jobs"));
  }
  return jobs;
}

std::string Params::signal_text() const {
  const json* v = field(params_, "signal");
  if (!v) throw ParamError{"params.signal is required"};
  if (v->is_number_unsigned()) return std::to_string(v->get<std::uint64_t>());
  if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
  if (!v->is_string()) throw ParamError{"params.signal must be a string or an integer"};
  return checked_string(*v, "params.signal");
}

std::vector<std::string> Params::string_array(const char* key) const {
  const json* v = field(params_, key);
  if (!v || !v->is_array() || v->empty()) throw ParamError{name_of(key) + " must be a non-empty array of strings"};
  std::vector<std::string> out;
  for (const auto& item : *v) out.push_back(checked_string(item, name_of(key)));
  return out;
}

std::vector<std::pair<std::string, std::string>> Params::string_map(const char* key) const {
  std::vector<std::pair<std::string, std::string>> out;
  const json* v = field(params_, key);
  if (!v || v->is_null()) return out;
  if (!v->is_object()) throw ParamError{name_of(key) + " must be an object of strings"};
  for (const auto& [k, value] : v->items()) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
      throw ParamError{name_of(key) + ": a variable name must be non-empty, without '=' or NUL"};
    out.emplace_back(k, checked_string(value, name_of(key) + "." + k));
  }
  return out;
}

bool ReplyFields::has(const char* key) const { return result_.is_object() && field(result_, key) != nullptr; }

const json* ReplyFields::get(const char* key) const {
  if (!result_.is_object()) return nullptr;
  const json* v = field(result_, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::optional<std::string> ReplyFields::string(const char* key) const {
  const json* v = get(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<std::int64_t> ReplyFields::integer(const char* key) const {
  const json* v = get(key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return v->get<std::int64_t>();
}

std::optional<int> ReplyFields::int32(const char* key) const {
  const json* v = get(key);
  return v == nullptr ? std::nullopt : as_int(*v);
}

std::optional<double> ReplyFields::number(const char* key) const {
  const json* v = get(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::optional<bool> ReplyFields::boolean(const char* key) const {
  const json* v = get(key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::vector<std::string> ReplyFields::strings(const char* key) const {
  std::vector<std::string> out;
  const json* v = get(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : *v)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

}  // namespace supd::protocol
