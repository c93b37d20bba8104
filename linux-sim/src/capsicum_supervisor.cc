// SPDX-License-Identifier: BSD-2-Clause
// The supervisor's Capsicum emulation: duplicates that keep their limits, placeholders on closed
// fixed numbers, fstat(2) of limited directories, and in capability mode exec, signals and
// process descriptors. Lookups go to the lookup worker (capsicum_lookup.cc).

#include "capsicum_supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "capsicum_table.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/policy/names.h"
#include "thread_runner.h"

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
  int socket = Nr("socket"), socketpair = Nr("socketpair");
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

// The host id of the thread of host process `tgid` that its pid namespace calls `tid`, or -1.
pid_t HostTid(pid_t tgid, pid_t tid) {
  pid_t found = -1;
  const std::string tasks = "/proc/" + std::to_string(tgid) + "/task";
  if (DIR* dir = opendir(tasks.c_str())) {
    while (struct dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      const pid_t host = static_cast<pid_t>(std::atol(entry->d_name));
      if (InnermostId(host, "NSpid") == tid) found = host;
    }
    closedir(dir);
  }
  return found;
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

// The thread that makes the program's Unix sockets (CapsicumSupervisor::Socket): it enters the
// sandbox's network namespace (abstract addresses live there) and takes the program's ids
// (SO_PEERCRED of a pair, the sockets' owner) once, and lives as long as the supervisor;
// nothing else of the supervisor runs with them.
class SocketMaker {
 public:
  SocketMaker(UniqueFd netns, const SandboxPlan& plan)
      : netns_(std::move(netns)), plan_(plan), thread_([this] { return Become(); }) {}

  // A socket (ends[0]) or a pair, with SO_PASSRIGHTS off: 0 or an errno.
  int Make(bool pair, int domain, int type, int protocol, int ends[2]) {
    int error = 0;
    const int setup = thread_.Run([&] {
      if (pair ? socketpair(domain, type, protocol, ends) != 0
               : (ends[0] = socket(domain, type, protocol)) < 0) {
        error = errno;
        return;
      }
      const int off = 0;
      for (int i = 0; i < (pair ? 2 : 1); ++i) {
        if (setsockopt(ends[i], SOL_SOCKET, kSoPassRights, &off, sizeof(off)) != 0) error = errno;
      }
    });
    return setup ? setup : error;
  }

 private:
  int Become() {
    if (netns_ && setns(netns_.get(), CLONE_NEWNET) != 0) return errno;
    if (plan_.userns.enabled) return 0;  // already the program's (mapped) identity
    // On this thread only: raw system calls (glibc's set*id change every thread).
    if (syscall(SYS_setgroups, 0, nullptr) != 0 ||
        syscall(SYS_setresgid, plan_.gid, plan_.gid, plan_.gid) != 0 ||
        syscall(SYS_setresuid, plan_.uid, plan_.uid, plan_.uid) != 0) {
      return errno;
    }
    return 0;
  }

  UniqueFd netns_;
  const SandboxPlan& plan_;
  ThreadRunner thread_;  // last: it starts in the constructor
};

CapsicumSupervisor::CapsicumSupervisor(const SandboxPlan& plan)
    : plan_(plan), layout_(plan.capsicum.layout) {}

CapsicumSupervisor::~CapsicumSupervisor() = default;

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
  if (!target.Open(listener, n)) return FailIfPending(listener, n.id, EACCES);
  Dispatch(listener, n, target, layout_, /*forwarded=*/false);
}

void CapsicumSupervisor::Dispatch(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                                  const CapsicumLayout& layout, bool forwarded) {
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  current_ = &layout;
  forwarded_ = forwarded;
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
  if (call == nr.socket || call == nr.socketpair) return Socket(listener, n, target);
  if ((call == nr.newfstatat || call == nr.statx) && Fstat(listener, n, target)) return;
  if (IsLookupCall(call)) {
    if (!lookups_) {
      UniqueFd root(root_ ? fcntl(root_.get(), F_DUPFD_CLOEXEC, 0) : -1);
      UniqueFd landlock(landlock_ ? fcntl(landlock_.get(), F_DUPFD_CLOEXEC, 0) : -1);
      lookups_ =
          std::make_unique<LookupEngine>(plan_, placement_, std::move(root), std::move(landlock));
    }
    return lookups_->Submit(listener, n, std::move(target), &layout);
  }
  Send(listener, n.id, 0, ENOSYS);  // routed without a handler: fail closed
}

