// SPDX-License-Identifier: BSD-2-Clause
// Capsicum rights as data: FreeBSD's CAP_* table and RightSet, a cap_rights_t in FreeBSD's
// exact two-word layout. Portable: no OS headers, usable between fork and exec.

#ifndef STOCKADE_BASE_RIGHTS_H_
#define STOCKADE_BASE_RIGHTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace stockade {

enum class RightKind : uint8_t { kBase, kComposite, kAlias, kGroup };

// The oldest FreeBSD release whose <sys/capsicum.h> defines a right.
enum class RightRelease : uint8_t { kAll, kFreeBsd15, kMainOnly };

struct RightInfo {
  std::string_view name;  // FreeBSD's exact name, "CAP_READ"
  uint64_t value;         // CAPRIGHT(word, bits): the constant FreeBSD's header defines
  RightKind kind;
  RightRelease release;
  std::string_view allows;  // what the right permits, in a few words

  // 0 or 1: which cr_rights[] word the right lives in.
  int word() const { return value >> 58 & 1 ? 1 : 0; }
};

// Every right FreeBSD defines (rights.def), in FreeBSD's header order.
std::span<const RightInfo> AllRights();

// Looks up a right by its exact name; nullopt if there is no such right.
const RightInfo* FindRight(std::string_view name);

// FreeBSD's CAP_FCNTL_* masks for cap_fcntls_limit(2) (fcntl_rights.def): 1 << FreeBSD's F_xxx.
struct FcntlRightInfo {
  std::string_view name;     // "CAP_FCNTL_GETFL"
  std::string_view command;  // "F_GETFL"
  uint32_t mask;
};
inline constexpr std::array<FcntlRightInfo, 5> kFcntlRights = {{
#define STOCKADE_FCNTL_RIGHT(name, command, value) {#name, #command, 1u << value},
#include "stockade/base/fcntl_rights.def"
#undef STOCKADE_FCNTL_RIGHT
    {"CAP_FCNTL_ALL", "", 0x78},
}};
inline constexpr uint32_t kFcntlAll = 0x78;
const FcntlRightInfo* FindFcntlRight(std::string_view name);

// A set of rights with cap_rights_t's layout: word 0 carries version 0 in its top two bits and
// the index marker 1<<57; word 1 carries the marker 1<<58. Operations follow
// cap_rights_set/clear/contains(3): adding a composite adds all of its bits.
class RightSet {
 public:
  static constexpr uint64_t kWord0Marker = uint64_t{1} << 57;
  static constexpr uint64_t kWord1Marker = uint64_t{1} << 58;

  // The empty set (what cap_rights_init(&r) produces).
  constexpr RightSet() = default;
  constexpr RightSet(uint64_t word0, uint64_t word1) : words_{word0, word1} {}

  // Every right defined for `release` and older (CAP_ALL0|CAP_ALL1 of that release).
  static RightSet All(RightRelease release = RightRelease::kFreeBsd15);

  // Adds or removes a right given by its CAPRIGHT value. Removing a composite removes every
  // bit it is made of, as cap_rights_clear does.
  constexpr RightSet& Add(uint64_t right) {
    words_[WordOf(right)] |= right;
    return *this;
  }
  constexpr RightSet& Remove(uint64_t right) {
    words_[WordOf(right)] &= ~(right & ~kMarkers[WordOf(right)]);
    return *this;
  }
  constexpr RightSet& Merge(const RightSet& other) {
    words_[0] |= other.words_[0];
    words_[1] |= other.words_[1];
    return *this;
  }
  constexpr RightSet& Intersect(const RightSet& other) {
    words_[0] &= other.words_[0] | kMarkers[0];
    words_[1] &= other.words_[1] | kMarkers[1];
    return *this;
  }

  // True if every bit of `right` is present (cap_rights_is_set).
  constexpr bool Has(uint64_t right) const {
    const uint64_t w = words_[WordOf(right)];
    return (w & right) == right;
  }
  // True if `other` is a subset of this set (cap_rights_contains(this, other)).
  constexpr bool Contains(const RightSet& other) const {
    return (words_[0] & other.words_[0]) == other.words_[0] &&
           (words_[1] & other.words_[1]) == other.words_[1];
  }
  constexpr bool empty() const { return words_[0] == kMarkers[0] && words_[1] == kMarkers[1]; }
  constexpr uint64_t word(int index) const { return words_[index]; }
  constexpr bool operator==(const RightSet&) const = default;

 private:
  static constexpr std::array<uint64_t, 2> kMarkers = {kWord0Marker, kWord1Marker};
  static constexpr int WordOf(uint64_t right) { return (right & kWord1Marker) ? 1 : 0; }
  std::array<uint64_t, 2> words_ = {kWord0Marker, kWord1Marker};
};

// The names of the rights in `set`, one per distinct bit, in table order: base rights and
// composites that add a bit of their own (CAP_SEEK, CAP_MMAP_X, CAP_MKDIRAT, ...). Aliases and
// groups are never listed. Fills `out` up to its size and returns how many names it needed.
size_t RightNames(const RightSet& set, std::span<std::string_view> out);

}  // namespace stockade

#endif  // STOCKADE_BASE_RIGHTS_H_
