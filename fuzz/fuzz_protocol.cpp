// Fuzz target: the control protocol's decoders, on any bytes a client or supd could send.
// decode_request and decode_response are noexcept (a throw inside would std::terminate, which
// libFuzzer reports). A request that decodes must survive encode -> decode unchanged, and its
// encoding must be exactly one line, since the wire is newline-delimited.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/protocol.hpp"
#include "fuzz/fuzz_check.hpp"

namespace proto = supd::protocol;

namespace {

bool one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1; }

void check_request(std::string_view line) {
  const auto decoded = proto::decode_request(line);
  if (const auto* error = std::get_if<proto::RequestError>(&decoded)) {
    FUZZ_CHECK(!error->error.message.empty());
    FUZZ_CHECK(one_line(proto::encode_error(error->id, error->error)));
    return;
  }
  const auto& request = std::get<proto::Request>(decoded);
  const std::string wire = proto::encode_request(request);
  FUZZ_CHECK(one_line(wire));
  const auto again = proto::decode_request(std::string_view(wire).substr(0, wire.size() - 1));
  const auto* round = std::get_if<proto::Request>(&again);
  FUZZ_CHECK(round != nullptr);
  FUZZ_CHECK(*round == request);
  FUZZ_CHECK(proto::encode_request(*round) == wire);  // the encoding is canonical
}

void check_response(std::string_view line) {
  const auto decoded = proto::decode_response(line);
  // An error reply may come without a message (a newer supd's, or a hand-written one): the
  // decoder keeps it empty and supctl falls back to the code, so nothing is checked there.
  if (std::holds_alternative<proto::Error>(decoded)) return;
  const auto& response = std::get<proto::Response>(decoded);
  const std::string wire = proto::encode_response(response);
  FUZZ_CHECK(one_line(wire));
  const auto again = proto::decode_response(std::string_view(wire).substr(0, wire.size() - 1));
  const auto* round = std::get_if<proto::Response>(&again);
  FUZZ_CHECK(round != nullptr);
  FUZZ_CHECK(round->id == response.id);
  FUZZ_CHECK(round->body == response.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  check_request(line);
  check_response(line);
  return 0;
}
