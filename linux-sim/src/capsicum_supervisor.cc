// SPDX-License-Identifier: BSD-2-Clause
// The supervisor's Capsicum emulation: duplicates that keep their limits, placeholders on closed
// fixed numbers, and fstat(2) of limited directories.

#include "capsicum_supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>

#include "stockade/base/capsicum_abi.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim::detail {
namespace {

constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD (Linux 6.9): a pidfd of one thread

int Nr(const char* name) { return policy::FindSyscall(policy::Target::kLinux, name)->number; }

struct Numbers {
  int dup = Nr("dup"), dup2 = Nr("dup2"), dup3 = Nr("dup3"), fcntl = Nr("fcntl");
  int close = Nr("close"), newfstatat = Nr("newfstatat"), statx = Nr("statx");
  int execve = Nr("execve"), execveat = Nr("execveat");
};
const Numbers& Syscalls() {
  static const Numbers numbers;
  return numbers;
}

int Low(uint64_t value) { return static_cast<int32_t>(static_cast<uint32_t>(value)); }

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

// Installs `file` in the target: on `number` (replacing what is there) or, with number < 0, on
// its lowest free number. With `answer`, the call returns that number (SECCOMP_ADDFD_FLAG_SEND,
// atomic with the installation). Returns the number or a negative errno.
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

}  // namespace

// The thread that made the call: a pidfd of it (checked against the notification, so that a
// recycled thread id cannot stand in for it) and its memory.
struct CapsicumSupervisor::Target {
  pid_t tid = -1;
  UniqueFd pidfd;

