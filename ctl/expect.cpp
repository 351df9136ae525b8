#include "ctl/expect.hpp"

// g++ 12 reports false -Wmaybe-uninitialized inside <regex> when built with the sanitizers
// (-DSUPD_SANITIZE=ON), which breaks the -Werror build. This is the only file that includes
// <regex>, so the warning is silenced here alone; it stays off to the end of the file (no
// pop), because that middle-end warning is reported where the templates are instantiated
// and inlined, below, not only inside the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>

#include <utility>

namespace supd::ctl {

namespace {
constexpr std::size_t kMaxLineBytes = 1 << 20;
}  // namespace

struct LineMatcher::Impl {
  std::regex re;
};

std::optional<LineMatcher> LineMatcher::compile(const std::string& pattern, std::string* error) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->re = std::regex(pattern, std::regex::ECMAScript);
    return LineMatcher(std::move(impl));
  } catch (const std::regex_error& e) {
    if (error != nullptr) *error = e.what();
    return std::nullopt;
  }
}

bool LineMatcher::matches(std::string_view line) const {
  return std::regex_search(line.begin(), line.end(), impl_->re);
}

std::vector<std::string> LineAssembler::feed(std::string_view chunk) {
  std::vector<std::string> lines;
  for (;;) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) break;
    partial_.append(chunk.substr(0, nl));
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    lines.push_back(std::move(partial_));
    partial_.clear();
    chunk.remove_prefix(nl + 1);
  }
  partial_.append(chunk);
  // A "line" that never ends is still matched, a piece at a time, rather than kept forever.
  if (partial_.size() >= kMaxLineBytes) lines.push_back(std::exchange(partial_, {}));
  return lines;
}

}  // namespace supd::ctl
