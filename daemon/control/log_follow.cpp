#include "daemon/control/log_follow.hpp"

#include <utility>

#include "common/time_format.hpp"
#include "daemon/control/log_frames.hpp"
#include "daemon/output/log_index.hpp"

namespace supd::daemon {

std::shared_ptr<LogFollow> LogFollow::begin(LogService& logs, Reply reply, Spec spec) {
  auto follow = std::make_shared<LogFollow>(logs, std::move(reply), std::move(spec));
  follow->next_ = logs.end_of(follow->spec_.path);
  // The follower holds only a weak pointer: the session holds the follow through its source.
  std::weak_ptr<LogFollow> weak = follow;
  follow->token_ = logs.follow(follow->spec_.path,
                               LogFollower{[weak](std::string_view chunk, std::uint64_t at) {
                                             auto self = weak.lock();
                                             return self && self->on_chunk(chunk, at);
                                           },
                                           [weak] {
                                             if (auto self = weak.lock()) self->on_end();
                                           }});
  follow->reply_.on_cancel([&logs, token = follow->token_] { logs.unfollow(token); });
  follow->wake();  // the session holds the follow from now on
  return follow;
}

LogFollow::LogFollow(LogService& logs, Reply reply, Spec spec)
    : logs_(logs), reply_(std::move(reply)), spec_(std::move(spec)) {}

void LogFollow::tail(std::string text) {
  if (spec_.stamp) stamper_.emplace(text.empty() || text.back() == '\n');
  tail_ = std::move(text);
  wake();
}

void LogFollow::wake() {
  reply_.stream([self = shared_from_this()](bool& last) { return self->frame(last); }, Reply::Stall::Wait);
}

std::string LogFollow::frame(bool& last) {
  last = false;
  if (!held_.empty()) {
    std::string frame = std::move(held_.front());
    held_.pop_front();
    return frame;
  }
  switch (mode_) {
    case Mode::Tail: return tail_frame();
    case Mode::Behind: return catch_up_frame(last);
    case Mode::Live: break;
  }
  if (!ended_) return {};  // chunks are pushed as they come
  last = true;
  return end_of_follow(spec_.id);
}

std::string LogFollow::tail_frame() {
  if (!tail_) return {};  // still being read
  std::string_view rest = std::string_view(*tail_).substr(tail_sent_);
  const std::size_t n = piece_length(rest);
  std::string frame = text_piece(spec_.id, std::string(sent(rest.substr(0, n))), true);
  tail_sent_ += n;
  if (tail_sent_ >= tail_->size()) {  // what was written since the tail's files were opened is on disk
    tail_.reset();
    fall_behind();
  }
  return frame;
}

std::string LogFollow::catch_up_frame(bool& last) {
  auto piece = catch_up_->next(logs_.end_of(spec_.path), kTailPieceBytes);
  const auto skipped = catch_up_->take_skipped();
  next_ = catch_up_->position();
  std::string frame;
  // Bytes missing after part of a line: that part ends as a line of its own, never glued to
  // a later line (the `skipped` mark says what is missing).
  if (skipped > 0 && mid_line_)
    held_.push_back(text_piece(spec_.id, stamper_ ? stamper_->stamp(sent("\n"), "") : std::string(sent("\n")), true));
  if (skipped > 0) held_.push_back(skipped_piece(spec_.id, skipped));
  if (piece) {
    sent(piece->text);
    if (!stamper_) {
      frame = text_piece(spec_.id, std::move(piece->text), true);
    } else {
      // A line read back gets the time the side index gives it, or (without one) now.
      const auto* index = piece->index;
      const auto offset = piece->file_offset;
      frame = text_piece(spec_.id, stamper_->stamp_each(piece->text, [&](std::size_t pos) {
        const auto time = index ? time_at(*index, offset + pos) : std::nullopt;
        return common::iso8601_utc_ms(time ? *time : common::unix_ms_now()) + " ";
      }), true);
    }
  } else {  // caught up: the chunks are pushed again from the next one on
    catch_up_.reset();
    mode_ = Mode::Live;
    if (ended_) {
      last = true;
      frame = end_of_follow(spec_.id);
    }
  }
  if (held_.empty()) return frame;
  if (last) last = false;  // the end mark comes at the next pull, after these (Live, ended_)
  else if (!frame.empty()) held_.push_back(std::move(frame));
  return this->frame(last);
}

std::string_view LogFollow::sent(std::string_view text) {
  if (!text.empty()) mid_line_ = text.back() != '\n';
  return text;
}

bool LogFollow::on_chunk(std::string_view chunk, std::uint64_t at) {
  if (mode_ != Mode::Live) return true;  // read from the files when its turn comes
  if (at != next_ || !reply_.has_room()) {
    fall_behind();
    wake();
    return true;
  }
  next_ = at + chunk.size();
  sent(chunk);
  return reply_(text_piece(spec_.id, stamper_ ? stamp_now(chunk) : std::string(chunk), true), false);
}

void LogFollow::fall_behind() {
  mode_ = Mode::Behind;
  catch_up_.emplace(spec_.path, spec_.keep, next_, spec_.stamp);
}

// The end mark is the source's last frame, after whatever is still to be read.
void LogFollow::on_end() {
  ended_ = true;
  wake();
}

std::string LogFollow::stamp_now(std::string_view text) {
  return stamper_->stamp(text, common::iso8601_utc_ms(common::unix_ms_now()) + " ");
}

}  // namespace supd::daemon
