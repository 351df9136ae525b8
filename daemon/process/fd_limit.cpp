#include "daemon/process/fd_limit.hpp"

namespace supd::daemon {
namespace {

std::optional<rlim_t> original_soft;

}  // namespace

void raise_fd_limit(std::optional<rlim_t> original) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  // An original above the hard limit (lowered since) could not be restored anyway.
  original_soft = original && *original <= lim.rlim_max ? *original : lim.rlim_cur;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

std::optional<rlim_t> original_fd_soft_limit() { return original_soft; }

std::optional<rlimit> fd_limit_for_jobs() {
  rlimit lim{};
  if (!original_soft || ::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == *original_soft) return std::nullopt;
  lim.rlim_cur = *original_soft <= lim.rlim_max ? *original_soft : lim.rlim_max;
  return lim;
}

}  // namespace supd::daemon
