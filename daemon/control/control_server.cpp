#include "daemon/control/control_server.hpp"

#include <malloc.h>

#include <algorithm>
#include <utility>

#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "daemon/control/session.hpp"

namespace supd::daemon {

using asio::local::stream_protocol;

namespace {
// A capped uid's episode ends (and is logged) once it is back below this many connections.
constexpr std::size_t kCapEpisodeEnd = kMaxConnectionsPerUid * 3 / 4;
}

ControlServer::ControlServer(asio::io_context& io, int listen_fd, RequestHandler& handler, EventHub& hub)
    : io_(io), acceptor_(io, stream_protocol(), listen_fd), finish_timer_(io), accept_timer_(io), handler_(handler),
      hub_(hub) {}

ControlServer::~ControlServer() = default;

void ControlServer::start() { accept(); }

std::shared_ptr<Session> ControlServer::serve(stream_protocol::socket socket) {
  auto session = std::make_shared<Session>(*this, std::move(socket));
  sessions_.insert(session);
  session->start();
  return session;
}

void ControlServer::accept() {
  acceptor_.async_accept([this](std::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || finishing_) return;
    if (!ec) {
      accept_failing_ = false;
      serve(std::move(socket));
      return accept();
    }
    // EMFILE: keep serving the clients we have. The pending connection keeps the socket
    // readable, so an immediate retry would spin: retry after a pause, and log once per run.
    if (!accept_failing_) spdlog::warn("accept: {}; retrying every 100 ms", ec.message());
    accept_failing_ = true;
    accept_timer_.expires_after(std::chrono::milliseconds(100));
    accept_timer_.async_wait([this](std::error_code wait_ec) {
      if (!wait_ec && !finishing_) accept();
    });
  });
}

std::size_t ControlServer::connections_of(uid_t uid) const {
  std::size_t n = 0;
  for (const auto& s : sessions_)
    if (s->uid() == uid && s->holds_slot()) ++n;
  return n;
}

bool ControlServer::admit(Session& session) {
  const uid_t uid = session.uid();
  if (connections_of(uid) < kMaxConnectionsPerUid) return true;
  auto [episode, first] = capped_.try_emplace(uid);
  if (first)
    spdlog::warn("uid {} has {} connections to supd, its cap: each new one closes its oldest connection that sent "
                 "no complete request, or is refused when there is none",
                 uid, kMaxConnectionsPerUid);
  std::shared_ptr<Session> victim;
  for (const auto& s : sessions_)
    if (s.get() != &session && s->uid() == uid && s->stalled() && (!victim || s->serial() < victim->serial()))
      victim = s;
  if (victim) {
    ++episode->second.evicted;
    victim->evict();
    return true;
  }
  ++episode->second.refused;
  session.refuse();
  return false;
}

void ControlServer::queued(std::size_t bytes) {
  queued_bytes_ += bytes;
  if (queued_bytes_ > peak_queued_) peak_queued_ = queued_bytes_;
  if (!at_bound_ && queued_bytes_ >= kMaxQueuedBytes) {
    at_bound_ = true;
    spdlog::warn("replies queued for clients reached supd's bound of {} MiB; long replies wait for their clients "
                 "to read, and a follower that is behind is disconnected",
                 kMaxQueuedBytes >> 20);
  }
}

void ControlServer::released(std::size_t bytes) {
  queued_bytes_ -= std::min(bytes, queued_bytes_);
  if (queued_bytes_ == 0 && peak_queued_ >= kTrimAfterBytes) {
    // The replies are gone; give their pages back to the system instead of keeping the peak.
    ::malloc_trim(0);
    spdlog::info("replies queued for clients are drained (peak {} KiB, bound {} MiB); memory returned",
                 peak_queued_ >> 10, kMaxQueuedBytes >> 20);
    peak_queued_ = 0;
    at_bound_ = false;
  }
  if (has_room() && !waiting_room_.empty()) {
    auto waiting = std::exchange(waiting_room_, {});
    for (auto& weak : waiting)
      asio::post(io_, [weak] {
        if (auto session = weak.lock()) {
          session->waiting_room_ = false;
          session->pump();
        }
      });
  }
}

void ControlServer::wait_for_room(const std::shared_ptr<Session>& session) {
  if (session->waiting_room_) return;
  session->waiting_room_ = true;
  waiting_room_.push_back(session);
}

void ControlServer::forget(const std::shared_ptr<Session>& session) {
  sessions_.erase(session);
  if (auto it = capped_.find(session->uid()); it != capped_.end() && connections_of(it->first) < kCapEpisodeEnd) {
    spdlog::info("uid {} is well below its connection cap again; meanwhile {} stalled connection(s) were closed "
                 "to make room and {} refused",
                 it->first, it->second.evicted, it->second.refused);
    capped_.erase(it);
  }
  if (finishing_ && sessions_.empty()) finish_timer_.cancel();
}

void ControlServer::finish() {
  finishing_ = true;
  std::error_code ec;
  acceptor_.close(ec);
  accept_timer_.cancel();
  auto all = sessions_;  // finish() may forget sessions while we iterate
  for (const auto& s : all) s->finish();
  if (sessions_.empty()) return;
  // A client that does not read its last reply must not keep supd alive.
  finish_timer_.expires_after(std::chrono::seconds(2));
  finish_timer_.async_wait([this](std::error_code wait_ec) {
    if (wait_ec) return;
    auto rest = sessions_;
    for (const auto& s : rest) s->abort();
  });
}

}  // namespace supd::daemon
