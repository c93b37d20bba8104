// SPDX-License-Identifier: BSD-2-Clause
// STOCKADE_CHECK: aborts with file and line when an internal invariant is broken.
//
// For our own bugs only. Never use it on input data (policies, manifests, arguments):
// those get Diagnostics or an Error. Not for use between fork and exec (it allocates).

#ifndef STOCKADE_BASE_CHECK_H_
#define STOCKADE_BASE_CHECK_H_

#include <sstream>

namespace stockade::detail {

// Collects the streamed message and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets the macro expand to a void expression in both branches of `?:`.
struct CheckVoidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace stockade::detail

#define STOCKADE_CHECK(condition)                    \
  (condition) ? (void)0                              \
              : ::stockade::detail::CheckVoidify() & \
                    ::stockade::detail::CheckFailure(__FILE__, __LINE__, #condition)

#endif  // STOCKADE_BASE_CHECK_H_
