// Which supd owns a log dir, and where else supctl looks for it. supd holds an flock on
// `<log_dir>/.supd.lock` for its lifetime and writes there its pid and socket, so a second supd
// on the same files is refused by name, and a supctl whose XDG_RUNTIME_DIR differs from supd's
// still finds it (docs/design-decisions.md, "One supd per user").
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "common/paths.hpp"

namespace supd::common {

struct InstanceRecord {
  pid_t pid = 0;
  std::filesystem::path socket;
  bool operator==(const InstanceRecord&) const = default;
};

// `<log_dir>/.supd.lock`: the default log dir lives in the state dir, so by default it is one
// supd per user and state dir; a supd given its own --log-dir is its own instance.
std::filesystem::path instance_lock_path(const std::filesystem::path& log_dir);

std::string encode_instance_record(const InstanceRecord& record);  // one line of JSON
// nullopt for anything but a record with a positive pid and an absolute socket path.
std::optional<InstanceRecord> decode_instance_record(std::string_view text) noexcept;

// The record in `<log_dir>/.supd.lock`, or nullopt when the file is missing or unreadable.
std::optional<InstanceRecord> read_instance_record(const std::filesystem::path& log_dir);

// Where else a supd of this user may listen when the socket `paths` resolved does not answer
// and the user named none: the socket in the log dir's record, /run/user/<uid>/supd/supd.sock
// and /tmp/supd-<uid>/supd.sock; without repeats and without the resolved one.
std::vector<std::filesystem::path> other_sockets(const Paths& paths, uid_t uid);

}  // namespace supd::common
