// SPDX-License-Identifier: BSD-2-Clause
// The values tests/freebsd/freebsd_headers/sys/capsicum.h (the FreeBSD declarations the FreeBSD
// launcher is compile-checked against) gives its rights, read in a translation unit of their
// own, so that the test can compare them with libstockade-capsicum's generated header.

#ifndef STOCKADE_TESTS_CAPSICUM_FREEBSD_HEADER_VALUES_H_
#define STOCKADE_TESTS_CAPSICUM_FREEBSD_HEADER_VALUES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stockade::testing {

struct FreeBsdHeaderValue {
  std::string_view name;
  uint64_t value;
};

// Every CAP_* right and CAP_FCNTL_* mask that header defines.
std::vector<FreeBsdHeaderValue> FreeBsdHeaderValues();
int FreeBsdRightsVersion();
size_t FreeBsdRightsWords();

}  // namespace stockade::testing

#endif  // STOCKADE_TESTS_CAPSICUM_FREEBSD_HEADER_VALUES_H_
