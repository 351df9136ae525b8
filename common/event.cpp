#include "common/event.hpp"

#include <ctime>
#include <string_view>

#include <fmt/format.h>

#include "common/protocol.hpp"

namespace supd::common {
namespace {

using json = nlohmann::json;

std::string stamp(WallTime t, bool utc) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto frac = ms % 1000;
  if (frac < 0) {  // before 1970: floor, not truncate
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  if (utc) ::gmtime_r(&secs, &tm);
  else ::localtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac, utc ? "Z" : "");
}

std::optional<std::string> opt_string(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw std::invalid_argument(key);
  return it->get<std::string>();
}

}  // namespace

json to_json(const EventOrigin& who) {
  switch (who.kind) {
  case EventOrigin::Kind::Peer: {
    json j = {{"kind", "peer"}, {"uid", who.uid}, {"pid", who.pid}};
    if (!who.exe.empty()) j["exe"] = who.exe;
    return j;
  }
  case EventOrigin::Kind::Kernel: return {{"kind", "kernel"}};
  case EventOrigin::Kind::Supd: break;
  }
  return {{"kind", "supd"}};
}

EventOrigin origin_from_json(const json& j) {
  const auto kind = opt_string(j, "kind").value_or("");
  EventOrigin who;
  if (kind == "kernel") who.kind = EventOrigin::Kind::Kernel;
  if (kind != "peer") return who;
  who.kind = EventOrigin::Kind::Peer;
  who.uid = j.at("uid").get<uid_t>();
  who.pid = j.at("pid").get<pid_t>();
  who.exe = opt_string(j, "exe").value_or("");
  return who;
}

std::string describe(const EventOrigin& who) {
  switch (who.kind) {
  case EventOrigin::Kind::Peer: {
    std::string out = fmt::format("uid {} pid {}", who.uid, who.pid);
    if (!who.exe.empty()) {
      const auto slash = who.exe.rfind('/');
      out += fmt::format(" ({})", slash == std::string::npos ? who.exe : who.exe.substr(slash + 1));
    }
    return out;
  }
  case EventOrigin::Kind::Kernel: return "the kernel";
  case EventOrigin::Kind::Supd: break;
  }
  return "supd";
}

std::string describe(const Event& e) {
  std::string out = e.job ? *e.job : std::string("supd");
  if (e.kind == "state")
    out += fmt::format(" {} -> {}", e.from.value_or("?"), e.to.value_or("?"));
  else if (e.job || e.kind != "supd")  // "supd: shutting down ...", not "supd supd: ..."
    out += " " + e.kind;
  if (!e.reason.empty()) out += ": " + e.reason;
  // Who asked is worth saying for a person's request and for every signal; an exit is the
  // kernel's news and a timer is supd's, which the words already say.
  if (e.who && (e.who->kind == EventOrigin::Kind::Peer || (e.kind == "signal" && e.job)))
    out += " by " + describe(*e.who);
  return out;
}

std::string format_utc(WallTime t) { return stamp(t, true); }
std::string format_local(WallTime t) { return stamp(t, false); }

std::optional<WallTime> parse_utc(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0, n = 0;
  const std::string buf(text);
  if (std::sscanf(buf.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s, &ms, &n) != 7 ||
      static_cast<std::size_t>(n) != buf.size())
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = ::timegm(&tm);
  return WallTime(std::chrono::seconds(secs)) + std::chrono::milliseconds(ms);
}

json to_json(const Event& e) {
  json j = json::object();
  j["seq"] = e.seq;
  j["time"] = format_utc(e.time);
  j["job"] = e.job ? json(*e.job) : json(nullptr);
  j["kind"] = e.kind;
  j["from"] = e.from ? json(*e.from) : json(nullptr);
  j["to"] = e.to ? json(*e.to) : json(nullptr);
  j["reason"] = e.reason;
  j["who"] = e.who ? to_json(*e.who) : json(nullptr);
  j["signal"] = e.signal ? json(*e.signal) : json(nullptr);
  j["pid"] = e.pid ? json(*e.pid) : json(nullptr);
  j["exit"] = e.exit ? protocol::exit_to_json(*e.exit) : json(nullptr);
  return j;
}

std::optional<Event> event_from_json(const json& j) noexcept {
  try {
    if (!j.is_object()) return std::nullopt;
    Event e;
    e.seq = j.value("seq", std::uint64_t{0});
    const auto time = parse_utc(opt_string(j, "time").value_or(""));
    if (!time) return std::nullopt;
    e.time = *time;
    e.job = opt_string(j, "job");
    e.kind = opt_string(j, "kind").value_or("");
    e.from = opt_string(j, "from");
    e.to = opt_string(j, "to");
    e.reason = opt_string(j, "reason").value_or("");
    if (const auto it = j.find("who"); it != j.end() && it->is_object()) e.who = origin_from_json(*it);
    e.signal = opt_string(j, "signal");
    if (const auto it = j.find("pid"); it != j.end() && !it->is_null()) e.pid = it->get<int>();
    if (const auto it = j.find("exit"); it != j.end() && !it->is_null()) {
      e.exit = protocol::exit_from_json(*it);
      if (!e.exit) return std::nullopt;
    }
    return e;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace supd::common
