// SPDX-License-Identifier: BSD-2-Clause
// C (the namespace init) and G (the program) of a linux-sim sandbox, and SimPlatform. All of it
// runs between clone and exec: no allocation, no exceptions; failures become Messages.

#include "child.h"

#include <cap-ng.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <pwd.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "capsicum_table.h"
#include "landlock_abi.h"

namespace stockade::linux_sim::detail {
namespace {

[[noreturn]] void Fail(const ChildArgs& args, Step step, int32_t index, int error) noexcept {
  Message message{};
  message.type = MessageType::kSetupFailed;
  message.step = step;
  message.index = index;
  message.error = error;
  Report(args.report_fd, message);
  _exit(launch::kExitSetupFailed);
}

int WriteFile(const char* path, const char* value) noexcept {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const size_t length = strlen(value);
  const ssize_t written = write(fd, value, length);
  const int error = written == static_cast<ssize_t>(length) ? 0 : (written < 0 ? errno : EIO);
  close(fd);
  return error;
}

int RunFsStep(const FsStep& step) noexcept {
  const char* target = step.target.c_str();
  switch (step.kind) {
    case FsStep::Kind::kMakePrivate:
      return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 ? 0 : errno;
    case FsStep::Kind::kTmpfs:
      return mount("tmpfs", target, "tmpfs", step.flags, step.data.c_str()) == 0 ? 0 : errno;
    case FsStep::Kind::kBind:
      return mount(step.source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) == 0 ? 0
                                                                                         : errno;
    case FsStep::Kind::kSetAttr: {
      // mount_setattr(2) with AT_RECURSIVE makes a bind mount and everything beneath it
      // read-only in one call; a MS_REMOUNT would leave submounts writable.
      struct mount_attr attr {};
      attr.attr_set = step.flags;
      return syscall(SYS_mount_setattr, AT_FDCWD, target, step.recursive ? AT_RECURSIVE : 0, &attr,
                     sizeof(attr)) == 0
                 ? 0
                 : errno;
    }
    case FsStep::Kind::kOverlay:
      return mount("overlay", target, "overlay", step.flags, step.data.c_str()) == 0 ? 0 : errno;
    case FsStep::Kind::kProc:
      return mount("proc", target, "proc", step.flags,
                   step.data.empty() ? nullptr : step.data.c_str()) == 0
                 ? 0
                 : errno;
    case FsStep::Kind::kMkdir:
      if (mkdir(target, step.mode) == 0 || errno == EEXIST) return 0;
      return errno;
    case FsStep::Kind::kTouch: {
      const int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0) return errno;
      close(fd);
      return 0;
    }
    case FsStep::Kind::kSymlink:
      return symlink(step.source.c_str(), target) == 0 ? 0 : errno;
    case FsStep::Kind::kPivotRoot:
      // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
      // only the new root (pivot_root(2), "pivot_root(".", ".")").
      if (chdir(target) != 0) return errno;
      if (syscall(SYS_pivot_root, ".", ".") != 0) return errno;
      if (umount2(".", MNT_DETACH) != 0) return errno;
      return chdir("/") == 0 ? 0 : errno;
  }
  return EINVAL;
}

int LoopbackUp() noexcept {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  struct ifreq request {};
  memcpy(request.ifr_name, "lo", 3);
  int error = 0;
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    error = errno;
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) error = errno;
  }
  close(fd);
  return error;
}

// The report socket is inherited on whatever number P's socketpair got (often 4). A preopen may
// take that number, and the launcher's Duplicate() would then silently replace the socket, so
// that the failure and listener reports went into the preopened file. It moves above every
// number the manifest places before anything else runs.
int MoveReportSocket(const ChildArgs& args) noexcept {
  int above = 3;
  for (int fd : args.plan->manifest.keep) above = fd >= above ? fd + 1 : above;
  for (const launch::Preopen& p : args.plan->manifest.preopens) {
    above = p.fd >= above ? p.fd + 1 : above;
  }
  if (args.report_fd >= above) return args.report_fd;
  const int moved = fcntl(args.report_fd, F_DUPFD_CLOEXEC, above);
  if (moved < 0) return args.report_fd;  // the number stays, as it always did
  close(args.report_fd);
  return moved;
}

