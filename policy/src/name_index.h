// SPDX-License-Identifier: BSD-2-Clause
// Compile-time name indexes over the constexpr tables of names.h: a permutation sorted by name,
// built by the compiler, so a lookup is a binary search with no start-up cost or allocation.

#ifndef STOCKADE_POLICY_SRC_NAME_INDEX_H_
#define STOCKADE_POLICY_SRC_NAME_INDEX_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace stockade::policy::detail {

// The positions of `rows` ordered by their `name` field. Evaluated at compile time.
template <typename Row, size_t N>
constexpr std::array<uint16_t, N> SortByName(const Row (&rows)[N]) {
  static_assert(N <= UINT16_MAX);
  std::array<uint16_t, N> order{};
  for (size_t i = 0; i < N; ++i) order[i] = static_cast<uint16_t>(i);
  std::sort(order.begin(), order.end(),
            [&rows](uint16_t a, uint16_t b) { return rows[a].name < rows[b].name; });
  return order;
}

// True if two rows share a name (checked with static_assert next to every table).
template <typename Row, size_t N>
constexpr bool HasDuplicateNames(const Row (&rows)[N], const std::array<uint16_t, N>& order) {
  for (size_t i = 1; i < N; ++i) {
    if (rows[order[i - 1]].name == rows[order[i]].name) return true;
  }
  return false;
}

// The row named `name`, or nullptr.
template <typename Row, size_t N>
const Row* FindByName(const Row (&rows)[N], const std::array<uint16_t, N>& order,
                      std::string_view name) {
  const auto it =
      std::lower_bound(order.begin(), order.end(), name,
                       [&rows](uint16_t i, std::string_view n) { return rows[i].name < n; });
  if (it == order.end() || rows[*it].name != name) return nullptr;
  return &rows[*it];
}

}  // namespace stockade::policy::detail

#endif  // STOCKADE_POLICY_SRC_NAME_INDEX_H_
