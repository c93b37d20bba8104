// SPDX-License-Identifier: BSD-2-Clause
// Reads structured values from a fuzz input, front to back. Once the input is used up every
// read returns zero, so any input decodes to some structure and short inputs decode to small
// ones (libFuzzer grows inputs from small to large). A tiny stand-in for clang's
// FuzzedDataProvider, which GCC builds do not have.

#ifndef STOCKADE_FUZZ_BYTE_READER_H_
#define STOCKADE_FUZZ_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace stockade::fuzz {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return Byte() & 1; }

  // Little-endian, `bytes` of them (1..8).
  uint64_t Uint(int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= uint64_t{Byte()} << (8 * i);
    return value;
  }

  // A value in [0, n); 0 when n is 0. Two bytes for n above 256, so every value can be reached.
  size_t Below(size_t n) {
    if (n <= 1) return 0;
    return static_cast<size_t>(n <= 256 ? Byte() % n : Uint(2) % n);
  }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace stockade::fuzz

#endif  // STOCKADE_FUZZ_BYTE_READER_H_
