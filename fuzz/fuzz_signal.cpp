// Fuzz target: common::parse_signal on any text, and signal_name on any number. A parsed
// signal is in 1..SIGRTMAX and has a name that parses back to it (supctl sends the name on
// the wire, so a number without one could never be sent); any name signal_name gives parses
// back to its number.
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/signals.hpp"
#include "fuzz/fuzz_check.hpp"

namespace sig = supd::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto signo = sig::parse_signal(text)) {
    FUZZ_CHECK(*signo >= 1 && *signo <= SIGRTMAX);
    const std::string name = sig::signal_name(*signo);
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(sig::parse_signal(name) == signo);
    // "SIG" + a name; the gap's names are digits ("32"), and "SIG32" is not a documented form.
    if (name[0] < '0' || name[0] > '9') FUZZ_CHECK(sig::parse_signal("SIG" + name) == signo);
  }
  if (size >= sizeof(int)) {  // the same bytes as a number
    int number = 0;
    std::memcpy(&number, data, sizeof number);
    const std::string name = sig::signal_name(number);
    if (!name.empty()) FUZZ_CHECK(sig::parse_signal(name) == number);
  }
  return 0;
}
