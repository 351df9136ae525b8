// `signal --expect REGEX`: the pattern and the line assembly, kept apart from the sockets.
// std::regex lives in expect.cpp only (see the note there on g++ 12 and the sanitizers).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supd::ctl {

// An ECMAScript regex searched in each line (std::regex_search: anywhere in the line).
class LineMatcher {
public:
  // nullopt and `error` set when the pattern does not compile.
  static std::optional<LineMatcher> compile(const std::string& pattern, std::string* error = nullptr);
  bool matches(std::string_view line) const;

private:
  struct Impl;
  explicit LineMatcher(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The job's output arrives in chunks cut anywhere; this hands back whole lines (without
// '\n' and a trailing '\r'), keeping the unfinished rest for the next chunk.
class LineAssembler {
public:
  std::vector<std::string> feed(std::string_view chunk);
  const std::string& partial() const { return partial_; }

private:
  std::string partial_;
};

}  // namespace supd::ctl
