// SPDX-License-Identifier: BSD-2-Clause
// Error construction helpers.

#include "stockade/base/expected.h"

#include <errno.h>
#include <string.h>

namespace stockade {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kPermissionDenied:
      return "permission-denied";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kResourceExhausted:
      return "resource-exhausted";
    case ErrorCode::kFailedPrecondition:
      return "failed-precondition";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

Error Error::FromErrno(std::string_view what, int os_errno) {
  ErrorCode code = ErrorCode::kInternal;
  switch (os_errno) {
    case ENOENT:
    case ESRCH:
      code = ErrorCode::kNotFound;
      break;
    case EPERM:
    case EACCES:
      code = ErrorCode::kPermissionDenied;
      break;
    case ENOSYS:
    case EOPNOTSUPP:
      code = ErrorCode::kUnsupported;
      break;
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case ENOSPC:
    case EAGAIN:
      code = ErrorCode::kResourceExhausted;
      break;
    case EINVAL:
    case EBADF:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
      code = ErrorCode::kInvalidArgument;
      break;
    default:
      break;
  }
  std::string message(what);
  message += ": ";
  message += strerror(os_errno);
  return Error(code, std::move(message), os_errno);
}

Error& Error::Prepend(std::string_view context) {
  message_.insert(0, std::string(context) + ": ");
  return *this;
}

}  // namespace stockade
