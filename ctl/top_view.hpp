// What `supctl top` shows, as a pure function from a model (each host's jobs and stats, the
// selection, the filter, the open pane) to the lines of the screen: unit-tested without a
// terminal; ctl/top.cpp only fetches the model and draws the lines (htop's split of its
// process list from its screen).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/commands/stats.hpp"
#include "common/job_status.hpp"

namespace supd::ctl {

struct TopJob {
  protocol::JobStatus status;
  std::optional<protocol::JobStats> stats;  // nullopt when supd had none for it yet
};

// One supd: this machine's, or one --host's.
struct TopSection {
  std::string host;  // "" for the local supd
  std::optional<protocol::SupdStats> supd;
  std::vector<TopJob> jobs;
  std::string error;  // why this section has nothing to show ("" when it answered)
};

// The statuses and stats of one answer, joined by job name in status order.
std::vector<TopJob> join_jobs(std::vector<protocol::JobStatus> statuses, const std::vector<protocol::JobStats>& stats);

enum class TopPane { Jobs, Log, Events };

struct TopModel {
  std::vector<TopSection> sections;
  std::string filter;         // only jobs whose name holds it; "" = all
  std::size_t selected = 0;   // among the visible jobs, in order
  TopPane pane = TopPane::Jobs;
  std::string pane_title;     // Log/Events: what the pane shows
  std::vector<std::string> pane_lines;
  std::string message;        // the last key's outcome, or a prompt being typed
};

// A visible job: its section and its place there.
struct TopPlace {
  std::size_t section;
  std::size_t job;
};

// The jobs the filter lets through, in section order.
std::vector<TopPlace> visible_jobs(const TopModel& model);

// The selected job, if any is visible (the selection kept within them).
std::optional<TopPlace> selected_job(const TopModel& model);

struct TopScreen {
  std::vector<std::string> lines;
  std::optional<std::size_t> highlight;  // the selected row's line, drawn in reverse video
};

// The help line at the foot of the screen: the keys and what they do.
std::string top_help_line();

// The full screen: at most `height` lines of at most `width` columns (a character counts as
// one), the selected row kept in sight, the message and the help line at the foot.
TopScreen render_top(const TopModel& model, std::size_t width, std::size_t height);

// The snapshot `top --once` (or `top` not on a terminal) prints, as `top -b -n 1` does:
// each section's header and every job, no selection, no help line; rows cut at `width`
// columns unless it is 0.
std::string render_top_snapshot(const TopModel& model, std::size_t width = 0);

// The first `width` columns of `text` made printable (a character counts as one column).
std::string fit_columns(const std::string& text, std::size_t width);

}  // namespace supd::ctl
