#include "daemon/core/event_log.hpp"

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
  ring.push(keep(event), cap);
  const common::Event& kept = event;  // what the listeners see; last_ only once they are done
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
  last_ = std::move(event);  // after the listeners: one of them may have recorded an event itself
  return last_;
}

std::vector<common::Event> EventLog::history(const std::optional<std::string>& job,
                                             std::optional<std::size_t> limit) const {
  std::vector<common::Event> out;
  if (job) {
    if (const auto it = jobs_.find(*job); it != jobs_.end())
      it->second.each([&](const Kept& k) { out.push_back(restore(k, &it->first)); });
  } else {
    daemon_.each([&](const Kept& k) { out.push_back(restore(k, nullptr)); });
    for (const auto& job_ring : jobs_)  // not a structured binding: clang before 16 cannot capture one
      job_ring.second.each([&](const Kept& k) { out.push_back(restore(k, &job_ring.first)); });
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  }
  if (limit && out.size() > *limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(*limit));
  return out;
}

void EventLog::Ring::push(Kept kept, std::size_t cap) {
  if (items_.size() < cap) {
    if (items_.size() == items_.capacity()) items_.reserve(std::min(cap, std::max<std::size_t>(2, items_.size() * 2)));
    items_.push_back(std::move(kept));
    return;
  }
  items_[head_] = std::move(kept);
  head_ = (head_ + 1) % items_.size();
}

EventLog::Kept EventLog::keep(const common::Event& e) {
  Kept k;
  k.seq = e.seq;
  k.time = e.time;
  k.reason = e.reason;
  k.exit = e.exit;
  k.pid = e.pid;
  k.kind = intern(e.kind);
  k.from = intern(e.from);
  k.to = intern(e.to);
  k.signal = intern(e.signal);
  if (e.who) {
    k.who = static_cast<std::uint8_t>(static_cast<int>(e.who->kind) + 1);
    k.uid = e.who->uid;
    k.who_pid = e.who->pid;
    k.exe = intern(e.who->exe);
  }
  return k;
}

common::Event EventLog::restore(const Kept& k, const std::string* job) const {
  common::Event e;
  e.seq = k.seq;
  e.time = k.time;
  if (job) e.job = *job;
  e.kind = word(k.kind).value_or("");
  e.from = word(k.from);
  e.to = word(k.to);
  e.reason = k.reason;
  if (k.who != 0)
    e.who = common::EventOrigin{static_cast<common::EventOrigin::Kind>(k.who - 1), k.uid, k.who_pid,
                                word(k.exe).value_or("")};
  e.signal = word(k.signal);
  e.pid = k.pid;
  e.exit = k.exit;
  return e;
}

std::uint32_t EventLog::intern(const std::optional<std::string>& w) {
  if (!w) return 0;
  if (const auto it = word_index_.find(*w); it != word_index_.end()) return it->second;
  words_.push_back(*w);
  const auto index = static_cast<std::uint32_t>(words_.size());
  word_index_.emplace(*w, index);
  return index;
}

std::optional<std::string> EventLog::word(std::uint32_t index) const {
  if (index == 0 || index > words_.size()) return std::nullopt;
  return words_[index - 1];
}

std::uint64_t EventLog::subscribe(std::optional<std::string> job, Listener listener) {
  const auto token = next_token_++;
  listeners_.emplace(token, Subscription{std::move(job), std::move(listener)});
  return token;
}

void EventLog::unsubscribe(std::uint64_t token) { listeners_.erase(token); }

}  // namespace supd::daemon
