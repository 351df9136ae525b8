#include "tests/support/tmux_pane.hpp"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace supd::test {
namespace {

constexpr const char* kTmux = "/usr/bin/tmux";
constexpr const char* kSession = "supd-test";

}  // namespace

TmuxPane::TmuxPane(const std::filesystem::path& dir, std::vector<std::string> env, int width, int height)
    : socket_(dir / "tmux.sock"), env_(std::move(env)) {
  env_.push_back("PS1=$ ");
  env_.push_back("TERM=screen");  // the client's terminal type; the pane gets tmux's own
  // -f /dev/null: none of the machine's tmux.conf; no status line, so the pane is the window.
  const auto r = run_process(tmux({"-f", "/dev/null", "new-session", "-d", "-s", kSession, "-x", std::to_string(width),
                                   "-y", std::to_string(height), "-c", dir.string(), "/bin/sh"}),
                             env_);
  if (r.exit_code != 0) throw std::runtime_error("tmux new-session failed: " + r.err);
  run({"set-option", "-g", "status", "off"});
  for (const auto* format : {"#{pid}", "#{pane_pid}"})
    pids_.push_back(static_cast<pid_t>(std::stol(run({"display-message", "-p", "-t", kSession, format}))));
}

TmuxPane::~TmuxPane() { close(); }

void TmuxPane::close() {
  if (pids_.empty()) return;
  run_process(tmux({"kill-server"}), env_);
  eventually([&] {
    for (const pid_t pid : pids_)
      if (::kill(pid, 0) == 0) return false;
    return true;
  });
  pids_.clear();
}

bool TmuxPane::available() { return ::access(kTmux, X_OK) == 0; }

std::vector<std::string> TmuxPane::tmux(std::vector<std::string> args) const {
  args.insert(args.begin(), {kTmux, "-S", socket_.string()});
  return args;
}

std::string TmuxPane::run(std::vector<std::string> args) const {
  const auto r = run_process(tmux(std::move(args)), env_);
  if (r.exit_code != 0) throw std::runtime_error("tmux failed: " + r.err);
  return r.out;
}

void TmuxPane::type(const std::string& text) const { run({"send-keys", "-t", kSession, "-l", text}); }

void TmuxPane::keys(const std::vector<std::string>& names) const {
  std::vector<std::string> args{"send-keys", "-t", kSession};
  args.insert(args.end(), names.begin(), names.end());
  run(args);
}

std::string TmuxPane::screen() const { return run({"capture-pane", "-p", "-t", kSession}); }

std::string TmuxPane::screen_with_attributes() const { return run({"capture-pane", "-p", "-e", "-t", kSession}); }

bool TmuxPane::wait_for(const std::function<bool(const std::string&)>& pred, Millis deadline) {
  return eventually(
      [&] {
        last_ = screen();
        return pred(last_);
      },
      deadline);
}

void TmuxPane::resize(int width, int height) const {
  run({"resize-window", "-t", kSession, "-x", std::to_string(width), "-y", std::to_string(height)});
}

std::string screen_row(const std::string& screen, const std::string& name) {
  for (const auto& line : split_lines(screen)) {
    const auto words = split_words(line);
    if (!words.empty() && words[0] == name) return line;
  }
  return "";
}

}  // namespace supd::test
