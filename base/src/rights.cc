// SPDX-License-Identifier: BSD-2-Clause
// The CAP_* table expanded from rights.def, and RightSet helpers.

#include "stockade/base/rights.h"

#include <bit>

namespace stockade {
namespace {

constexpr uint64_t CapRight(int word, uint64_t bits) { return (uint64_t{1} << (57 + word)) | bits; }

constexpr RightInfo kRights[] = {
#define STOCKADE_RIGHT(name, word, bits, kind, release, allows) \
  {#name, CapRight(word, bits), RightKind::k##kind, RightRelease::k##release, allows},
#include "stockade/base/rights.def"
#undef STOCKADE_RIGHT
};

// The bits a right adds beyond the rights it is composed of: for a composite such as
// CAP_MKDIRAT (LOOKUP | own bit) that is its own bit; for CAP_PREAD (SEEK|READ) nothing.
uint64_t OwnBits(const RightInfo& right) {
  uint64_t bits = right.value & ~(RightSet::kWord0Marker | RightSet::kWord1Marker);
  if (right.kind != RightKind::kComposite) return bits;
  uint64_t covered = 0;
  for (const RightInfo& other : kRights) {
    if (&other == &right || other.word() != right.word()) continue;
    if (other.kind == RightKind::kAlias || other.kind == RightKind::kGroup) continue;
    const uint64_t other_bits = other.value & ~(RightSet::kWord0Marker | RightSet::kWord1Marker);
    if ((other_bits & bits) == other_bits && other_bits != bits) covered |= other_bits;
  }
  return bits & ~covered;
}

}  // namespace

std::span<const RightInfo> AllRights() { return kRights; }

const RightInfo* FindRight(std::string_view name) {
  for (const RightInfo& right : kRights) {
    if (right.name == name) return &right;
  }
  return nullptr;
}

const FcntlRightInfo* FindFcntlRight(std::string_view name) {
  for (const FcntlRightInfo& right : kFcntlRights) {
    if (right.name == name) return &right;
  }
  return nullptr;
}

RightSet RightSet::All(RightRelease release) {
  RightSet all;
  for (const RightInfo& right : kRights) {
    if (static_cast<int>(right.release) <= static_cast<int>(release)) all.Add(right.value);
  }
  return all;
}

size_t RightNames(const RightSet& set, std::span<std::string_view> out) {
  size_t count = 0;
  for (const RightInfo& right : kRights) {
    if (right.kind == RightKind::kAlias || right.kind == RightKind::kGroup) continue;
    if (std::popcount(OwnBits(right)) == 0 || !set.Has(right.value)) continue;
    if (count < out.size()) out[count] = right.name;
    ++count;
  }
  return count;
}

}  // namespace stockade
