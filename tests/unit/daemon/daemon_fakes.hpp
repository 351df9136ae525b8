// The daemon unit tests' fakes (fakes.hpp) plus Catch printers: states by name, actions as data.
#pragma once
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/signals.hpp"
#include "daemon/core/job_state.hpp"
#include "tests/unit/daemon/fakes.hpp"

// ---- Catch printers: states by name, actions as data ----------------------------------------
namespace Catch {
template <> struct StringMaker<supd::daemon::JobState> {
  static std::string convert(supd::daemon::JobState s) { return std::string(supd::daemon::to_string(s)); }
};
template <> struct StringMaker<supd::daemon::SpawnProcess> {
  static std::string convert(const supd::daemon::SpawnProcess&) { return "SpawnProcess"; }
};
template <> struct StringMaker<supd::daemon::KillLeftovers> {
  static std::string convert(const supd::daemon::KillLeftovers&) { return "KillLeftovers"; }
};
template <> struct StringMaker<supd::daemon::SendSignal> {
  static std::string convert(const supd::daemon::SendSignal& s) {
    return fmt::format("SendSignal{{SIG{}, {}}}", supd::common::signal_name(s.signo), s.group ? "group" : "pid");
  }
};
}  // namespace Catch