int CapsicumSupervisor::FreeSlot(NotifyTarget& target, int cls, int minimum) {
  for (int number : current_->BlockOf(cls)) {
    if (number >= minimum && !target.IsOpen(number)) return number;
  }
  return -1;
}

void CapsicumSupervisor::Dup(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  const Numbers& nr = Syscalls();
  const int call = n.data.nr;
  const int old_fd = Low(n.data.args[0]);
  const int cls = current_->ClassOf(old_fd);
  UniqueFd file = target.Get(old_fd);
  if (cls < 0 || !file) return Send(listener, n.id, 0, EBADF);

  if (call == nr.dup || call == nr.fcntl) {
    // dup and F_DUPFD: a free number of the class's block (FreeBSD: the lowest free number).
    const bool cloexec = call == nr.fcntl && Low(n.data.args[1]) == F_DUPFD_CLOEXEC;
    const int minimum = call == nr.fcntl ? Low(n.data.args[2]) : 0;
    if (minimum < 0) return Send(listener, n.id, 0, EINVAL);
    // A block limited at least as long as the original (mechanism 7: the program's own limits
    // may be younger than the state a process names).
    const int place = current_->PlacementClass(old_fd);
    if (place < 0) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
    std::lock_guard<std::mutex> lock(placement_);
    const int slot = FreeSlot(target, place, minimum);
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
  RightsClass source = current_->classes[static_cast<size_t>(cls)];
  struct stat st {};
  if (source.directory && fstat(file.get(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    source.directory = false;  // a file opened beneath a directory may go where files may
  }
  const int target_cls = current_->ClassOf(new_fd);
  const RightsClass unlimited;
  const RightsClass& number =
      target_cls >= 0 ? current_->classes[static_cast<size_t>(target_cls)] : unlimited;
  if (!source.Covers(number)) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
  if (current_->SinceOf(new_fd) > current_->SinceOf(old_fd)) {
    return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);  // limited later than the original
  }
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
  if (forwarded_) {
    // A trapped exec cannot continue, and the supervisor cannot exec for the program. Only
    // capability mode traps exec (docs: fexecve after cap_enter is refused).
    return Send(listener, n.id, 0, current_->capability_mode ? STOCKADE_ECAPMODE : ENOSYS);
  }
  if (n.data.nr == Syscalls().execve) {
    // execve looks its path up in the global namespace.
    if (current_->capability_mode) return Send(listener, n.id, 0, STOCKADE_ECAPMODE);
    return Continue(listener, n.id);
  }
  // execveat: with a directory, the kernel would look the path up unsupervised; only a
  // non-directory (fexecve, or a path that then fails with ENOTDIR) may go on. In capability
  // mode the filter already refused AT_FDCWD and calls without AT_EMPTY_PATH.
  const int fd = Low(n.data.args[0]);
  const int cls = current_->ClassOf(fd);
  if (current_->capability_mode ||
      (cls >= 0 && current_->classes[static_cast<size_t>(cls)].directory)) {
    // In capability mode the check must also hold when the kernel acts, after CONTINUE: the
    // number could otherwise be closed and reused for a directory by another thread, and the
    // kernel would look the path up from it, unsupervised. Only a single-threaded process
    // (whose table no other process shares: the filter refuses clone(CLONE_FILES) without
    // CLONE_THREAD) cannot change it while its one thread waits here. A non-directory then
    // makes the path harmless: "" executes the descriptor, a relative path fails with
    // ENOTDIR, an absolute one is looked up in the capability-mode root (the libraries).
    if (current_->capability_mode && target.Status("Threads") != "1") {
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
  const pid_t tgid = HostTgid(target.tid());
  bool own = false;
  if (call == nr.kill || call == nr.rt_sigqueueinfo || call == nr.tgkill ||
      call == nr.rt_tgsigqueueinfo) {
    own = self > 0 && Low(n.data.args[0]) == self;
  } else {  // tkill(tid, sig): a thread of the caller's own process
    own = HostTid(tgid, Low(n.data.args[0])) > 0;
  }
  if (!own) return Send(listener, n.id, 0, STOCKADE_ECAPMODE);
  if (!forwarded_) return Continue(listener, n.id);
  // Trapped: the supervisor sends it, to the same process (host ids).
  const int sig =
      Low(call == nr.tgkill || call == nr.rt_tgsigqueueinfo ? n.data.args[2] : n.data.args[1]);
  long result = -1;
  if (call == nr.kill) {
    result = syscall(SYS_kill, tgid, sig);
  } else if (call == nr.tkill || call == nr.tgkill) {
    const pid_t tid = HostTid(tgid, Low(n.data.args[call == nr.tkill ? 0 : 1]));
    if (tid <= 0) return Send(listener, n.id, 0, ESRCH);
    result = syscall(SYS_tgkill, tgid, tid, sig);
  } else {
    siginfo_t info{};
    const uint64_t address = call == nr.rt_sigqueueinfo ? n.data.args[2] : n.data.args[3];
    if (!target.Read(address, &info, sizeof(info))) return Send(listener, n.id, 0, EFAULT);
    if (call == nr.rt_sigqueueinfo) {
      result = syscall(SYS_rt_sigqueueinfo, tgid, sig, &info);
    } else {
      const pid_t tid = HostTid(tgid, Low(n.data.args[1]));
      if (tid <= 0) return Send(listener, n.id, 0, ESRCH);
      result = syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &info);
    }
  }
  Send(listener, n.id, 0, result == 0 ? 0 : errno);
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

void CapsicumSupervisor::Socket(int listener, const struct seccomp_notif& n, NotifyTarget& target) {
  const bool pair = n.data.nr == Syscalls().socketpair;
  const int domain = Low(n.data.args[0]);
  const int type = Low(n.data.args[1]);
  const int protocol = Low(n.data.args[2]);
  if (domain != AF_UNIX) return Send(listener, n.id, 0, EINVAL);  // never routed here
  int ends[2] = {-1, -1};
  int mapped[2];
  if (pair && !target.Read(n.data.args[3], mapped, sizeof(mapped))) {
    return Send(listener, n.id, 0, EFAULT);  // as the kernel, before making anything
  }
  if (!sockets_) {
    UniqueFd netns;
    if (plan_.clone_flags & CLONE_NEWNET) {
      const std::string path = "/proc/" + std::to_string(target.tid()) + "/ns/net";
      netns = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      uint64_t id = n.id;
      if (!netns || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) {
        return Send(listener, n.id, 0, EPERM);  // no namespace to make it in: fail closed
      }
    }
    sockets_ = std::make_unique<SocketMaker>(std::move(netns), plan_);
  }
  const int error = sockets_->Make(pair, domain, type | SOCK_CLOEXEC, protocol, ends);
  UniqueFd first(ends[0]), second(pair ? ends[1] : -1);
  if (error) return Send(listener, n.id, 0, error);
  const bool cloexec = (type & SOCK_CLOEXEC) != 0;
  if (!pair) {
    const int installed = AddFd(listener, n.id, first.get(), -1, cloexec, /*answer=*/true);
    if (installed < 0 && installed != -ENOENT) Send(listener, n.id, 0, -installed);
    return;
  }
  // Two installations, then the numbers into the program's array. (If the second fails, the
  // first stays open in the program: ADDFD cannot take it back.)
  int numbers[2] = {-1, -1};
  for (int i = 0; i < 2; ++i) {
    numbers[i] = AddFd(listener, n.id, (i == 0 ? first : second).get(), -1, cloexec, false);
    if (numbers[i] == -ENOENT) return;  // interrupted
    if (numbers[i] < 0) return Send(listener, n.id, 0, -numbers[i]);
  }
  if (!target.Write(n.data.args[3], numbers, sizeof(numbers))) {
    return Send(listener, n.id, 0, EFAULT);
  }
  Send(listener, n.id, 0, 0);
}

int CapsicumSupervisor::SealSockets(NotifyTarget& target) {
  const std::string fds = "/proc/" + std::to_string(target.tid()) + "/fd";
  DIR* dir = opendir(fds.c_str());
  if (!dir) return errno;
  int error = 0;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char link[64] = {};
    const std::string path = fds + "/" + entry->d_name;
    if (readlink(path.c_str(), link, sizeof(link) - 1) <= 0 || strncmp(link, "socket:", 7) != 0) {
      continue;
    }
    UniqueFd socket = target.Get(std::atoi(entry->d_name));
    int domain = 0;
    socklen_t size = sizeof(domain);
    if (!socket || getsockopt(socket.get(), SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0 ||
        domain != AF_UNIX) {
      continue;  // closed meanwhile, or not a Unix socket
    }
    const int off = 0;
    if (setsockopt(socket.get(), SOL_SOCKET, kSoPassRights, &off, sizeof(off)) != 0) {
      error = errno;
    }
  }
  closedir(dir);
  return error;
}

// ---- the program's own limits (mechanism 7) --------------------------------------------------

namespace {

pid_t ParentOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("PPid:", 0) == 0) return static_cast<pid_t>(std::atol(line.c_str() + 5));
  }
  return -1;
}

uint64_t RightBit(const char* name) { return FindRight(name)->value; }

}  // namespace

bool CapsicumSupervisor::Request(int listener, const struct seccomp_notif& n,
                                 const PolicyAction& policy) {
  if (n.data.args[0] != STOCKADE_CAPSICUM_MAGIC) {
    Send(listener, n.id, 0, EINVAL);
    return true;
  }
  NotifyTarget target;
  if (!target.Open(listener, n)) {
    FailIfPending(listener, n.id, EACCES);
    return true;
  }
  if (!runtime_) {
    const int top = plan_.capsicum.descriptor_top > 0 ? plan_.capsicum.descriptor_top : 1024;
    runtime_ = std::make_unique<RuntimeStates>(layout_, plan_.capsicum.library_dirs, top);
  }
  const uint32_t op = static_cast<uint32_t>(n.data.args[1]);
  if (op == STOCKADE_CAPSICUM_OP_SUGGEST) {
    // Whatever this says, the claim check of the caller's filters verifies it.
    pid_t pid = HostTgid(target.tid());
    for (int hops = 0; pid > 1 && hops < 64; ++hops, pid = ParentOf(pid)) {
      if (const uint64_t id = runtime_->Suggest(pid)) {
        Send(listener, n.id, static_cast<int64_t>(id), 0);
        return true;
      }
    }
    Send(listener, n.id, 0, 0);
    return true;
  }
  // The claimed state: the caller's, or a stricter descendant (its filters refused any other).
  const RuntimeState* state = runtime_->Find(n.data.args[2]);
  if (!state) {
    Send(listener, n.id, 0, EINVAL);
    return true;
  }
  if (op == STOCKADE_CAPSICUM_OP_GETMODE) {
    Send(listener, n.id, state->full.capability_mode ? 1 : 0, 0);
    return true;
  }
  struct stockade_capsicum_request request {};
  if (!target.Read(n.data.args[3], &request, sizeof(request))) {
    Send(listener, n.id, 0, EFAULT);
    return true;
  }
  switch (op) {
    case STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT:
    case STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT:
    case STOCKADE_CAPSICUM_OP_FCNTLS_LIMIT:
    case STOCKADE_CAPSICUM_OP_ENTER:
      Change(listener, n, target, *state, op, request);
      return true;
    case STOCKADE_CAPSICUM_OP_RIGHTS_GET:
    case STOCKADE_CAPSICUM_OP_IOCTLS_GET:
    case STOCKADE_CAPSICUM_OP_FCNTLS_GET:
      Get(listener, n, target, *state, op, request);
      return true;
    case STOCKADE_CAPSICUM_OP_SYSCALL:
      return Forward(listener, n, target, *state, request, policy);
    default:
      Send(listener, n.id, 0, EINVAL);
      return true;
  }
}

void CapsicumSupervisor::Change(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                                const RuntimeState& state, uint32_t op,
                                const struct stockade_capsicum_request& r) {
  Expected<RuntimeChange> change = RuntimeChange{};
  if (op == STOCKADE_CAPSICUM_OP_ENTER) {
    change = runtime_->Enter(state);
  } else {
    const int fd = r.fd;
    if (fd < 0 || !target.IsOpen(fd) || IsPlaceholder(target, fd)) {
      return Send(listener, n.id, 0, EBADF);
    }
    const int cls = state.full.ClassOf(fd);
    const RightsClass current =
        cls >= 0 ? state.full.classes[static_cast<size_t>(cls)] : RightsClass{};
    RightsClass limits = current;
    if (op == STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT) {
      const RightSet wanted(r.rights[0], r.rights[1]);
      if ((r.rights[0] & RightSet::kWord0Marker) == 0 ||
          (r.rights[1] & RightSet::kWord1Marker) == 0 ||
          !RightSet::All(RightRelease::kFreeBsd15).Contains(wanted)) {
        return Send(listener, n.id, 0, EINVAL);
      }
      // FreeBSD's kern_cap_rights_limit: never more than the descriptor has; dropping
      // CAP_IOCTL or CAP_FCNTL drops the command lists too.
      if (cls >= 0 && !current.rights.Contains(wanted)) {
        return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
      }
      limits.rights = wanted;
      if (!wanted.Has(RightBit("CAP_IOCTL"))) limits.ioctls = std::vector<uint64_t>{};
      if (!wanted.Has(RightBit("CAP_FCNTL"))) limits.fcntls = 0;
    } else if (op == STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT) {
      if (r.nioctls > STOCKADE_CAPSICUM_MAX_IOCTLS) return Send(listener, n.id, 0, EINVAL);
      std::vector<uint64_t> commands(r.nioctls);
      if (!commands.empty() &&
          !target.Read(r.ioctls, commands.data(), commands.size() * sizeof(uint64_t))) {
        return Send(listener, n.id, 0, EFAULT);
      }
      std::sort(commands.begin(), commands.end());
      commands.erase(std::unique(commands.begin(), commands.end()), commands.end());
      if (current.ioctls && !std::includes(current.ioctls->begin(), current.ioctls->end(),
                                           commands.begin(), commands.end())) {
        return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
      }
      limits.ioctls = std::move(commands);
    } else {
      if ((r.fcntls & ~kFcntlAll) != 0) return Send(listener, n.id, 0, EINVAL);
      if ((r.fcntls & ~current.fcntls) != 0) return Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
      limits.fcntls = r.fcntls;
    }
    UniqueFd file = target.Get(fd);
    struct stat st {};
    if (file && fstat(file.get(), &st) == 0 && S_ISDIR(st.st_mode)) limits.directory = true;
    change = runtime_->Limit(state, fd, limits);
  }
  if (!change.has_value()) return Send(listener, n.id, 0, ENOMEM);
  if (!change->state) return Send(listener, n.id, 0, 0);  // no change: nothing to install
  // The sockets made before: the new state's filters have the supervisor make the later ones.
  if (change->state->full.SealsUnixSockets()) {
    if (const int error = SealSockets(target)) return Send(listener, n.id, 0, error);
  }

  // The programs, then the header, into the caller's struct stockade_capsicum_filters.
  using Filters = struct stockade_capsicum_filters;
  const size_t count = change->programs.size();
  Filters header{};
  header.state = change->state->id;
  header.count = static_cast<uint32_t>(count);
  for (size_t i = 0; i < count; ++i) {
    const std::vector<sock_filter>& program = change->programs[i];
    if (i >= STOCKADE_CAPSICUM_MAX_PROGRAMS || program.size() > STOCKADE_CAPSICUM_MAX_PROGRAM) {
      return Send(listener, n.id, 0, ENOMEM);
    }
    static_assert(sizeof(sock_filter) == sizeof(header.program[0][0]));
    header.length[i] = static_cast<uint32_t>(program.size());
    const uint64_t at = r.filters + offsetof(Filters, program) + i * sizeof(header.program[0]);
    if (!target.Write(at, program.data(), program.size() * sizeof(sock_filter))) {
      return Send(listener, n.id, 0, EFAULT);
    }
  }
  if (!target.Write(r.filters, &header, offsetof(Filters, program))) {
    return Send(listener, n.id, 0, EFAULT);
  }
  runtime_->Took(HostTgid(target.tid()), change->state->id);
  Send(listener, n.id, static_cast<int64_t>(count), 0);
}

void CapsicumSupervisor::Get(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                             const RuntimeState& state, uint32_t op,
                             const struct stockade_capsicum_request& r) {
  const int fd = r.fd;
  if (fd < 0 || !target.IsOpen(fd) || IsPlaceholder(target, fd)) {
    return Send(listener, n.id, 0, EBADF);
  }
  const int cls = state.full.ClassOf(fd);
  const RightsClass* limits = cls >= 0 ? &state.full.classes[static_cast<size_t>(cls)] : nullptr;
  if (op == STOCKADE_CAPSICUM_OP_RIGHTS_GET) {
    const RightSet rights = limits ? limits->rights : RightSet::All(RightRelease::kFreeBsd15);
    const uint64_t words[2] = {rights.word(0), rights.word(1)};
    if (!target.Write(r.out, words, sizeof(words))) return Send(listener, n.id, 0, EFAULT);
    return Send(listener, n.id, 0, 0);
  }
  if (op == STOCKADE_CAPSICUM_OP_FCNTLS_GET) {
    const uint32_t mask = limits ? limits->fcntls : kFcntlAll;
    if (!target.Write(r.out, &mask, sizeof(mask))) return Send(listener, n.id, 0, EFAULT);
    return Send(listener, n.id, 0, 0);
  }
  if (!limits || !limits->ioctls) {
    return Send(listener, n.id, STOCKADE_CAPSICUM_IOCTLS_ALL_RESULT, 0);
  }
  const std::vector<uint64_t>& commands = *limits->ioctls;
  const size_t written = std::min<uint64_t>(commands.size(), r.nioctls);
  if (written > 0 && !target.Write(r.out, commands.data(), written * sizeof(uint64_t))) {
    return Send(listener, n.id, 0, EFAULT);
  }
  Send(listener, n.id, static_cast<int64_t>(commands.size()), 0);
}

bool CapsicumSupervisor::Forward(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                                 const RuntimeState& state,
                                 const struct stockade_capsicum_request& r,
                                 const PolicyAction& policy) {
  // The trapped call, as if the kernel had sent it: the same thread and notification id.
  struct seccomp_notif call = n;
  call.data.nr = static_cast<int>(r.nr);
  for (int i = 0; i < 6; ++i) call.data.args[i] = r.args[i];
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = r.args[i];
  // The policy's filter came after the trap in the kernel's order of precedence: a kill wins
  // over the trap, an errno does not; so it is applied here.
  const uint32_t action = policy(call.data.nr, args);
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_USER_NOTIF:
    case SECCOMP_RET_TRACE:
      break;
    case SECCOMP_RET_ERRNO:
      Send(listener, n.id, 0, static_cast<int>(action & SECCOMP_RET_DATA));
      return true;
    default:
      return false;
  }
  switch (DecideCapsicum(state.full, call.data.nr, args)) {
    case CapsicumVerdict::kNotCapable:
      Send(listener, n.id, 0, STOCKADE_ENOTCAPABLE);
      break;
    case CapsicumVerdict::kCapMode:
      Send(listener, n.id, 0, STOCKADE_ECAPMODE);
      break;
    case CapsicumVerdict::kNoSys:
    case CapsicumVerdict::kAllow:  // never trapped: not a call the supervisor performs
      Send(listener, n.id, 0, ENOSYS);
      break;
    case CapsicumVerdict::kSupervise:
      Dispatch(listener, call, target, state.full, /*forwarded=*/true);
      break;
  }
  return true;
}

}  // namespace stockade::linux_sim::detail
