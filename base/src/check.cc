// SPDX-License-Identifier: BSD-2-Clause
// Failure path of STOCKADE_CHECK.

#include "stockade/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace stockade::detail {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << file << ":" << line << ": stockade internal error: check failed: " << condition
          << ": ";
}

CheckFailure::~CheckFailure() {
  std::fprintf(stderr, "%s\n", stream_.str().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace stockade::detail
