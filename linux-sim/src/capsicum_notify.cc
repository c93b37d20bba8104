// SPDX-License-Identifier: BSD-2-Clause
// Answering seccomp notifications: replies, descriptor installation, the calling thread.

#include "capsicum_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace stockade::linux_sim::detail {
namespace {

constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD (Linux 6.9): a pidfd of one thread

}  // namespace

void Send(int listener, uint64_t id, int64_t value, int error) {
  struct seccomp_notif_resp response {};
  response.id = id;
  response.val = error ? 0 : value;
  response.error = error ? -error : 0;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void Continue(int listener, uint64_t id) {
  struct seccomp_notif_resp response {};
  response.id = id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

void FailIfPending(int listener, uint64_t id, int error) {
  uint64_t pending = id;
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &pending) == 0) Send(listener, id, 0, error);
}

int AddFd(int listener, uint64_t id, int file, int number, bool cloexec, bool answer) {
  struct seccomp_notif_addfd add {};
  add.id = id;
  add.srcfd = static_cast<uint32_t>(file);
  add.newfd = number >= 0 ? static_cast<uint32_t>(number) : 0;
  add.flags = (number >= 0 ? SECCOMP_ADDFD_FLAG_SETFD : 0) | (answer ? SECCOMP_ADDFD_FLAG_SEND : 0);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  const int result = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  return result >= 0 ? result : -errno;
}

bool NotifyTarget::Open(int listener, const struct seccomp_notif& n) {
  tid_ = static_cast<pid_t>(n.pid);
  pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, tid_, kPidfdThread)));
  if (!pidfd_) pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, tid_, 0)));
  if (!pidfd_) return false;
  // The memory as a file: it stays the opened process's address space even if the thread
  // dies and its id is recycled, so a write meant for the program can never reach another
  // process (process_vm_writev names the target by id on every call).
  const std::string mem = "/proc/" + std::to_string(tid_) + "/mem";
  mem_ = UniqueFd(open(mem.c_str(), O_RDWR | O_CLOEXEC));
  if (!mem_) return false;
  // Still pending: the pidfd and the memory are the caller's, not a recycled id's.
  uint64_t id = n.id;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

UniqueFd NotifyTarget::Get(int fd) const {
  return UniqueFd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd_.get(), fd, 0)));
}

bool NotifyTarget::IsOpen(int fd) const {
  if (fd < 0) return false;
  if (syscall(SYS_kcmp, tid_, tid_, KCMP_FILE, fd, fd) == 0) return true;
  if (errno != ENOSYS && errno != EPERM) return false;
  return static_cast<bool>(Get(fd));  // no kcmp: probe with a duplicate
}

bool NotifyTarget::Read(uint64_t address, void* buffer, size_t size) const {
  if (address > static_cast<uint64_t>(INT64_MAX) - size) return false;
  return pread(mem_.get(), buffer, size, static_cast<off_t>(address)) == static_cast<ssize_t>(size);
}

bool NotifyTarget::Write(uint64_t address, const void* buffer, size_t size) const {
  if (address > static_cast<uint64_t>(INT64_MAX) - size) return false;
  return pwrite(mem_.get(), buffer, size, static_cast<off_t>(address)) ==
         static_cast<ssize_t>(size);
}

bool NotifyTarget::ReadPath(uint64_t address, std::string& out, int* error) const {
  out.clear();
  char chunk[256];
  while (out.size() < PATH_MAX) {
    // Never across a page boundary in one read: the next page may not be mapped.
    const uint64_t at = address + out.size();
    const size_t room = 4096 - static_cast<size_t>(at % 4096);
    const size_t size = std::min(sizeof(chunk), room);
    if (!Read(at, chunk, size)) {
      *error = EFAULT;
      return false;
    }
    const void* nul = memchr(chunk, '\0', size);
    if (nul) {
      out.append(chunk, static_cast<size_t>(static_cast<const char*>(nul) - chunk));
      return true;
    }
    out.append(chunk, size);
  }
  *error = ENAMETOOLONG;
  return false;
}

std::string NotifyTarget::Status(const char* field) const {
  std::ifstream status("/proc/" + std::to_string(tid_) + "/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) {
      std::string value = line.substr(prefix.size());
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

pid_t NotifyTarget::NamespaceTgid() const {
  // "NStgid: 4711 2": the last number is the innermost namespace's.
  const std::string line = Status("NStgid");
  const size_t last = line.find_last_of(" \t");
  const std::string number = last == std::string::npos ? line : line.substr(last + 1);
  return number.empty() ? -1 : static_cast<pid_t>(std::strtol(number.c_str(), nullptr, 10));
}

}  // namespace stockade::linux_sim::detail
