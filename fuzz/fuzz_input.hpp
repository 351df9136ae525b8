// FuzzInput: reads typed values off the front of a fuzz input, for targets that build their
// inputs (requests, chunk sizes) from the bytes rather than parse them. Past the end every
// read gives zero / empty, so any input is a complete one. (libFuzzer's FuzzedDataProvider
// is a clang header; the replay build is g++.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace supd::fuzz {

class FuzzInput {
public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool flag() { return (byte() & 1) != 0; }

  template <class T>
    requires std::is_integral_v<T>
  T integer() {
    std::make_unsigned_t<T> v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<decltype(v)>((v << 8) | byte());
    return static_cast<T>(v);
  }

  // A length byte (below `max_len`), then that many raw bytes (fewer at the end).
  std::string string(std::size_t max_len = 32) {
    const std::size_t len = max_len == 0 ? 0 : byte() % (max_len + 1);
    return std::string(bytes(len));
  }

  std::string_view bytes(std::size_t len) {
    len = len < size_ - pos_ ? len : size_ - pos_;
    const std::string_view out(reinterpret_cast<const char*>(data_) + pos_, len);
    pos_ += len;
    return out;
  }

  std::size_t remaining() const { return size_ - pos_; }

private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace supd::fuzz
