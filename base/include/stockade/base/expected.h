// SPDX-License-Identifier: BSD-2-Clause
// Error and Expected<T>: how stockade reports operational failures (I/O, OS, environment).
//
// Policy mistakes are not reported this way: they are Diagnostics (policy/diagnostic.h).
// Expected<T> is the subset of C++23's std::expected<T, Error> that stockade uses, so that it
// can become an alias once the toolchain has it.

#ifndef STOCKADE_BASE_EXPECTED_H_
#define STOCKADE_BASE_EXPECTED_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "stockade/base/check.h"

namespace stockade {

// The most specific code that fits wins; callers branch on codes, people read messages.
enum class ErrorCode {
  kInvalidArgument,     // a value we were given is malformed (not a policy diagnostic)
  kNotFound,            // a file, user, syscall or kernel object does not exist
  kPermissionDenied,    // the OS refused (EPERM, EACCES)
  kUnsupported,         // this kernel or build lacks a needed feature; never silently skipped
  kResourceExhausted,   // a size or count limit was hit
  kFailedPrecondition,  // the system is not in the state the operation needs
  kInternal,            // an OS call failed in a way that fits nothing above
};

// Returns a stable lower-case name for `code` ("not-found"), used in JSON reports.
std::string_view ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message, int os_errno = 0)
      : code_(code), message_(std::move(message)), os_errno_(os_errno) {}

  // Builds an error from errno-style failure of `what` (for example "open /etc/x"):
  // the message becomes "open /etc/x: No such file or directory" and the code is derived
  // from the errno value.
  static Error FromErrno(std::string_view what, int os_errno);

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int os_errno() const { return os_errno_; }  // 0 when not an OS failure

  // Prefixes the message with context: "loading policy: " + message.
  Error& Prepend(std::string_view context);

 private:
  ErrorCode code_;
  std::string message_;
  int os_errno_;
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Expected(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    STOCKADE_CHECK(has_value()) << "value() on an error: " << error().message();
    return std::get<0>(storage_);
  }
  const T& value() const& {
    STOCKADE_CHECK(has_value()) << "value() on an error: " << error().message();
    return std::get<0>(storage_);
  }
  T&& value() && {
    STOCKADE_CHECK(has_value()) << "value() on an error: " << error().message();
    return std::get<0>(std::move(storage_));
  }
  const Error& error() const {
    STOCKADE_CHECK(!has_value()) << "error() on a value";
    return std::get<1>(storage_);
  }
  Error& error() {
    STOCKADE_CHECK(!has_value()) << "error() on a value";
    return std::get<1>(storage_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> storage_;
};

// Expected<void>: success or an Error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    STOCKADE_CHECK(!ok_) << "error() on success";
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Expected<void>;

}  // namespace stockade

#define STOCKADE_CONCAT_INNER_(a, b) a##b
#define STOCKADE_CONCAT_(a, b) STOCKADE_CONCAT_INNER_(a, b)

// STOCKADE_ASSIGN_OR_RETURN(T x, expr): evaluates expr (an Expected<U>); on error returns
// that error from the enclosing function, otherwise declares `T x` from the value.
#define STOCKADE_ASSIGN_OR_RETURN(decl, expr)                                 \
  auto STOCKADE_CONCAT_(stockade_expected_, __LINE__) = (expr);               \
  if (!STOCKADE_CONCAT_(stockade_expected_, __LINE__).has_value())            \
    return std::move(STOCKADE_CONCAT_(stockade_expected_, __LINE__).error()); \
  decl = std::move(STOCKADE_CONCAT_(stockade_expected_, __LINE__)).value()

// STOCKADE_RETURN_IF_ERROR(expr): returns the error of an Expected<...> expression.
#define STOCKADE_RETURN_IF_ERROR(expr)                                             \
  do {                                                                             \
    auto stockade_status_ = (expr);                                                \
    if (!stockade_status_.has_value()) return std::move(stockade_status_.error()); \
  } while (0)

#endif  // STOCKADE_BASE_EXPECTED_H_
