#include "ctl/top_view.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "ctl/render.hpp"

namespace supd::ctl {
namespace {

namespace proto = supd::protocol;

constexpr std::array<std::string_view, 9> kColumns{"NAME",   "STATE",    "PID",    "CPU%",     "RSS",
                                                   "UPTIME", "RESTARTS", "HEALTH", "LAST LINE"};

// The order states are counted in, in a header: what runs first, what failed last.
constexpr std::array<std::string_view, 8> kStateOrder{"running", "starting", "waiting", "backoff",
                                                      "stopping", "stopped", "exited", "fatal"};

std::vector<std::string> cells_of(const TopJob& job) {
  const auto& s = job.status;
  const auto* st = job.stats ? &*job.stats : nullptr;
  const bool live = st != nullptr && st->processes > 0;
  return {s.name,
          upper(s.state),
          s.pid ? std::to_string(*s.pid) : "-",
          st != nullptr && st->cpu_pct ? fmt::format("{:.1f}", *st->cpu_pct) : "-",
          live ? size_text(st->rss_bytes) : "-",
          seconds_text(s.uptime_s),
          std::to_string(s.restarts),
          s.health ? *s.health : "-",
          st != nullptr && st->last_line ? *st->last_line : ""};
}

// "supd 4242, up 3h2m; 5 jobs: 3 running, 1 fatal, 1 stopped", the host first when there is one.
std::string section_header(const TopSection& section) {
  const std::string who = section.host.empty() ? "" : "[" + section.host + "] ";
  if (!section.error.empty()) return who + section.error;
  std::string out = who;
  if (section.supd) out += fmt::format("supd {}, up {}; ", section.supd->pid, seconds_text(section.supd->uptime_s));
  std::map<std::string, std::size_t> counts;
  for (const auto& j : section.jobs) ++counts[j.status.state];
  out += fmt::format("{} job{}", section.jobs.size(), section.jobs.size() == 1 ? "" : "s");
  std::vector<std::string> parts;
  for (const auto state : kStateOrder)
    if (const auto it = counts.find(std::string(state)); it != counts.end()) {
      parts.push_back(fmt::format("{} {}", it->second, state));
      counts.erase(it);
    }
  for (const auto& [state, n] : counts) parts.push_back(fmt::format("{} {}", n, state));  // a newer supd's
  if (!parts.empty()) out += ": " + fmt::format("{}", fmt::join(parts, ", "));
  return out;
}

// A line of the body: a section's header, the column header, or a job's row.
struct BodyLine {
  std::string text;
  std::optional<std::size_t> visible;  // the job's index among the visible ones
};

std::string row_text(const std::vector<std::string>& cells, const std::vector<std::size_t>& width) {
  std::string line;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (c + 1 == cells.size()) {
      line += one_line(cells[c]);
    } else {
      line += fmt::format("{:<{}}  ", cells[c], width[c]);
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::vector<BodyLine> body_of(const TopModel& model) {
  const auto visible = visible_jobs(model);
  std::vector<std::vector<std::string>> cells;
  cells.reserve(visible.size());
  std::vector<std::size_t> width(kColumns.size() - 1);
  for (std::size_t c = 0; c < width.size(); ++c) width[c] = kColumns[c].size();
  for (const auto& place : visible) {
    cells.push_back(cells_of(model.sections[place.section].jobs[place.job]));
    for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], cells.back()[c].size());
  }
  const std::vector<std::string> header(kColumns.begin(), kColumns.end());
  std::vector<BodyLine> body;
  std::size_t next = 0;
  for (std::size_t s = 0; s < model.sections.size(); ++s) {
    body.push_back({section_header(model.sections[s]), std::nullopt});
    if (model.sections[s].error.empty()) body.push_back({row_text(header, width), std::nullopt});
    for (; next < visible.size() && visible[next].section == s; ++next) body.push_back({row_text(cells[next], width), next});
  }
  return body;
}

}  // namespace

std::vector<TopJob> join_jobs(std::vector<proto::JobStatus> statuses, const std::vector<proto::JobStats>& stats) {
  std::unordered_map<std::string_view, const proto::JobStats*> by_name;
  for (const auto& s : stats) by_name.emplace(s.name, &s);
  std::vector<TopJob> jobs;
  jobs.reserve(statuses.size());
  for (auto& status : statuses) {
    const auto it = by_name.find(status.name);
    std::optional<proto::JobStats> row;
    if (it != by_name.end()) row = *it->second;
    jobs.push_back({std::move(status), std::move(row)});
  }
  return jobs;
}

std::vector<TopPlace> visible_jobs(const TopModel& model) {
  std::vector<TopPlace> out;
  for (std::size_t s = 0; s < model.sections.size(); ++s)
    for (std::size_t j = 0; j < model.sections[s].jobs.size(); ++j)
      if (model.filter.empty() || model.sections[s].jobs[j].status.name.find(model.filter) != std::string::npos)
        out.push_back({s, j});
  return out;
}

std::optional<TopPlace> selected_job(const TopModel& model) {
  const auto visible = visible_jobs(model);
  if (visible.empty()) return std::nullopt;
  return visible[std::min(model.selected, visible.size() - 1)];
}

std::string top_help_line() {
  return "arrows select  s start  S stop  r restart  k signal  l log  e events  / filter  q quit";
}

std::string fit_columns(const std::string& text, std::size_t width) {
  const std::string line = one_line(text);
  std::size_t columns = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    // A byte that starts a character (not a UTF-8 continuation byte) takes a column.
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80 && columns++ == width) return line.substr(0, i);
  }
  return line;
}

TopScreen render_top(const TopModel& model, std::size_t width, std::size_t height) {
  TopScreen screen;
  if (height == 0) return screen;
  const std::size_t foot = std::min<std::size_t>(height, 2);
  const std::size_t room = height - foot;
  if (model.pane == TopPane::Jobs) {
    const auto body = body_of(model);
    const auto visible = visible_jobs(model);
    std::optional<std::size_t> selected_line;
    if (!visible.empty()) {
      const std::size_t sel = std::min(model.selected, visible.size() - 1);
      for (std::size_t i = 0; i < body.size(); ++i)
        if (body[i].visible == sel) selected_line = i;
    }
    // Scrolled just enough to keep the selected row on screen.
    const std::size_t first = selected_line && *selected_line >= room ? *selected_line - room + 1 : 0;
    for (std::size_t i = first; i < body.size() && screen.lines.size() < room; ++i) {
      if (selected_line == i) screen.highlight = screen.lines.size();
      screen.lines.push_back(fit_columns(body[i].text, width));
    }
  } else {
    if (room > 0) screen.lines.push_back(fit_columns(model.pane_title + "   (q: back)", width));
    const std::size_t shown = room > 1 ? std::min(room - 1, model.pane_lines.size()) : 0;
    for (std::size_t i = model.pane_lines.size() - shown; i < model.pane_lines.size(); ++i)
      screen.lines.push_back(fit_columns(model.pane_lines[i], width));
  }
  while (screen.lines.size() < room) screen.lines.emplace_back();
  std::string filter = model.filter.empty() ? "" : "filter: " + model.filter;
  if (foot == 2) screen.lines.push_back(fit_columns(model.message.empty() ? filter : model.message, width));
  screen.lines.push_back(fit_columns(top_help_line(), width));
  return screen;
}

std::string render_top_snapshot(const TopModel& model, std::size_t width) {
  std::string out;
  for (const auto& line : body_of(model)) out += (width == 0 ? one_line(line.text) : fit_columns(line.text, width)) + "\n";
  return out;
}

}  // namespace supd::ctl
