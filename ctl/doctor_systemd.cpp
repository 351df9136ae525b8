// doctor's systemd lines: whether systemd runs this machine and a user manager runs for
// this user (gathered from files under a root the tests can point elsewhere), whether supd
// runs under it, and linger. Without systemd these say n/a and how to start supd at boot
// instead, since their systemd fixes would fail there.
#include <system_error>

#include <fmt/format.h>

#include "ctl/doctor.hpp"
#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace fs = std::filesystem;

// What to do where there is no systemd: cron starts supd at boot (docs/supctl.md, doctor).
constexpr std::string_view kBootWithoutSystemd =
    "to start supd at boot, add `@reboot supd --detach` to your crontab (crontab -e)";

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

SystemdFacts gather_systemd_facts(const fs::path& root, uid_t uid, const common::Getenv& env) {
  SystemdFacts f;
  f.booted = present(root / "run/systemd/system");  // sd_booted()'s test
  // A running `systemd --user` keeps its private directory in the user's runtime dir.
  f.user_manager = present(root / "run/user" / std::to_string(uid) / "systemd");
  if (!f.user_manager)
    if (const auto xdg = env("XDG_RUNTIME_DIR"); xdg && !xdg->empty() && xdg->front() == '/')
      f.user_manager = present(root / fs::path(*xdg).relative_path() / "systemd");
  return f;
}

std::optional<std::string> systemd_unit_of(std::string_view cgroup_text) {
  std::size_t start = 0;
  while (start < cgroup_text.size()) {
    auto end = cgroup_text.find('\n', start);
    if (end == std::string_view::npos) end = cgroup_text.size();
    auto line = cgroup_text.substr(start, end - start);
    start = end + 1;
    // "0::/user.slice/...": hierarchy-ID:controllers:path
    const auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const auto path = line.substr(second + 1);
    bool under_user_manager = false;
    std::size_t p = 0;
    while (p <= path.size()) {
      auto q = path.find('/', p);
      if (q == std::string_view::npos) q = path.size();
      const auto part = path.substr(p, q - p);
      p = q + 1;
      if (part.empty()) continue;
      const bool service = part.size() > 8 && part.substr(part.size() - 8) == ".service";
      if (part == "supd.service" || (part.starts_with("supd@") && service)) return std::string(part);
      if (part.starts_with("user@") && service) {
        under_user_manager = true;
        continue;
      }
      if (under_user_manager && service) return std::string(part);
    }
  }
  return std::nullopt;
}

Check check_systemd(const SocketFacts& socket, const SupdFacts& supd, const SystemdFacts& systemd) {
  if (!systemd.booted)
    return make_check("systemd", CheckStatus::NotApplicable,
                fmt::format("systemd does not run this machine (no /run/systemd/system), so nothing restarts supd "
                            "if it dies; {}",
                            kBootWithoutSystemd));
  if (socket.state != SocketFacts::State::Answers && !supd.pid)
    return make_check("systemd", CheckStatus::Warn, "not checked: supd is not answering (see the socket line)");
  if (!supd.pid || !supd.cgroup)
    return make_check("systemd", CheckStatus::Warn,
                "not checked: cannot tell supd's pid or read its /proc/PID/cgroup; see README (systemd user service)");
  if (const auto unit = systemd_unit_of(*supd.cgroup))
    return make_check("systemd", CheckStatus::Ok,
                fmt::format("supd runs under systemd ({}), which restarts it if it dies", printable(*unit)));
  return make_check("systemd", CheckStatus::Warn,
              "supd is not supervised by systemd: if it dies, nothing restarts it; see README (systemd user service)");
}

Check check_linger(const LingerFacts& linger, const SystemdFacts& systemd) {
  // Linger keeps a user manager alive after logout: with none, the warning and its fix are false.
  if (!systemd.booted)
    return make_check("linger", CheckStatus::NotApplicable,
                fmt::format("systemd does not run this machine, so there is no user manager to linger and logout "
                            "stops nothing of supd's; {}",
                            kBootWithoutSystemd));
  if (linger.user.empty())
    return make_check("linger", CheckStatus::Warn, "not checked: your uid has no user name");
  if (linger.lingering)
    return make_check("linger", CheckStatus::Ok,
                fmt::format("the user manager of {} lingers: jobs survive logout", printable(linger.user)));
  if (!systemd.user_manager)
    return make_check("linger", CheckStatus::NotApplicable,
                fmt::format("no systemd user manager runs for {}, so linger does not apply to a supd started by "
                            "hand; {}, or run it as the user service (README) with loginctl enable-linger {}",
                            printable(linger.user), kBootWithoutSystemd, printable(linger.user)));
  return make_check("linger", CheckStatus::Warn,
              fmt::format("the user manager is not lingering: your jobs die at logout; fix: loginctl enable-linger {}",
                          printable(linger.user)));
}

}  // namespace supd::ctl
