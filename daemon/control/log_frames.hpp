// The response lines of `logs`: a piece of text, the mark of bytes no longer on disk, the end
// of a follow. Each piece of text is at most kTailPieceBytes, so that a line stays well under
// the 1 MiB cap even when every byte needs a 6-byte JSON escape.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/commands/logs.hpp"
#include "common/protocol.hpp"
#include "daemon/output/tail_reader.hpp"

namespace supd::daemon {

inline constexpr std::size_t kTailPieceBytes = 64 << 10;

// How much of `rest` the next piece takes: all of it, or at most kTailPieceBytes of whole
// characters.
inline std::size_t piece_length(std::string_view rest) {
  return rest.size() > kTailPieceBytes ? utf8_cut(rest.substr(0, kTailPieceBytes)) : rest.size();
}

inline std::string text_piece(std::uint64_t id, std::string text, bool more) {
  return protocol::encode_response(protocol::reply(id, protocol::Logs::Reply{std::move(text), std::nullopt, false, more}));
}

inline std::string skipped_piece(std::uint64_t id, std::uint64_t bytes) {
  return protocol::encode_response(protocol::reply(
      id, protocol::Logs::Reply{std::nullopt, std::nullopt, false, true, static_cast<std::int64_t>(bytes)}));
}

inline std::string end_of_follow(std::uint64_t id) {
  return protocol::encode_response(protocol::reply(id, protocol::Logs::Reply{std::nullopt, std::nullopt, true, false}));
}

}  // namespace supd::daemon
