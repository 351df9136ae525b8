#include "common/instance_record.hpp"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

namespace supd::common {

namespace fs = std::filesystem;

fs::path instance_lock_path(const fs::path& log_dir) { return log_dir / ".supd.lock"; }

std::string encode_instance_record(const InstanceRecord& record) {
  return nlohmann::json{{"pid", record.pid}, {"socket", record.socket.string()}}.dump() + "\n";
}

std::optional<InstanceRecord> decode_instance_record(std::string_view text) noexcept {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  const auto pid = doc.find("pid");
  const auto socket = doc.find("socket");
  if (pid == doc.end() || !pid->is_number_integer() || socket == doc.end() || !socket->is_string()) return std::nullopt;
  const auto value = pid->get<long long>();
  if (value <= 0 || value > 0x3fffffff) return std::nullopt;
  InstanceRecord out{static_cast<pid_t>(value), fs::path(socket->get<std::string>())};
  if (!out.socket.is_absolute()) return std::nullopt;
  return out;
}

std::optional<InstanceRecord> read_instance_record(const fs::path& log_dir) {
  std::ifstream in(instance_lock_path(log_dir));
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return decode_instance_record(line);
}

std::vector<fs::path> other_sockets(const Paths& paths, uid_t uid) {
  std::vector<fs::path> out;
  const auto add = [&](const fs::path& p) {
    if (p != paths.socket && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  if (const auto record = read_instance_record(paths.log_dir)) add(record->socket);
  const auto id = std::to_string(uid);
  add(fs::path("/run/user") / id / "supd" / "supd.sock");
  add(fs::path("/tmp") / ("supd-" + id) / "supd.sock");
  return out;
}

}  // namespace supd::common
