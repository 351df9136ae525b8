#include "daemon/event_log.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace supd::daemon {

EventLog::EventLog(WallClock clock, std::size_t per_job, std::size_t daemon_ring)
    : clock_(std::move(clock)), per_job_(std::max<std::size_t>(per_job, 1)),
      daemon_ring_(std::max<std::size_t>(daemon_ring, 1)) {
  sink_ = [](Level level, const std::string& line) {
    switch (level) {
    case Level::Info: spdlog::info("{}", line); break;
    case Level::Warn: spdlog::warn("{}", line); break;
    case Level::Error: spdlog::error("{}", line); break;
    }
  };
}

const common::Event& EventLog::record(common::Event event, Level level) {
  event.seq = next_seq_++;
  event.time = clock_();
  auto& ring = event.job ? jobs_[*event.job] : daemon_;
  const std::size_t cap = event.job ? per_job_ : daemon_ring_;
  ring.push_back(std::move(event));
  if (ring.size() > cap) ring.pop_front();
  const common::Event& kept = ring.back();
  if (sink_) sink_(level, (kept.job ? "job " : "") + common::describe(kept));

  // A listener may unsubscribe itself or another one: iterate over a copy of the tokens.
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, sub] : listeners_)
    if (!sub.job || sub.job == kept.job) tokens.push_back(token);
  for (const auto token : tokens) {
    const auto it = listeners_.find(token);
    if (it == listeners_.end()) continue;
    const Listener fn = it->second.listener;  // a copy: the call may remove the subscription
    if (!fn(kept)) listeners_.erase(token);
  }
  return kept;
}

std::vector<common::Event> EventLog::history(const std::optional<std::string>& job,
                                             std::optional<std::size_t> limit) const {
  std::vector<common::Event> out;
  if (job) {
    if (const auto it = jobs_.find(*job); it != jobs_.end()) out.assign(it->second.begin(), it->second.end());
  } else {
    out.assign(daemon_.begin(), daemon_.end());
    for (const auto& [name, ring] : jobs_) out.insert(out.end(), ring.begin(), ring.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  }
  if (limit && out.size() > *limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(*limit));
  return out;
}

std::uint64_t EventLog::subscribe(std::optional<std::string> job, Listener listener) {
  const auto token = next_token_++;
  listeners_.emplace(token, Subscription{std::move(job), std::move(listener)});
  return token;
}

void EventLog::unsubscribe(std::uint64_t token) { listeners_.erase(token); }

}  // namespace supd::daemon