[[noreturn]] void RunProgram(const ChildArgs& inherited) noexcept {
  ChildArgs args = inherited;
  args.report_fd = MoveReportSocket(inherited);
  sigprocmask(SIG_SETMASK, &args.original_mask, nullptr);
  // A new session without a controlling terminal: TIOCSTI and job control cannot reach the
  // caller's terminal (the kernel refuses TIOCSTI on a tty that is not the caller's ctty).
  if (setsid() < 0) Fail(args, Step::kNewSession, 0, errno);
  Trace(args.trace, Step::kNewSession, 0);
  // Before Landlock and seccomp (both need it), and so that no execve can raise privileges.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(args, Step::kNoNewPrivs, 0, errno);
  Trace(args.trace, Step::kNoNewPrivs, 0);
  SimPlatform platform(args.plan, args.report_fd, args.trace);
  const launch::LaunchFailure failure = launch::Run(*args.launch, platform);
  Message message{};
  message.type = MessageType::kLaunchFailed;
  message.step = Step::kLaunch;
  message.launch_step = failure.step;
  message.index = failure.fd;
  message.error = failure.error_number;
  Report(args.report_fd, message);
  _exit(launch::ExitStatusFor(failure));
}

}  // namespace

const char* StepName(Step step) {
  switch (step) {
    case Step::kClone:
      return "clone";
    case Step::kNetEnter:
      return "network-enter";
    case Step::kVeth:
      return "network-veth";
    case Step::kHostEnd:
      return "network-host-end";
    case Step::kSandboxEnd:
      return "network-sandbox-end";
    case Step::kEgressRules:
      return "network-egress-rules";
    case Step::kWaitForParent:
      return "wait-for-parent";
    case Step::kWaitForConfigure:
      return "wait-for-configure";
    case Step::kHostname:
      return "hostname";
    case Step::kFs:
      return "filesystem";
    case Step::kLoopback:
      return "loopback";
    case Step::kNetwork:
      return "network";
    case Step::kIpcSysctl:
      return "ipc-limits";
    case Step::kPortFloor:
      return "port-floor (mac.portacl)";
    case Step::kFork:
      return "fork";
    case Step::kNewSession:
      return "new-session";
    case Step::kRlimit:
      return "rlimits";
    case Step::kNoNewPrivs:
      return "no-new-privs";
    case Step::kCapabilities:
      return "capabilities";
    case Step::kLandlock:
      return "landlock";
    case Step::kSeccomp:
      return "seccomp";
    case Step::kLaunch:
      return "launch";
  }
  return "unknown";
}

void Trace(TracePage* trace, Step step, int32_t index, launch::Step launch_step) noexcept {
  if (!trace) return;
  const uint32_t slot = trace->count.fetch_add(1, std::memory_order_relaxed);
  if (slot >= TracePage::kCapacity) return;
  struct timespec now {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  trace->entries[slot] = {
      step, launch_step, index,
      static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec),
      ReadTsc()};
}

void TraceWithoutSyscall(TracePage* trace, Step step) noexcept {
  if (!trace) return;
  const uint32_t slot = trace->count.fetch_add(1, std::memory_order_relaxed);
  if (slot >= TracePage::kCapacity) return;
  trace->entries[slot] = {step, launch::Step::kExec, 0, 0, ReadTsc()};
}

