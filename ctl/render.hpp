// What supctl prints that more than one command shares: the status table, one line per job
// for start/stop/restart/run, --json documents, and the one stderr line for an error; and
// render_result, which hands a result to its command's renderer. Pure: values in, text out.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/protocol.hpp"

namespace supd::ctl {

// Why a job may have written nothing, and the fix: said where a user looks for its output.
inline constexpr std::string_view kBufferedHint =
    "a program writing to a pipe may keep its output in its own buffer; make it flush, run C programs "
    "under stdbuf -oL, and keep PYTHONUNBUFFERED=1 (supd's default) or python -u";

// "RUNNING" from "running": states as supctl shows them.
std::string upper(std::string_view s);

// "next try in 4m" for a backoff/fatal job with a retry deadline.
std::string next_try_text(double seconds);

// LAST-EXIT: the job's error if set, else describe(last_exit), else "-".
std::string last_exit_text(const protocol::JobStatus& job);

// "NAME STATE PID UPTIME RESTARTS LAST-EXIT" and one aligned row per job, states upper case.
// With `hosts` (one per job, across several hosts), a HOST column comes first.
std::string render_status_table(const std::vector<protocol::JobStatus>& jobs,
                                const std::vector<std::string>& hosts = {});

// `stats`: NAME STATE PID CPU% CPU-TIME RSS PROCS, a HOST column first with `hosts`.
std::string render_stats_table(const std::vector<protocol::JobStats>& jobs,
                               const std::vector<std::string>& hosts = {});

// Rows of cells, each column as wide as its widest cell plus two blanks; the last column
// unpadded, no trailing blanks.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

// "3h2m" for a time in seconds, "-" when unknown or not a time.
std::string seconds_text(std::optional<double> seconds);

// "512 KiB", "12.3 MiB", "1.5 GiB".
std::string size_text(std::uint64_t bytes);

// start/stop/restart: "amsa: RUNNING (pid 4242)", "amsa: STOPPED", "amsa: FATAL (exec ...)".
std::string render_job_lines(const std::vector<protocol::JobStatus>& jobs);

// The human text for a command's result, read as the command's typed reply and rendered by
// its file (ctl/commands/<name>.cpp); nullopt when the result lacks what it should have.
// `shutdown` is rendered here too (printed once supd has closed the connection).
std::optional<std::string> render_result(const protocol::Command& command, const nlohmann::json& result);

// `events --json`: each event of the raw response line as one JSON document per line.
std::optional<std::string> render_events_json(std::string_view response_line);

// The --json document: the "result" of the raw response line, byte for byte as supd ordered
// it, followed by '\n'. nullopt if the line has no result.
std::optional<std::string> render_json_result(std::string_view response_line);

// The stderr line (without "supctl: ") for an error response: supd's message plus a hint
// of what to do next (unless the message has its own "; ..." clause), on one line.
std::string error_text(const protocol::Error& error);

// Text from supd, made safe for one line: line breaks and control bytes replaced.
std::string one_line(std::string_view text);

}  // namespace supd::ctl
