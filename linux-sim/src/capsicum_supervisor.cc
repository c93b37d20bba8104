// SPDX-License-Identifier: BSD-2-Clause
// The supervisor's Capsicum emulation: duplicates that keep their limits, placeholders on closed
// fixed numbers, fstat(2) of limited directories, and in capability mode exec, signals and
// process descriptors. Lookups go to the lookup worker (capsicum_lookup.cc).

#include "capsicum_supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "stockade/base/capsicum_abi.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim::detail {
namespace {

int Nr(const char* name) { return policy::FindSyscall(policy::Target::kLinux, name)->number; }

struct Numbers {
  int dup = Nr("dup"), dup2 = Nr("dup2"), dup3 = Nr("dup3"), fcntl = Nr("fcntl");
  int close = Nr("close"), newfstatat = Nr("newfstatat"), statx = Nr("statx");
  int execve = Nr("execve"), execveat = Nr("execveat");
  int kill = Nr("kill"), tkill = Nr("tkill"), tgkill = Nr("tgkill");
  int rt_sigqueueinfo = Nr("rt_sigqueueinfo"), rt_tgsigqueueinfo = Nr("rt_tgsigqueueinfo");
  int pidfd_open = Nr("pidfd_open");
};
const Numbers& Syscalls() {
  static const Numbers numbers;
  return numbers;
}

// The innermost pid namespace's number of the process or thread with host id `id`: the last
// field of its NSpid (NStgid) line.
pid_t InnermostId(pid_t id, const char* field) {
  std::ifstream status("/proc/" + std::to_string(id) + "/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    long value = -1, last = -1;
    while (fields >> value) last = value;
    return static_cast<pid_t>(last);
  }
  return -1;
}

pid_t HostTgid(pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::atol(line.c_str() + 5));
  }
  return -1;
}

}  // namespace

CapsicumSupervisor::CapsicumSupervisor(const SandboxPlan& plan)
    : plan_(plan), layout_(plan.capsicum.layout) {}

bool CapsicumSupervisor::Handles(const struct seccomp_notif& n) const {
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = n.data.args[i];
  return DecideCapsicum(layout_, n.data.nr, args) == CapsicumVerdict::kSupervise;
}

void CapsicumSupervisor::Handle(int listener, const struct seccomp_notif& n, bool launcher_exec) {
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  if ((call == nr.execve || call == nr.execveat) && launcher_exec) {
    return Continue(listener, n.id);
  }
  NotifyTarget target;
  if (!target.Open(listener, n)) return;  // the thread is gone, or the call was interrupted
  if (call == nr.dup || call == nr.dup2 || call == nr.dup3 || call == nr.fcntl) {
    return Dup(listener, n, target);
  }
  if (call == nr.close) return Close(listener, n, target);
  if (call == nr.execve || call == nr.execveat) return Exec(listener, n, target);
  if (call == nr.kill || call == nr.tkill || call == nr.tgkill || call == nr.rt_sigqueueinfo ||
      call == nr.rt_tgsigqueueinfo) {
    return Signal(listener, n, target);
  }
  if (call == nr.pidfd_open) return PidfdOpen(listener, n, target);
  if ((call == nr.newfstatat || call == nr.statx) && Fstat(listener, n, target)) return;
  if (IsLookupCall(call)) {
    if (!lookups_) {
      UniqueFd root(root_ ? fcntl(root_.get(), F_DUPFD_CLOEXEC, 0) : -1);
      lookups_ = std::make_unique<LookupEngine>(plan_, placement_, std::move(root));
    }
    return lookups_->Submit(listener, n);
  }
  Send(listener, n.id, 0, ENOSYS);  // routed without a handler: fail closed
}

int CapsicumSupervisor::FreeSlot(NotifyTarget& target, int cls, int minimum) {
  for (int number : layout_.BlockOf(cls)) {
    if (number >= minimum && !target.IsOpen(number)) return number;
  }
  return -1;
}