void Report(int report_fd, const Message& message, int fd_to_pass) noexcept {
  struct iovec iov {
    const_cast<Message*>(&message), sizeof(message)
  };
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr header {};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  if (fd_to_pass >= 0) {
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd_to_pass, sizeof(int));
  }
  while (sendmsg(report_fd, &header, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void RunInit(const ChildArgs& args) noexcept {
  const SandboxPlan& plan = *args.plan;
  // If P dies, C dies, and with it the whole PID namespace. The byte from P (below) closes the
  // race where P died before this prctl.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char go = 0;
  ssize_t got;
  do {
    got = read(args.go_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1 || go != 'g') _exit(launch::kExitSetupFailed);
  Trace(args.trace, Step::kWaitForParent, 0);

  if (!plan.hostname.empty() && (plan.clone_flags & CLONE_NEWUTS)) {
    if (sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
      Fail(args, Step::kHostname, 0, errno);
    }
  }
  Trace(args.trace, Step::kHostname, 0);
  // Before the filesystem view replaces /proc: net sysctls are those of the opener's network
  // namespace, so the host's procfs reaches the sandbox's own.
  if (plan.landlock.port_floor >= 0 && (plan.clone_flags & CLONE_NEWNET)) {
    char value[16] = {};
    std::to_chars(value, value + sizeof(value) - 1, plan.landlock.port_floor);
    if (int error = WriteFile("/proc/sys/net/ipv4/ip_unprivileged_port_start", value)) {
      Fail(args, Step::kPortFloor, 0, error);
    }
    Trace(args.trace, Step::kPortFloor, 0);
  }
  // IPC sysctls are those of the opener's IPC namespace, like the port floor: written through
  // the host's procfs, they need no /proc in the sandbox.
  for (size_t i = 0; i < plan.limits.ipc_sysctls.size(); ++i) {
    const auto& [path, value] = plan.limits.ipc_sysctls[i];
    if (int error = WriteFile(path.c_str(), value.c_str())) {
      Fail(args, Step::kIpcSysctl, static_cast<int32_t>(i), error);
    }
  }
  // The program, not this init, is the OOM killer's first choice: the init raises its own
  // oom_score_adj for the fork to inherit, then lowers it back, which needs no privilege down
  // to where it was (proc(5)). Best effort: a kill of the init is reported all the same.
  const int oom = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  char oom_before[16] = {};
  if (oom >= 0 && read(oom, oom_before, sizeof(oom_before) - 1) <= 0) oom_before[0] = '\0';
  for (size_t i = 0; i < plan.fs.size(); ++i) {
    if (int error = RunFsStep(plan.fs[i])) {
      // An optional step (a library directory the host may not have) may find nothing there.
      if (!(error == ENOENT && plan.fs[i].optional)) {
        Fail(args, Step::kFs, static_cast<int32_t>(i), error);
      }
    }
    // One timing per clause (root, mounts, scratch, dev, proc...) and one for pivot_root.
    const bool last = i + 1 == plan.fs.size();
    if (last || plan.fs[i + 1].origin.clause != plan.fs[i].origin.clause ||
        plan.fs[i].kind == FsStep::Kind::kPivotRoot ||
        plan.fs[i + 1].kind == FsStep::Kind::kPivotRoot) {
      Trace(args.trace, Step::kFs, static_cast<int32_t>(i));
    }
  }
  if (plan.clone_flags & CLONE_NEWNET) {
    if (int error = LoopbackUp()) Fail(args, Step::kLoopback, 0, error);
    Trace(args.trace, Step::kLoopback, 0);
  }

  // The second byte: P has put this init into the sandbox's cgroups and set up its network
  // (the veth, the egress rules), work it did while we built the filesystem view. The program
  // is forked only now, into the cgroups, behind the rules.
  do {
    got = read(args.go_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1 || go != 'c') _exit(launch::kExitSetupFailed);
  close(args.go_fd);
  Trace(args.trace, Step::kWaitForConfigure, 0);

  if (oom >= 0) (void)!pwrite(oom, "1000", 4, 0);
  const pid_t program = fork();
  if (program < 0) Fail(args, Step::kFork, 0, errno);
  if (program == 0) RunProgram(args);
  if (oom >= 0) {
    if (oom_before[0]) (void)!pwrite(oom, oom_before, strlen(oom_before), 0);
    close(oom);
  }
  Trace(args.trace, Step::kFork, 0);

  // P supervises the program through a pidfd: signals, and fetching the seccomp listener.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, program, 0));
  Message announce{};
  announce.type = MessageType::kProgramPid;
  Report(args.report_fd, announce, pidfd);
  if (pidfd >= 0) close(pidfd);
  // Nothing of the setup stays open in the init: it only reaps and reports.
  syscall(SYS_close_range, 0, args.report_fd - 1, 0);
  syscall(SYS_close_range, args.report_fd + 1, ~0u, 0);

  while (true) {
    int status = 0;
    struct rusage usage {};
    const pid_t pid = wait4(-1, &status, 0, &usage);
    if (pid == program) {
      Message done{};
      done.type = MessageType::kProgramStatus;
      done.value = status;
      done.cpu_ms = static_cast<uint32_t>((usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
                                          (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000);
      Report(args.report_fd, done);
      _exit(0);  // the kernel now kills whatever is left in the namespace
    }
    if (pid < 0 && errno != EINTR) _exit(0);
  }
}

// ---- SimPlatform ---------------------------------------------------------------------------

Expected<launch::Identity> SimPlatform::ResolveIdentity(const std::string& user,
                                                        const std::string& group) {
  launch::Identity id;
  std::vector<char> buffer(16384);
  auto numeric = [](const std::string& text, uint32_t& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
  };
  uint32_t number = 0;
  bool have_primary_group = false;
  if (numeric(user, number)) {
    id.uid = number;
  } else {
    struct passwd entry {};
    struct passwd* found = nullptr;
    getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (!found) {
      return Error(ErrorCode::kNotFound, "user '" + user + "' does not exist on this host");
    }
    id.uid = found->pw_uid;
    id.gid = found->pw_gid;
    have_primary_group = true;
  }
  if (!group.empty()) {
    if (numeric(group, number)) {
      id.gid = number;
    } else {
      struct group entry {};
      struct group* found = nullptr;
      getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found);
      if (!found) {
        return Error(ErrorCode::kNotFound, "group '" + group + "' does not exist on this host");
      }
      id.gid = found->gr_gid;
    }
  } else if (!have_primary_group) {
    // A bare uid without a passwd entry gets the group of the same number.
    struct passwd entry {};
    struct passwd* found = nullptr;
    getpwuid_r(id.uid, &entry, buffer.data(), buffer.size(), &found);
    id.gid = found ? found->pw_gid : id.uid;
  }
  return id;
}

int SimPlatform::Open(const char* path, uint32_t flags, uint32_t mode) noexcept {
  int os = O_CLOEXEC | O_NOCTTY;
  if ((flags & launch::kRead) && (flags & launch::kWrite)) {
    os |= O_RDWR;
  } else if (flags & launch::kWrite) {
    os |= O_WRONLY;
  } else {
    os |= O_RDONLY;
  }
  if (flags & launch::kAppend) os |= O_APPEND;
  if (flags & launch::kCreate) os |= O_CREAT;
  if (flags & launch::kTruncate) os |= O_TRUNC;
  if (flags & launch::kExclusive) os |= O_EXCL;
  if (flags & launch::kDirectory) os |= O_DIRECTORY;
  if (flags & launch::kNoFollow) os |= O_NOFOLLOW;
  if (flags & launch::kSync) os |= O_SYNC;
  if (flags & launch::kNonBlock) os |= O_NONBLOCK;
  if (flags & launch::kExecOnly) os = O_PATH | O_CLOEXEC | (os & (O_DIRECTORY | O_NOFOLLOW));
  const int fd = open(path, os, mode);
  return fd >= 0 ? fd : -errno;
}

int SimPlatform::OpenExecutable(const char* path) noexcept {
  // O_PATH: the program is executed by path (execve), the descriptor only proves it exists
  // now and keeps the launcher's error reporting (126/127) in the core's hands.
  const int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return -error;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return -EACCES;
  }
  return fd;
}

int SimPlatform::IsDynamicExecutable(int fd, bool* dynamic) noexcept {
  *dynamic = false;
  // The descriptor may be O_PATH; reopen it for reading through /proc/self/fd.
  char path[32] = "/proc/self/fd/";
  auto [end, ec] = std::to_chars(path + 14, path + sizeof(path) - 1, fd);
  *end = '\0';
  const int readable = open(path, O_RDONLY | O_CLOEXEC);
  if (readable < 0) return errno;
  Elf64_Ehdr header{};
  int error = 0;
  if (pread(readable, &header, sizeof(header), 0) != sizeof(header) ||
      memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64) {
    close(readable);
    return 0;  // not a 64-bit ELF file: no interpreter to worry about
  }
  for (uint16_t i = 0; i < header.e_phnum && i < 256; ++i) {
    Elf64_Phdr program_header{};
    const off_t offset = static_cast<off_t>(header.e_phoff + i * sizeof(Elf64_Phdr));
    if (pread(readable, &program_header, sizeof(program_header), offset) !=
        sizeof(program_header)) {
      error = EIO;
      break;
    }
    if (program_header.p_type == PT_INTERP) {
      *dynamic = true;
      break;
    }
  }
  close(readable);
  return error;
}

int SimPlatform::SetIdentity(const launch::Identity& identity) noexcept {
  // The capability sets of the plan, then the ids. The bounding set is applied first, while we
  // still hold CAP_SETPCAP; capng_change_id keeps the selected sets across setresuid(2).
  capng_clear(CAPNG_SELECT_ALL);
  for (int cap : plan_->caps.keep) {
    capng_update(CAPNG_ADD,
                 static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE |
                                           CAPNG_BOUNDING_SET),
                 static_cast<unsigned>(cap));
    if (plan_->caps.ambient) capng_update(CAPNG_ADD, CAPNG_AMBIENT, static_cast<unsigned>(cap));
  }
  // Capability mode chroots right before exec (EnterCapabilityMode): CAP_SYS_CHROOT stays
  // permitted until then, outside the bounding set, so no exec can ever regain it.
  if (!plan_->capsicum.capmode_root.empty())
    capng_update(CAPNG_ADD, CAPNG_PERMITTED, CAP_SYS_CHROOT);
  if (capng_apply(CAPNG_SELECT_BOUNDS) != 0) return EPERM;
  // In a user namespace setgroups(2) is denied (/proc/PID/setgroups is "deny"), so there are
  // no supplementary groups to drop there.
  const int flags = plan_->userns.enabled ? 0 : CAPNG_DROP_SUPP_GRP;
  if (capng_change_id(static_cast<int>(identity.uid), static_cast<int>(identity.gid),
                      static_cast<capng_flags_t>(flags)) != 0) {
    return errno ? errno : EPERM;
  }
  if (plan_->caps.ambient && capng_apply(CAPNG_SELECT_AMBIENT) != 0) return EPERM;
  // Verify rather than trust: every id must be the target now.
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) return errno;
  if (ruid != identity.uid || euid != identity.uid || suid != identity.uid ||
      rgid != identity.gid || egid != identity.gid || sgid != identity.gid) {
    return EPERM;
  }
  Trace(trace_, Step::kCapabilities, 0);
  return 0;
}

int SimPlatform::ChangeDirectory(const char* path) noexcept { return chdir(path) == 0 ? 0 : errno; }

int SimPlatform::Duplicate(int from, int to, bool cloexec) noexcept {
  if (from == to) {
    return fcntl(to, F_SETFD, cloexec ? FD_CLOEXEC : 0) == 0 ? 0 : errno;
  }
  return dup3(from, to, cloexec ? O_CLOEXEC : 0) >= 0 ? 0 : errno;
}

int SimPlatform::DuplicateAbove(int fd, int min) noexcept {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, min);
  return copy >= 0 ? copy : -errno;
}

int SimPlatform::Close(int fd) noexcept { return close(fd) == 0 ? 0 : errno; }

int SimPlatform::CloseAllExcept(const int* keep, size_t count) noexcept {
  // close_range(2) over every gap between kept descriptors; the report socket stays until exec
  // (it is close-on-exec).
  unsigned next = 0;
  size_t i = 0;
  bool report_done = report_fd_ < 0;
  highest_kept_ = std::max(report_fd_, count > 0 ? keep[count - 1] : -1);
  while (i < count || !report_done) {
    int kept;
    if (!report_done && (i == count || report_fd_ < keep[i])) {
      kept = report_fd_;
      report_done = true;
    } else {
      kept = keep[i++];
      if (kept == report_fd_) report_done = true;
    }
    if (kept < 0 || static_cast<unsigned>(kept) < next) continue;
    if (static_cast<unsigned>(kept) > next &&
        syscall(SYS_close_range, next, static_cast<unsigned>(kept) - 1, 0) != 0) {
      return errno;
    }
    next = static_cast<unsigned>(kept) + 1;
  }
  return syscall(SYS_close_range, next, ~0u, 0) == 0 ? 0 : errno;
}

// The limits themselves are the plan's seccomp filters, installed by Exec; these steps check
// that the plan laid the descriptor out with exactly these limits (the two come from the same
// manifest, so a mismatch is a bug and fails the launch), and that a descriptor whose class
// holds no directory is not one: lookups relative to it would not be supervised.
const RightsClass* SimPlatform::LimitedClass(int fd) const noexcept {
  const CapsicumLayout& layout = plan_->capsicum.layout;
  if (!layout.IsFixed(fd)) return nullptr;
  return &layout.classes[static_cast<size_t>(layout.ClassOf(fd))];
}

int SimPlatform::CheckType(int fd, const RightsClass& limits) const noexcept {
  struct stat st {};
  if (fstat(fd, &st) != 0) return errno;
  return !limits.directory && S_ISDIR(st.st_mode) ? EISDIR : 0;
}

int SimPlatform::LimitRights(int fd, const RightSet& rights) noexcept {
  const RightsClass* limits = LimitedClass(fd);
  if (!limits || !(limits->rights == rights)) return EINVAL;
  return CheckType(fd, *limits);
}

int SimPlatform::LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept {
  const RightsClass* limits = LimitedClass(fd);
  if (!limits || !limits->ioctls) return EINVAL;
  for (size_t i = 0; i < count; ++i) {
    bool found = false;
    for (uint64_t allowed : *limits->ioctls) found = found || allowed == commands[i];
    if (!found) return EINVAL;
  }
  if (count < limits->ioctls->size()) {
    // Every listed command must have come from the manifest (duplicates were merged).
    for (uint64_t allowed : *limits->ioctls) {
      bool found = false;
      for (size_t i = 0; i < count; ++i) found = found || commands[i] == allowed;
      if (!found) return EINVAL;
    }
  }
  return CheckType(fd, *limits);
}

int SimPlatform::LimitFcntls(int fd, uint32_t mask) noexcept {
  const RightsClass* limits = LimitedClass(fd);
  if (!limits || limits->fcntls != mask) return EINVAL;
  return CheckType(fd, *limits);
}

// Capability mode, too, is the plan's filters (installed by Exec, so that nothing of the launch
// runs unconfined after it); this step checks that the plan compiled them.
int SimPlatform::SendRoot() noexcept {
  // Also when nothing is limited before exec: the program may limit itself (mechanism 7).
  if (root_sent_ || !plan_->seccomp.listener) return 0;
  const int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return errno;
  Message message{};
  message.type = MessageType::kSandboxRoot;
  message.step = Step::kLaunch;
  Report(report_fd_, message, root);
  close(root);
  root_sent_ = true;
  return 0;
}

int SimPlatform::SealUnixSockets() noexcept {
  if (!plan_->capsicum.layout.SealsUnixSockets()) return 0;
  // After CloseAllExcept only the kept descriptors are open, and the few opened since then
  // (none a socket) took the lowest free numbers: a margin above the highest covers them.
  for (int fd = 0; fd <= highest_kept_ + 16; ++fd) {
    struct stat st {};
    if (fd == report_fd_ || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int domain = 0;
    socklen_t size = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) return errno;
    if (domain != AF_UNIX) continue;
    const int off = 0;
    if (setsockopt(fd, SOL_SOCKET, kSoPassRights, &off, sizeof(off)) != 0) return errno;
  }
  return 0;
}

int SimPlatform::EnterCapabilityMode() noexcept {
  if (!plan_->capsicum.layout.capability_mode || !plan_->seccomp.enabled) return EINVAL;
  if (int error = SendRoot()) return error;
  const std::string& root = plan_->capsicum.capmode_root;
  if (root.empty()) return 0;
  // The program's own root: only the library directories (docs/capsicum-linux.md, mechanism
  // 4). The supervisor performs every lookup the filters let through from the real root.
  const bool kept = std::find(plan_->caps.keep.begin(), plan_->caps.keep.end(), CAP_SYS_CHROOT) !=
                    plan_->caps.keep.end();
  capng_get_caps_process();
  capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SYS_CHROOT);
  if (capng_apply(CAPNG_SELECT_CAPS) != 0) return EPERM;
  if (chroot(root.c_str()) != 0) return errno;
  if (chdir("/") != 0) return errno;
  chrooted_ = true;
  if (!kept) {
    capng_update(CAPNG_DROP, static_cast<capng_type_t>(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
                 CAP_SYS_CHROOT);
    if (capng_apply(CAPNG_SELECT_CAPS) != 0) return EPERM;
  }
  return 0;
}

namespace {

// One path-beneath rule on `fd`; a file that is not a directory takes only file rights, and a
// rule left with none is not added.
int AddPathRule(int ruleset, int fd, uint64_t access) noexcept {
  struct stat st {};
  if (fstat(fd, &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) access &= landlock::kFsFileRights;
  if (S_ISLNK(st.st_mode) || access == 0) return 0;
  landlock::PathBeneathAttr beneath{};
  beneath.allowed_access = access;
  beneath.parent_fd = fd;
  return syscall(SYS_landlock_add_rule, ruleset, landlock::kRulePathBeneath, &beneath, 0) == 0
             ? 0
             : errno;
}

// The rule on every entry directly beneath rule.path but those rule.except names. The entries
// are read now, after pivot_root, with a buffer on the stack (no allocation here).
int AddChildRules(int ruleset, const LandlockFsRule& rule) noexcept {
  const int dir = open(rule.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;  // unreadable: its entries get nothing, which only narrows
  alignas(8) char buffer[4096];
  int error = 0;
  while (!error) {
    const long got = syscall(SYS_getdents64, dir, buffer, sizeof(buffer));
    if (got < 0) error = errno;
    if (got <= 0) break;
    for (long offset = 0; offset < got && !error;) {
      // getdents64(2) fills struct linux_dirent64, which glibc's dirent64 lays out alike.
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || entry->d_type == DT_LNK) continue;
      bool excepted = false;
      for (const std::string& except : rule.except) excepted = excepted || except == name;
      if (excepted) continue;
      const int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      error = AddPathRule(ruleset, fd, rule.access);
      close(fd);
    }
  }
  close(dir);
  return error;
}

}  // namespace

int SimPlatform::ApplyLandlock() noexcept {
  const LandlockPlan& l = plan_->landlock;
  if (!l.enabled) return 0;
  landlock::RulesetAttr attr{};
  attr.handled_access_fs = l.handled_fs;
  attr.handled_access_net = l.handled_net;
  attr.scoped = l.scoped;
  const int ruleset = static_cast<int>(
      syscall(SYS_landlock_create_ruleset, &attr, landlock::RulesetAttrSize(l.abi), 0));
  if (ruleset < 0) return errno;
  int error = 0;
  for (const LandlockFsRule& rule : l.fs_rules) {
    if (rule.children) {
      error = AddChildRules(ruleset, rule);
    } else {
      // A path that cannot be opened grants nothing: leaving it out only narrows.
      const int fd = open(rule.path.c_str(), O_PATH | O_CLOEXEC);
      if (fd < 0) continue;
      error = AddPathRule(ruleset, fd, rule.access);
      close(fd);
    }
    if (error) break;
  }
  for (const LandlockNetRule& rule : l.net_rules) {
    for (uint32_t port = rule.first; !error && port <= rule.last; ++port) {
      landlock::NetPortAttr net{};
      net.allowed_access = rule.access;
      net.port = port;
      if (syscall(SYS_landlock_add_rule, ruleset, landlock::kRuleNetPort, &net, 0) != 0) {
        error = errno;
      }
    }
    if (error) break;
  }
  if (!error && l.restricts_files() && plan_->seccomp.listener) {
    // The Capsicum supervisor's lookups are the program's: its lookup worker enters the same
    // rules (capsicum_lookup.cc). Without them it performs none.
    Message message{};
    message.type = MessageType::kLandlockRuleset;
    message.step = Step::kLandlock;
    Report(report_fd_, message, ruleset);
  }
  if (!error && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) error = errno;
  close(ruleset);
  return error;
}

int SimPlatform::InstallFilters() noexcept {
  const SeccompPlan& s = plan_->seccomp;
  if (!s.enabled) return 0;
  const size_t count = s.programs.size();
  for (size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    if (last && s.listener) {
      // The listener gets the lowest free descriptor. Tell P which, before the last filter
      // makes any further syscall subject to the policy; P fetches it with pidfd_getfd(2)
      // while the launcher waits in its first execve, which always goes to the supervisor.
      int predicted = 0;
      while (fcntl(predicted, F_GETFD) >= 0) ++predicted;
      Message message{};
      message.type = MessageType::kInstallingFilters;
      message.step = Step::kSeccomp;
      message.value = predicted;
      Report(report_fd_, message);
    }
    struct sock_fprog program {};
    program.len = static_cast<unsigned short>(s.programs[i].size());
    program.filter = const_cast<sock_filter*>(s.programs[i].data());
    const unsigned flags = last && s.listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program) < 0) return errno;
  }
  return 0;
}

