// errno as the words users read ("No such file or directory"), without strerror's thread issues.
#pragma once
#include <string>

namespace supd::common {

std::string errno_message(int err);

}  // namespace supd::common
