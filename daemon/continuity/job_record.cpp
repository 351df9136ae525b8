#include "daemon/continuity/job_record.hpp"

#include <charconv>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/protocol.hpp"

namespace supd::daemon {
namespace {

using json = nlohmann::json;

template <class T>
bool get_integer(const json& doc, const char* key, T& out) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(v);
    return true;
  }
  const auto v = it->get<std::int64_t>();
  if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
      (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
    return false;
  out = static_cast<T>(v);
  return true;
}

std::optional<JobRecord> fail(std::string* error, const char* why) {
  if (error != nullptr) *error = why;
  return std::nullopt;
}

}  // namespace

std::string encode_record(const JobRecord& r) {
  const json doc = {{"version", kJobRecordVersion}, {"name", r.name},          {"pid", r.pid},
                    {"pgid", r.pgid},               {"starttime", r.starttime}, {"spawned_at_ms", r.spawned_at_ms},
                    {"spawns", r.spawns},           {"argv", r.argv}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string encode_removal(std::string_view name) {
  const json doc = {{"version", kJobRecordVersion}, {"name", name}, {"removed", true}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {

std::optional<JobRecord> decode_record_doc(const json& doc, std::string* error) {
  if (doc.is_discarded() || !doc.is_object()) return fail(error, "not a JSON object");
  int version = 0;
  if (!get_integer(doc, "version", version) || version != kJobRecordVersion)
    return fail(error, "unknown record version");
  JobRecord r;
  const auto name = doc.find("name");
  if (name == doc.end() || !name->is_string()) return fail(error, "no name");
  r.name = name->get<std::string>();
  if (!protocol::is_valid_instance_name(r.name)) return fail(error, "invalid job name");
  if (!get_integer(doc, "pid", r.pid) || r.pid <= 0) return fail(error, "no valid pid");
  if (!get_integer(doc, "pgid", r.pgid) || r.pgid <= 0) return fail(error, "no valid pgid");
  if (!get_integer(doc, "starttime", r.starttime) || r.starttime == 0) return fail(error, "no starttime");
  if (!get_integer(doc, "spawned_at_ms", r.spawned_at_ms)) return fail(error, "no spawned_at_ms");
  if (!get_integer(doc, "spawns", r.spawns) || r.spawns < 1) return fail(error, "no valid spawns");
  const auto argv = doc.find("argv");
  if (argv == doc.end() || !argv->is_array()) return fail(error, "no argv");
  for (const auto& a : *argv) {
    if (!a.is_string()) return fail(error, "argv must hold strings");
    r.argv.push_back(a.get<std::string>());
  }
  return r;
}

// A removal line's job name, or nullopt for any other line.
std::optional<std::string> removal_of(const json& doc) {
  if (!doc.is_object()) return std::nullopt;
  const auto removed = doc.find("removed");
  const auto name = doc.find("name");
  int version = 0;
  if (removed == doc.end() || *removed != true || name == doc.end() || !name->is_string() ||
      !get_integer(doc, "version", version) || version != kJobRecordVersion)
    return std::nullopt;
  auto job = name->get<std::string>();
  if (!protocol::is_valid_instance_name(job)) return std::nullopt;
  return job;
}

}  // namespace

std::optional<JobRecord> decode_record(std::string_view text, std::string* error) noexcept {
  try {
    return decode_record_doc(json::parse(text, nullptr, false), error);
  } catch (...) {
    return fail(error, "unreadable record");
  }
}

void JournalFold::feed(std::string_view bytes) {
  for (;;) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) break;
    if (partial_.empty()) {
      line(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      line(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
  partial_.append(bytes);
}

void JournalFold::line(std::string_view text) {
  if (text.empty()) return;
  try {
    const json doc = json::parse(text, nullptr, false);
    if (auto job = removal_of(doc)) {
      live_.erase(*job);
    } else if (auto record = decode_record_doc(doc, nullptr)) {
      auto name = record->name;
      live_.insert_or_assign(std::move(name), std::move(*record));
    } else {
      ++bad_;
    }
  } catch (...) {
    ++bad_;
  }
}

std::map<std::string, JobRecord> JournalFold::take(std::size_t* skipped) {
  if (!partial_.empty()) ++bad_;  // a last line without its newline: cut short
  partial_.clear();
  if (skipped != nullptr) *skipped = bad_;
  bad_ = 0;
  return std::exchange(live_, {});
}

std::map<std::string, JobRecord> fold_journal(std::string_view text, std::size_t* skipped) {
  JournalFold fold;
  fold.feed(text);
  return fold.take(skipped);
}

namespace {

// Field `wanted` (>= 3) of a /proc/PID/stat line as a number.
std::optional<std::uint64_t> parse_stat_number(std::string_view line, int wanted) noexcept {
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  // After ')' come fields 3.. separated by single spaces.
  int field = 2;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const auto end = rest.find(' ');
    const std::string_view word = rest.substr(0, end);
    if (++field == wanted) {
      std::uint64_t v = 0;
      const auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
      if (ec != std::errc() || p != word.data() + word.size() || word.empty()) return std::nullopt;
      return v;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_stat_starttime(std::string_view line) noexcept { return parse_stat_number(line, 22); }

std::optional<int> parse_stat_exit_code(std::string_view line) noexcept {
  const auto v = parse_stat_number(line, 52);
  if (!v || *v > 0xffff) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<StatState> parse_stat_state(std::string_view line) noexcept {
  const auto close = line.rfind(')');
  // ") S 1234": the state two bytes after ')', the ppid after it.
  if (close == std::string_view::npos || close + 4 > line.size()) return std::nullopt;
  StatState out;
  out.state = line[close + 2];
  const std::string_view rest = line.substr(close + 4);
  const auto end = rest.find(' ');
  const std::string_view word = rest.substr(0, end);
  std::from_chars(word.data(), word.data() + word.size(), out.ppid);
  return out;
}

std::optional<std::string> read_proc_stat_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

}  // namespace supd::daemon
