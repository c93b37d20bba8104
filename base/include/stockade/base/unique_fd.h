// SPDX-License-Identifier: BSD-2-Clause
// UniqueFd: sole owner of a file descriptor; closes it on destruction.

#ifndef STOCKADE_BASE_UNIQUE_FD_H_
#define STOCKADE_BASE_UNIQUE_FD_H_

#include <utility>

namespace stockade {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the current descriptor (if any) and owns `fd`. Safe between fork and exec.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace stockade

#endif  // STOCKADE_BASE_UNIQUE_FD_H_
