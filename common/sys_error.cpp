#include "common/sys_error.hpp"

#include <cstring>

namespace supd::common {

std::string errno_message(int err) {
  char buf[256];
  // GNU strerror_r returns the message (maybe not in buf); thread-safe, unlike strerror.
  return ::strerror_r(err, buf, sizeof buf);
}

}  // namespace supd::common
