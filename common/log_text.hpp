// Text a user supplied (a command line, a directory, a name, a peer's program path) made safe
// for one line of supd's own log: a newline in it must not start a forged log line.
#pragma once
#include <string>
#include <string_view>

namespace supd::common {

// Control bytes (< 0x20 and 0x7f) become \xNN, as supctl prints them; everything else,
// UTF-8 included, is kept as it is.
std::string escape_control(std::string_view text);

// True when escape_control would change `text`.
bool has_control(std::string_view text);

}  // namespace supd::common
