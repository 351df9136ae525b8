// A terminal for tests of full-screen programs (supctl top): a tmux server of the test's own,
// its socket in the test's directory, one window of a fixed size running a plain shell. Keys
// go in with send-keys and the screen comes out with capture-pane, as a person would see it.
#pragma once
#include <filesystem>
#include <functional>
#include <sys/types.h>
#include <string>
#include <vector>

#include "tests/support/wait.hpp"

namespace supd::test {

class TmuxPane {
public:
  // Starts `tmux new-session` with /bin/sh (prompt "$ ") in `dir`, the environment `env`.
  TmuxPane(const std::filesystem::path& dir, std::vector<std::string> env, int width, int height);
  ~TmuxPane();  // close()
  // kill-server, and waits until the server and its shell are gone: the shell and what runs
  // in it get SIGHUP. Before TestDaemon::finish(), which wants nothing of the test's left.
  void close();
  TmuxPane(const TmuxPane&) = delete;
  TmuxPane& operator=(const TmuxPane&) = delete;

  static bool available();  // tmux is installed

  void type(const std::string& text) const;               // the characters, literally
  void keys(const std::vector<std::string>& names) const;  // tmux key names: Enter, Down, C-c
  std::string screen() const;                              // every row, '\n' after each
  std::string screen_with_attributes() const;              // the same with colours as escapes
  // Waits until the screen satisfies `pred`; the last screen seen is kept for messages.
  bool wait_for(const std::function<bool(const std::string&)>& pred, Millis deadline = 20s);
  const std::string& last_screen() const { return last_; }
  void resize(int width, int height) const;

private:
  std::vector<std::string> tmux(std::vector<std::string> args) const;  // the command line
  std::string run(std::vector<std::string> args) const;                 // runs it, its stdout

  std::filesystem::path socket_;
  std::vector<pid_t> pids_;  // the server's and its shell's, for close() to wait on
  std::vector<std::string> env_;
  std::string last_;
};

// The row of a screen whose first word is `name` ("" when there is none).
std::string screen_row(const std::string& screen, const std::string& name);

}  // namespace supd::test
