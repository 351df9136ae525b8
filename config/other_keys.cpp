#include "config/other_keys.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace supd::config {

std::optional<std::string_view> our_key_for(std::string_view other_tools_key) {
  // Lower case; each maps to a key of kJobKeys (config/job_fields.hpp), which a test checks.
  constexpr std::pair<std::string_view, std::string_view> kKeys[] = {
      // supervisord's [program:x]
      {"autorestart", "restart"},
      {"startsecs", "start_secs"},
      {"startretries", "start_retries"},
      {"stopsignal", "stop_signal"},
      {"stopwaitsecs", "stop_timeout"},
      {"stdout_logfile", "stdout"},
      {"stderr_logfile", "stderr"},
      {"stdout_logfile_maxbytes", "log_max_size"},
      {"stdout_logfile_backups", "log_keep"},
      // systemd's [Service]
      {"execstart", "command"},
      {"workingdirectory", "directory"},
      {"killsignal", "stop_signal"},
      {"timeoutstopsec", "stop_timeout"},
      {"restartsec", "backoff_initial"},
      // pm2, docker compose and habit
      {"cmd", "command"},
      {"cwd", "directory"},
      {"env", "environment"},
  };
  std::string lower(other_tools_key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [theirs, ours] : kKeys)
    if (lower == theirs) return ours;
  return std::nullopt;
}

}  // namespace supd::config
