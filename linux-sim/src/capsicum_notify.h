// SPDX-License-Identifier: BSD-2-Clause
// Internal: answering seccomp notifications for the Capsicum emulation: the thread that made
// the call (a pidfd, its memory), replies, and descriptor installation. Shared by the
// supervisor's main thread (capsicum_supervisor.cc) and its lookup workers
// (capsicum_lookup.cc).

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_NOTIFY_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_NOTIFY_H_

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "stockade/base/unique_fd.h"

namespace stockade::linux_sim::detail {

// The low 32 bits of a register as the kernel reads an int argument.
inline int Low(uint64_t value) { return static_cast<int32_t>(static_cast<uint32_t>(value)); }

// Answers with a return value, or with -error when error != 0.
void Send(int listener, uint64_t id, int64_t value, int error);
// Lets the call run in the kernel with its registers (decisions on registers only).
void Continue(int listener, uint64_t id);
// After NotifyTarget::Open failed: the call fails with `error` if it is still pending (the
// supervisor could not reach the caller, whose thread would otherwise wait forever); a thread
// that is gone or a call that was interrupted is not answered.
void FailIfPending(int listener, uint64_t id, int error);
// Installs `file` in the target on `number` (replacing what is there) or, with number < 0, on
// its lowest free number. With `answer` the call returns that number (SECCOMP_ADDFD_FLAG_SEND,
// atomic with the installation). Returns the number or a negative errno (-ENOENT: the call
// was interrupted and nothing was installed).
int AddFd(int listener, uint64_t id, int file, int number, bool cloexec, bool answer);

// The thread that made the call.
class NotifyTarget {
 public:
  // Opens a pidfd of the thread and its memory (/proc/TID/mem), then checks that the
  // notification is still pending, so that a recycled thread id cannot stand in for it. False when
  // the thread is gone, the call was interrupted or the program cannot be reached (a program
  // in a user namespace that made itself undumpable, say): see FailIfPending.
  bool Open(int listener, const struct seccomp_notif& notification);
  pid_t tid() const { return tid_; }
  // The supervisor's own duplicate of the target's descriptor `fd` (pidfd_getfd(2)).
  UniqueFd Get(int fd) const;
  bool IsOpen(int fd) const;
  // The caller's memory, through /proc/TID/mem (a write reaches a read-only page too, where
  // the kernel's own copy would fail with EFAULT).
  bool Read(uint64_t address, void* buffer, size_t size) const;
  bool Write(uint64_t address, const void* buffer, size_t size) const;
  // A NUL-terminated path of at most PATH_MAX bytes, read once into `out`. On failure *error is
  // EFAULT or ENAMETOOLONG.
  bool ReadPath(uint64_t address, std::string& out, int* error) const;
  // A line of /proc/TID/status ("Umask", "NStgid", "Groups"): the text after the colon.
  std::string Status(const char* field) const;
  // The thread group id as the program's own PID namespace numbers it (innermost NStgid).
  pid_t NamespaceTgid() const;

 private:
  pid_t tid_ = -1;
  UniqueFd pidfd_;
  UniqueFd mem_;
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_NOTIFY_H_
