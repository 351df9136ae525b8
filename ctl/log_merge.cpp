#include "ctl/log_merge.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

namespace supd::ctl {
namespace {

constexpr std::string_view kStderrMark = " stderr";

// Red is kept for the stderr mark; the jobs cycle through the other five.
constexpr std::array<int, 5> kColours{36, 32, 33, 35, 34};

// The time supd put before a line ("TIME text"), and the text after it.
TimedLine split_time(std::string_view line) {
  const auto blank = line.find(' ');
  if (blank == std::string_view::npos) return {"-", std::string(line)};
  return {std::string(line.substr(0, blank)), std::string(line.substr(blank + 1))};
}

}  // namespace

std::vector<TimedLine> TimedLineAssembler::feed(std::string_view piece) {
  std::vector<TimedLine> out;
  pending_.append(piece);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(split_time(std::string_view(pending_).substr(start, nl + 1 - start)));
  pending_.erase(0, start);
  return out;
}

std::vector<TimedLine> TimedLineAssembler::finish() {
  if (pending_.empty()) return {};
  auto line = split_time(pending_);
  pending_.clear();
  return {std::move(line)};
}

std::vector<MergedLine> merge_by_time(const std::vector<std::vector<TimedLine>>& streams) {
  std::vector<MergedLine> out;
  for (std::size_t s = 0; s < streams.size(); ++s)
    for (const auto& line : streams[s]) out.push_back({s, line});
  // The times are fixed-width UTC, so text order is time order; "-" (no time known) sorts
  // first, as the oldest. Stable: equal times keep each stream's order and the streams'.
  std::stable_sort(out.begin(), out.end(), [](const MergedLine& a, const MergedLine& b) {
    const bool a_none = a.line.time == "-", b_none = b.line.time == "-";
    if (a_none || b_none) return a_none && !b_none;
    return a.line.time < b.line.time;
  });
  return out;
}

LinePrefixes::LinePrefixes(const std::vector<LogSource>& sources, bool colour) : sources_(sources), colour_(colour) {
  std::map<std::string, std::size_t> colours;
  for (const auto& s : sources_) {
    width_ = std::max(width_, s.job.size() + (s.from_stderr ? kStderrMark.size() : 0));
    colour_of_.push_back(colours.emplace(s.job, colours.size() % kColours.size()).first->second);
  }
}

std::string LinePrefixes::prefix(std::size_t source) const {
  const auto& s = sources_[source];
  const std::size_t used = s.job.size() + (s.from_stderr ? kStderrMark.size() : 0);
  const std::string pad(width_ > used ? width_ - used : 0, ' ');
  if (!colour_)
    return fmt::format("{}{}{} | ", s.job, s.from_stderr ? kStderrMark : std::string_view(), pad);
  const int c = kColours[colour_of_[source]];
  return fmt::format("\x1b[{}m{}\x1b[0m{}{} \x1b[{}m|\x1b[0m ", c, s.job,
                     s.from_stderr ? "\x1b[1;31m stderr\x1b[0m" : "", pad, c);
}

std::string LinePrefixes::line(std::size_t source, const TimedLine& line, bool with_time) const {
  std::string out = prefix(source);
  if (with_time) out += line.time + " ";
  out += line.text;
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

bool want_colour(bool stdout_is_terminal, const char* no_color) {
  return stdout_is_terminal && (no_color == nullptr || *no_color == '\0');
}

}  // namespace supd::ctl
