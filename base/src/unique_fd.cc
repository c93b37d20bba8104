// SPDX-License-Identifier: BSD-2-Clause
// UniqueFd::reset.

#include "stockade/base/unique_fd.h"

#include <unistd.h>

namespace stockade {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // close(2) errors cannot be acted on here; the fd is gone anyway
  fd_ = fd;
}

}  // namespace stockade