  bool Open(int listener, const struct seccomp_notif& n) {
    tid = static_cast<pid_t>(n.pid);
    pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, tid, kPidfdThread)));
    if (!pidfd) pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, tid, 0)));
    if (!pidfd) return false;
    uint64_t id = n.id;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  }
  // The supervisor's own duplicate of the target's descriptor `fd`.
  UniqueFd Get(int fd) const {
    return UniqueFd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  }
  bool IsOpen(int fd) const {
    const long same = syscall(SYS_kcmp, tid, tid, KCMP_FILE, fd, fd);
    if (same == 0) return true;
    if (errno != ENOSYS && errno != EPERM) return false;
    return static_cast<bool>(Get(fd));  // no kcmp: probe with a duplicate
  }
  bool Read(uint64_t address, void* buffer, size_t size) const {
    struct iovec local {
      buffer, size
    };
    struct iovec remote {
      reinterpret_cast<void*>(address), size
    };
    return process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
  }
  bool Write(uint64_t address, const void* buffer, size_t size) const {
    struct iovec local {
      const_cast<void*>(buffer), size
    };
    struct iovec remote {
      reinterpret_cast<void*>(address), size
    };
    return process_vm_writev(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
  }
  // A NUL-terminated string of at most PATH_MAX bytes, read once. False on a fault or when it
  // does not end within PATH_MAX (then *error says which).
  bool ReadPath(uint64_t address, std::string& out, int* error) const {
    out.clear();
    char chunk[256];
    while (out.size() < PATH_MAX) {
      // Never read across a page boundary in one call: the next page may not be mapped.
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
};

CapsicumSupervisor::CapsicumSupervisor(const CapsicumLayout& layout,
                                       const UserNamespacePlan& userns)
    : layout_(layout), userns_(userns) {}

bool CapsicumSupervisor::Handles(const struct seccomp_notif& n) const {
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = n.data.args[i];
  return DecideCapsicum(layout_, n.data.nr, args) == CapsicumVerdict::kSupervise;
}

void CapsicumSupervisor::Handle(int listener, const struct seccomp_notif& n, bool launcher_exec) {
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  if (call == nr.execve || call == nr.execveat) {
    if (launcher_exec) return Continue(listener, n.id);
  }
  Target target;
  if (!target.Open(listener, n)) return;  // the thread is gone, or the call was interrupted
  if (call == nr.dup || call == nr.dup2 || call == nr.dup3 || call == nr.fcntl) {
    return Dup(listener, n, target);
  }
  if (call == nr.close) return Close(listener, n, target);
  if (call == nr.newfstatat || call == nr.statx) return Stat(listener, n, target);
  if (call == nr.execve || call == nr.execveat) return Exec(listener, n, target);
  // Lookups beneath a limited directory (openat, mkdirat, ...): not performed by this build's
  // supervisor; refused rather than let through (docs/capsicum-linux.md, status).
  Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
}

int CapsicumSupervisor::FreeSlot(Target& target, int cls, int minimum) {
  for (int number : layout_.BlockOf(cls)) {
    if (number >= minimum && !target.IsOpen(number)) return number;
  }
  return -1;
}

void CapsicumSupervisor::Dup(int listener, const struct seccomp_notif& n, Target& target) {
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  const int old_fd = Low(n.data.args[0]);
  const int cls = layout_.ClassOf(old_fd);
  UniqueFd file = target.Get(old_fd);
  if (cls < 0 || !file) return Send(listener, n.id, 0, EBADF);

  if (call == nr.dup || call == nr.fcntl) {
    // dup and F_DUPFD: a free number of the class's block (FreeBSD: the lowest free number).
    const bool cloexec = call == nr.fcntl && Low(n.data.args[1]) == F_DUPFD_CLOEXEC;
    const int minimum = call == nr.fcntl ? Low(n.data.args[2]) : 0;
    if (minimum < 0) return Send(listener, n.id, 0, EINVAL);
    const int slot = FreeSlot(target, cls, minimum);
    if (slot < 0) return Send(listener, n.id, 0, EMFILE);
    const int installed = AddFd(listener, n.id, file.get(), slot, cloexec, /*answer=*/true);
    if (installed < 0 && installed != -ENOENT) Send(listener, n.id, 0, -installed);
    return;
  }

  // dup2, dup3: onto the number the program names, if that number's limits are no wider.
  const int new_fd = Low(n.data.args[1]);
  const unsigned flags = call == nr.dup3 ? static_cast<unsigned>(n.data.args[2]) : 0;
  if (call == nr.dup3 && (flags & ~static_cast<unsigned>(O_CLOEXEC)) != 0) {
    return Send(listener, n.id, 0, EINVAL);
  }
  if (new_fd == old_fd) {
    if (call == nr.dup3) return Send(listener, n.id, 0, EINVAL);
    return Send(listener, n.id, new_fd, 0);
  }
  if (new_fd < 0) return Send(listener, n.id, 0, EBADF);
  RightsClass source = layout_.classes[static_cast<size_t>(cls)];
  struct stat st {};
  if (source.directory && fstat(file.get(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    source.directory = false;  // a file opened beneath a directory may go where files may
  }
  const int target_cls = layout_.ClassOf(new_fd);
  const RightsClass unlimited;
  const RightsClass& number =
      target_cls >= 0 ? layout_.classes[static_cast<size_t>(target_cls)] : unlimited;
  if (!source.Covers(number)) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
  const int installed =
      AddFd(listener, n.id, file.get(), new_fd, (flags & O_CLOEXEC) != 0, /*answer=*/true);
  if (installed < 0 && installed != -ENOENT) Send(listener, n.id, 0, -installed);
}

int CapsicumSupervisor::Placeholder() {
  if (placeholder_) return placeholder_.get();
  // The read end of a pipe whose write end is closed: reads see end of file, and nothing can
  // be written to it, mapped, or looked up beneath it. (An O_PATH descriptor would do as well,
  // but SECCOMP_IOCTL_NOTIF_ADDFD refuses to install those.)
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return -1;
  close(ends[1]);
  placeholder_ = UniqueFd(ends[0]);
  return placeholder_.get();
}

bool CapsicumSupervisor::IsPlaceholder(Target& target, int fd) {
  if (!placeholder_) return false;
  return syscall(SYS_kcmp, getpid(), target.tid, KCMP_FILE, placeholder_.get(), fd) == 0;
}

void CapsicumSupervisor::Close(int listener, const struct seccomp_notif& n, Target& target) {
  // The number keeps a placeholder, so that no later descriptor gets it and its limits.
  const int fd = Low(n.data.args[0]);
  if (!target.IsOpen(fd) || IsPlaceholder(target, fd)) return Send(listener, n.id, 0, EBADF);
  const int placeholder = Placeholder();
  if (placeholder < 0) return Send(listener, n.id, 0, EMFILE);
  const int installed = AddFd(listener, n.id, placeholder, fd, false, /*answer=*/false);
  if (installed == -ENOENT) return;  // interrupted: the program will close again
  Send(listener, n.id, 0, installed < 0 ? -installed : 0);
}

uint32_t CapsicumSupervisor::InsideId(uint32_t id, bool group) const {
  if (!userns_.enabled) return id;
  const uint32_t outside = group ? userns_.outside_gid : userns_.outside_uid;
  const uint32_t inside = group ? userns_.inside_gid : userns_.inside_uid;
  return id == outside ? inside : 65534;  // unmapped ids show as the overflow id
}

void CapsicumSupervisor::Stat(int listener, const struct seccomp_notif& n, Target& target) {
  const bool is_statx = n.data.nr == Syscalls().statx;
  const int dir_fd = Low(n.data.args[0]);
  const unsigned flags = static_cast<unsigned>(is_statx ? n.data.args[2] : n.data.args[3]);
  std::string path;
  int error = 0;
  if (!target.ReadPath(n.data.args[1], path, &error)) return Send(listener, n.id, 0, error);
  if (!path.empty() || !(flags & AT_EMPTY_PATH)) {
    // A lookup beneath the directory: not performed by this build (see Handle).
    return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
  }
  UniqueFd file = target.Get(dir_fd);
  if (!file) return Send(listener, n.id, 0, EBADF);
  // fstat(2) of the supervisor's duplicate: the same open file. Ids are shown as the program's
  // user namespace would show them.
  if (is_statx) {
    struct statx result {};
    const unsigned kept = flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE);
    if (syscall(SYS_statx, file.get(), "", AT_EMPTY_PATH | kept,
                static_cast<unsigned>(n.data.args[3]), &result) != 0) {
      return Send(listener, n.id, 0, errno);
    }
    result.stx_uid = InsideId(result.stx_uid, false);
    result.stx_gid = InsideId(result.stx_gid, true);
    if (!target.Write(n.data.args[4], &result, sizeof(result))) {
      return Send(listener, n.id, 0, EFAULT);
    }
    return Send(listener, n.id, 0, 0);
  }
  struct stat result {};
  if (fstat(file.get(), &result) != 0) return Send(listener, n.id, 0, errno);
  result.st_uid = InsideId(result.st_uid, false);
  result.st_gid = InsideId(result.st_gid, true);
  if (!target.Write(n.data.args[2], &result, sizeof(result))) {
    return Send(listener, n.id, 0, EFAULT);
  }
  Send(listener, n.id, 0, 0);
}

void CapsicumSupervisor::Exec(int listener, const struct seccomp_notif& n, Target& target) {
  if (n.data.nr == Syscalls().execveat) {
    const int fd = Low(n.data.args[0]);
    const int cls = layout_.ClassOf(fd);
    if (cls >= 0 && layout_.classes[static_cast<size_t>(cls)].directory) {
      // Relative to a limited directory the kernel would look the path up unsupervised; only
      // a non-directory (fexecve, or a lookup that fails with ENOTDIR) may go on.
      UniqueFd file = target.Get(fd);
      struct stat st {};
      if (!file || fstat(file.get(), &st) != 0) return Send(listener, n.id, 0, EBADF);
      if (S_ISDIR(st.st_mode)) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
    }
  }
  Continue(listener, n.id);
}

}  // namespace stockade::linux_sim::detail
