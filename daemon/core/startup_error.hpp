// What start-up code throws when supd cannot start (an unsafe log dir, a socket in use): one
// line for the user, printed by main.cpp before it exits 1. Every room may throw it.
#pragma once
#include <stdexcept>

namespace supd::daemon {

struct StartupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace supd::daemon