void SimPlatform::ApplyRlimits() noexcept {
  // Last before Landlock and the filters, after every library call of the launch: libcap-ng
  // reads /proc/PID/status through stdio (which allocates), and an address-space or data limit
  // applied earlier could fail that, and a sanitizer runtime's allocations too.
  const auto& rlimits = plan_->limits.rlimits;
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const struct rlimit value { rlimits[i].soft, rlimits[i].hard };
    if (setrlimit(rlimits[i].resource, &value) != 0) {
      Message message{};
      message.type = MessageType::kSetupFailed;
      message.step = Step::kRlimit;
      message.index = static_cast<int32_t>(i);
      message.error = errno;
      Report(report_fd_, message);
      _exit(launch::kExitSetupFailed);
    }
  }
  Trace(trace_, Step::kRlimit, 0);
}

int SimPlatform::Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept {
  if (int error = SendRoot()) return error;
  ApplyRlimits();
  if (int error = ApplyLandlock()) return error;
  Trace(trace_, Step::kLandlock, 0);
  if (int error = SealUnixSockets()) return error;  // before the filters refuse the option
  if (int error = InstallFilters()) return error;
  TraceWithoutSyscall(trace_, Step::kSeccomp);
  if (chrooted_) {
    // The path means nothing in the capability-mode root: the descriptor opened before.
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    return errno;
  }
  execve(path, argv, envp);
  return errno;
}

}  // namespace stockade::linux_sim::detail