void CapsicumSupervisor::Dup(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
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
    std::lock_guard<std::mutex> lock(placement_);
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
  std::lock_guard<std::mutex> lock(placement_);
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

bool CapsicumSupervisor::IsPlaceholder(NotifyTarget& target, int fd) {
  if (!placeholder_) return false;
  return syscall(SYS_kcmp, getpid(), target.tid(), KCMP_FILE, placeholder_.get(), fd) == 0;
}

void CapsicumSupervisor::Close(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  // The number keeps a placeholder, so that no later descriptor gets it and its limits.
  const int fd = Low(n.data.args[0]);
  std::lock_guard<std::mutex> lock(placement_);
  if (!target.IsOpen(fd) || IsPlaceholder(target, fd)) return Send(listener, n.id, 0, EBADF);
  const int placeholder = Placeholder();
  if (placeholder < 0) return Send(listener, n.id, 0, EMFILE);
  const int installed = AddFd(listener, n.id, placeholder, fd, false, /*answer=*/false);
  if (installed == -ENOENT) return;  // interrupted: the program will close again
  Send(listener, n.id, 0, installed < 0 ? -installed : 0);
}

uint32_t CapsicumSupervisor::InsideId(uint32_t id, bool group) const {
  const UserNamespacePlan& u = plan_.userns;
  if (!u.enabled) return id;
  return id == (group ? u.outside_gid : u.outside_uid) ? (group ? u.inside_gid : u.inside_uid)
                                                       : 65534;
}

bool CapsicumSupervisor::Fstat(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  const bool is_statx = n.data.nr == Syscalls().statx;
  const int dir_fd = Low(n.data.args[0]);
  const unsigned flags = static_cast<unsigned>(is_statx ? n.data.args[2] : n.data.args[3]);
  if (!(flags & AT_EMPTY_PATH)) return false;
  char first = 1;
  if (!target.Read(n.data.args[1], &first, 1)) {
    Send(listener, n.id, 0, EFAULT);
    return true;
  }
  if (first != '\0') return false;  // a lookup: the worker reads the path itself
  UniqueFd file = target.Get(dir_fd);
  if (!file) {
    Send(listener, n.id, 0, EBADF);
    return true;
  }
  // fstat(2) of the supervisor's duplicate: the same open file. Ids are shown as the program's
  // user namespace would show them.
  int error = 0;
  if (is_statx) {
    struct statx result {};
    const unsigned kept = flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE);
    if (syscall(SYS_statx, file.get(), "", AT_EMPTY_PATH | kept,
                static_cast<unsigned>(n.data.args[3]), &result) != 0) {
      error = errno;
    } else {
      result.stx_uid = InsideId(result.stx_uid, false);
      result.stx_gid = InsideId(result.stx_gid, true);
      if (!target.Write(n.data.args[4], &result, sizeof(result))) error = EFAULT;
    }
  } else {
    struct stat result {};
    if (fstat(file.get(), &result) != 0) {
      error = errno;
    } else {
      result.st_uid = InsideId(result.st_uid, false);
      result.st_gid = InsideId(result.st_gid, true);
      if (!target.Write(n.data.args[2], &result, sizeof(result))) error = EFAULT;
    }
  }
  Send(listener, n.id, 0, error);
  return true;
}

