// Everything an integration test includes: Catch2, TestDaemon, procfs, the raw client.
#pragma once
#include <csignal>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/files.hpp"
#include "tests/support/procfs.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/test_daemon.hpp"
#include "tests/support/wait.hpp"

namespace supd::test {

inline std::string helper(const char* name) { return std::string(HELPERS_DIR) + "/" + name; }

// A pid together with its start time, so "gone" cannot be fooled by a recycled pid.
struct ProcId {
  pid_t pid = 0;
  unsigned long long starttime = 0;
  static ProcId of(pid_t pid) {
    const auto s = proc_stat(pid);
    return {pid, s ? s->starttime : 0};
  }
  bool alive() const { return process_alive(pid, starttime); }
};

// The row of a human `supctl status` table whose first word is `name`, split into words.
inline std::vector<std::string> table_row(const std::string& table, const std::string& name) {
  for (const auto& line : split_lines(table)) {
    auto words = split_words(line);
    if (!words.empty() && words[0] == name) return words;
  }
  return {};
}

}  // namespace supd::test