void CapsicumSupervisor::Exec(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  if (n.data.nr == Syscalls().execve) {
    // execve looks its path up in the global namespace.
    if (layout_.capability_mode) return Send(listener, n.id, 0, STOCKADE_ECAPMODE);
    return Continue(listener, n.id);
  }
  // execveat: with a directory, the kernel would look the path up unsupervised; only a
  // non-directory (fexecve, or a path that then fails with ENOTDIR) may go on. In capability
  // mode the filter already refused AT_FDCWD and calls without AT_EMPTY_PATH.
  const int fd = Low(n.data.args[0]);
  const int cls = layout_.ClassOf(fd);
  if (layout_.capability_mode ||
      (cls >= 0 && layout_.classes[static_cast<size_t>(cls)].directory)) {
    // In capability mode the check must also hold when the kernel acts, after CONTINUE: the
    // number could otherwise be closed and reused for a directory by another thread, and the
    // kernel would look the path up from it, unsupervised. Only a single-threaded process
    // (whose table no other process shares: the filter refuses clone(CLONE_FILES) without
    // CLONE_THREAD) cannot change it while its one thread waits here. A non-directory then
    // makes the path harmless: "" executes the descriptor, a relative path fails with
    // ENOTDIR, an absolute one is looked up in the capability-mode root (the libraries).
    if (layout_.capability_mode && target.Status("Threads") != "1") {
      return Send(listener, n.id, 0, STOCKADE_ECAPMODE);
    }
    UniqueFd file = target.Get(fd);
    struct stat st {};
    if (!file || fstat(file.get(), &st) != 0) return Send(listener, n.id, 0, EBADF);
    if (S_ISDIR(st.st_mode)) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
  }
  Continue(listener, n.id);
}

void CapsicumSupervisor::Signal(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  // FreeBSD's kill(2) in capability mode: only to the process itself. The registers decide,
  // and the kernel reads the same ones on CONTINUE; our own pid cannot change under us.
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  const pid_t self = target.NamespaceTgid();
  bool own = false;
  if (call == nr.kill || call == nr.rt_sigqueueinfo || call == nr.tgkill ||
      call == nr.rt_tgsigqueueinfo) {
    own = self > 0 && Low(n.data.args[0]) == self;
  } else {  // tkill(tid, sig): a thread of the caller's own process
    const pid_t wanted = Low(n.data.args[0]);
    const pid_t tgid = HostTgid(target.tid());
    const std::string tasks = "/proc/" + std::to_string(tgid) + "/task";
    if (DIR* dir = opendir(tasks.c_str())) {
      while (struct dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        if (InnermostId(static_cast<pid_t>(std::atol(entry->d_name)), "NSpid") == wanted) {
          own = true;
        }
      }
      closedir(dir);
    }
  }
  if (!own) return Send(listener, n.id, 0, STOCKADE_ECAPMODE);
  Continue(listener, n.id);
}

void CapsicumSupervisor::PidfdOpen(int listener, const struct seccomp_notif& n,
                                   NotifyTarget& target) {
  // Only of the caller's own children, as pdfork(2) gives. The supervisor opens it itself and
  // checks the parent after opening: the pidfd pins the process, so a recycled pid cannot
  // pass for the child.
  const pid_t wanted = Low(n.data.args[0]);
  const unsigned flags = static_cast<unsigned>(n.data.args[1]);
  const pid_t parent = HostTgid(target.tid());
  std::string children;
  {
    const std::string tasks = "/proc/" + std::to_string(parent) + "/task";
    if (DIR* dir = opendir(tasks.c_str())) {
      while (struct dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream list(tasks + "/" + entry->d_name + "/children");
        std::string more;
        std::getline(list, more);
        children += more + " ";
      }
      closedir(dir);
    }
  }
  std::istringstream pids(children);
  long child = 0;
  while (pids >> child) {
    if (InnermostId(static_cast<pid_t>(child), "NStgid") != wanted) continue;
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, child, flags)));
    if (!pidfd) return Send(listener, n.id, 0, errno);
    if (HostTgid(static_cast<pid_t>(child)) != child) break;
    std::ifstream status("/proc/" + std::to_string(child) + "/status");
    std::string line;
    pid_t ppid = -1;
    while (std::getline(status, line)) {
      if (line.rfind("PPid:", 0) == 0) ppid = static_cast<pid_t>(std::atol(line.c_str() + 5));
    }
    if (ppid != parent) break;
    const int installed = AddFd(listener, n.id, pidfd.get(), -1, /*cloexec=*/true, true);
    if (installed < 0 && installed != -ENOENT) Send(listener, n.id, 0, -installed);
    return;
  }
  Send(listener, n.id, 0, STOCKADE_ECAPMODE);
}

}  // namespace stockade::linux_sim::detail
