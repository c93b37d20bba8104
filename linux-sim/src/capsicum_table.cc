// SPDX-License-Identifier: BSD-2-Clause
// The rights table: per Linux system call, the FreeBSD rights its descriptor arguments need.
//
// Sources: FreeBSD's sys/kern (the cap_*_rights passed to fget/getsock_cap, namei's CAP_LOOKUP
// for lookups relative to a descriptor, flags_to_rights() of kern_openat), sys/vm/vm_mmap.c
// (mmap by protection, CAP_MMAP_W only for shared mappings), sys/kern/uipc_mqueue.c, and
// rights(4). Where Linux has a call FreeBSD lacks, the nearest FreeBSD right is used and the
// choice is written down here; where there is none, `everything`: no limited descriptor may
// be used with it.

#include "capsicum_table.h"

#include <fcntl.h>
#include <linux/mman.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <initializer_list>
#include <set>

#include "capsicum_capmode.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/base/check.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim::detail {
namespace {

constexpr uint32_t kOPath = 010000000;    // O_PATH
constexpr uint32_t kOSyncBit = 04000000;  // __O_SYNC: what O_SYNC adds to O_DSYNC
constexpr uint32_t kRenameExchange = 2;   // RENAME_EXCHANGE
constexpr uint32_t kPidfdIdType = 3;      // P_PIDFD

RightSet R(std::initializer_list<const char*> names) {
  RightSet set;
  for (const char* name : names) {
    const RightInfo* right = FindRight(name);
    STOCKADE_CHECK(right != nullptr) << "no right " << name;
    set.Add(right->value);
  }
  return set;
}

Need N(std::initializer_list<const char*> names) { return Need{R(names)}; }

Need Fcntl(uint32_t bits) {
  Need need = N({"CAP_FCNTL"});
  need.fcntls = bits;
  return need;
}

Need Everything() {
  Need need;
  need.everything = true;
  return need;
}

ArgCond Eq(uint8_t arg, uint64_t value) { return {arg, ArgCond::kEq64, 0, value}; }
ArgCond Ne(uint8_t arg, uint64_t value) { return {arg, ArgCond::kNe64, 0, value}; }
ArgCond Bits(uint8_t arg, uint32_t mask, uint32_t value) {
  return {arg, ArgCond::kMaskedEq32, mask, value};
}
ArgCond NotBits(uint8_t arg, uint32_t mask, uint32_t value) {
  return {arg, ArgCond::kMaskedNe32, mask, value};
}
ArgCond Set(uint8_t arg, uint32_t bit) { return Bits(arg, bit, bit); }
ArgCond Clear(uint8_t arg, uint32_t bit) { return Bits(arg, bit, 0); }
ArgCond Is32(uint8_t arg, uint32_t value) { return Bits(arg, 0xffffffffu, value); }
ArgCond Isnt32(uint8_t arg, uint32_t value) { return NotBits(arg, 0xffffffffu, value); }

RightsCheck Always(uint8_t fd_arg, Need need) { return {fd_arg, {}, std::move(need)}; }
RightsCheck When(uint8_t fd_arg, std::vector<ArgCond> when, Need need) {
  return {fd_arg, std::move(when), std::move(need)};
}

class Table {
 public:
  SyscallSpec& Add(const char* name) {
    const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
    STOCKADE_CHECK(info != nullptr) << "libseccomp does not know syscall " << name;
    specs_.push_back({info->number, name, {}, {}, {}, false});
    return specs_.back();
  }
  // One right on one descriptor argument.
  void Simple(const char* name, uint8_t fd_arg, Need need) {
    Add(name).checks.push_back(Always(fd_arg, std::move(need)));
  }
  std::vector<SyscallSpec> Take() {
    std::sort(specs_.begin(), specs_.end(),
              [](const SyscallSpec& a, const SyscallSpec& b) { return a.nr < b.nr; });
    return std::move(specs_);
  }

 private:
  std::vector<SyscallSpec> specs_;
};

// flags_to_rights() of FreeBSD's kern_openat, on Linux's open flags in args[flags_arg], plus
// CAP_LOOKUP for the lookup itself. O_PATH opens need only CAP_LOOKUP (FreeBSD's O_PATH).
void OpenChecks(SyscallSpec& spec, uint8_t dir_arg, uint8_t flags_arg) {
  const uint8_t f = flags_arg;
  spec.checks.push_back(Always(dir_arg, N({"CAP_LOOKUP"})));
  spec.checks.push_back(
      When(dir_arg, {Clear(f, kOPath), Bits(f, O_ACCMODE, O_RDONLY)}, N({"CAP_READ"})));
  spec.checks.push_back(
      When(dir_arg, {Clear(f, kOPath), Bits(f, O_ACCMODE, O_RDWR)}, N({"CAP_READ"})));
  spec.checks.push_back(
      When(dir_arg, {Clear(f, kOPath), NotBits(f, O_ACCMODE, O_RDONLY)}, N({"CAP_WRITE"})));
  // Writing without O_APPEND or O_TRUNC can write anywhere: CAP_SEEK as well.
  spec.checks.push_back(When(
      dir_arg, {Clear(f, kOPath), NotBits(f, O_ACCMODE, O_RDONLY), Bits(f, O_APPEND | O_TRUNC, 0)},
      N({"CAP_SEEK"})));
  spec.checks.push_back(When(dir_arg, {Set(f, O_CREAT)}, N({"CAP_CREATE"})));
  spec.checks.push_back(When(dir_arg, {Set(f, O_TRUNC)}, N({"CAP_FTRUNCATE"})));
  spec.checks.push_back(When(dir_arg, {Set(f, kOSyncBit)}, N({"CAP_FSYNC"})));
  spec.routes.push_back({dir_arg, {}, Route::kDirectory});
}

// A lookup relative to args[dir_arg] that needs `lookup_need` (a composite with CAP_LOOKUP),
// or only `empty_need` when AT_EMPTY_PATH in args[flags_arg] lets it act on the descriptor.
void AtCall(Table& table, const char* name, uint8_t dir_arg, Need lookup_need, int flags_arg = -1,
            std::optional<Need> empty_need = std::nullopt) {
  SyscallSpec& spec = table.Add(name);
  if (flags_arg >= 0 && empty_need) {
    const uint8_t f = static_cast<uint8_t>(flags_arg);
    spec.checks.push_back(When(dir_arg, {Set(f, AT_EMPTY_PATH)}, *empty_need));
    spec.checks.push_back(When(dir_arg, {Clear(f, AT_EMPTY_PATH)}, std::move(lookup_need)));
  } else {
    spec.checks.push_back(Always(dir_arg, std::move(lookup_need)));
  }
  spec.routes.push_back({dir_arg, {}, Route::kDirectory});
}

std::vector<SyscallSpec> Build() {
  Table t;
  // ---- reading and writing --------------------------------------------------------------
  t.Simple("read", 0, N({"CAP_READ"}));
  t.Simple("readv", 0, N({"CAP_READ"}));
  t.Simple("pread64", 0, N({"CAP_PREAD"}));
  t.Simple("preadv", 0, N({"CAP_PREAD"}));
  t.Simple("write", 0, N({"CAP_WRITE"}));
  t.Simple("writev", 0, N({"CAP_WRITE"}));
  t.Simple("pwrite64", 0, N({"CAP_PWRITE"}));
  t.Simple("pwritev", 0, N({"CAP_PWRITE"}));
  // preadv2/pwritev2 with offset -1 use and move the file offset, like readv/writev.
  for (const char* name : {"preadv2", "pwritev2"}) {
    const bool read = name[1] == 'r';
    SyscallSpec& spec = t.Add(name);
    spec.checks.push_back(When(0, {Eq(3, ~uint64_t{0})}, N({read ? "CAP_READ" : "CAP_WRITE"})));
    spec.checks.push_back(When(0, {Ne(3, ~uint64_t{0})}, N({read ? "CAP_PREAD" : "CAP_PWRITE"})));
  }
  // lseek(fd, 0, SEEK_CUR) only tells the offset: CAP_SEEK_TELL; anything else CAP_SEEK.
  {
    SyscallSpec& spec = t.Add("lseek");
    spec.checks.push_back(Always(0, N({"CAP_SEEK_TELL"})));
    spec.checks.push_back(When(0, {Ne(1, 0)}, N({"CAP_SEEK"})));
    spec.checks.push_back(When(0, {Isnt32(2, SEEK_CUR)}, N({"CAP_SEEK"})));
  }
  t.Simple("getdents", 0, N({"CAP_READ"}));
  t.Simple("getdents64", 0, N({"CAP_READ"}));
  t.Simple("readahead", 0, N({"CAP_READ"}));  // Linux only: fills the page cache from the file
  t.Simple("cachestat", 0, N({"CAP_READ"}));  // Linux only: page cache residency of the file
  // ---- mmap by protection (vm_mmap.c): write needs CAP_MMAP_W only for shared mappings -----
  {
    SyscallSpec& spec = t.Add("mmap");
    const ArgCond file = Clear(3, MAP_ANONYMOUS);
    spec.checks.push_back(When(4, {file}, N({"CAP_MMAP"})));
    spec.checks.push_back(When(4, {file, Set(2, PROT_READ)}, N({"CAP_MMAP_R"})));
    spec.checks.push_back(When(4, {file, Set(2, PROT_EXEC)}, N({"CAP_MMAP_X"})));
    spec.checks.push_back(
        When(4, {Bits(3, MAP_ANONYMOUS | MAP_SHARED, MAP_SHARED), Set(2, PROT_WRITE)},
             N({"CAP_MMAP_W"})));
  }
  // ---- metadata ------------------------------------------------------------------------
  t.Simple("fstat", 0, N({"CAP_FSTAT"}));
  AtCall(t, "newfstatat", 0, N({"CAP_FSTATAT"}), 3, N({"CAP_FSTAT"}));
  AtCall(t, "statx", 0, N({"CAP_FSTATAT"}), 2, N({"CAP_FSTAT"}));
  t.Simple("fstatfs", 0, N({"CAP_FSTATFS"}));
  t.Simple("ftruncate", 0, N({"CAP_FTRUNCATE"}));
  t.Simple("fallocate", 0, N({"CAP_PWRITE"}));  // FreeBSD posix_fallocate: CAP_PWRITE
  t.Simple("fchmod", 0, N({"CAP_FCHMOD"}));
  t.Simple("fchown", 0, N({"CAP_FCHOWN"}));
  t.Simple("fchdir", 0, N({"CAP_FCHDIR"}));
  t.Simple("fsync", 0, N({"CAP_FSYNC"}));
  t.Simple("fdatasync", 0, N({"CAP_FSYNC"}));
  t.Simple("sync_file_range", 0, N({"CAP_FSYNC"}));  // Linux only
  t.Simple("syncfs", 0, N({"CAP_FSYNC"}));           // Linux only
  t.Simple("flock", 0, N({"CAP_FLOCK"}));
  t.Simple("fgetxattr", 0, N({"CAP_EXTATTR_GET"}));
  t.Simple("fsetxattr", 0, N({"CAP_EXTATTR_SET"}));
  t.Simple("flistxattr", 0, N({"CAP_EXTATTR_LIST"}));
  t.Simple("fremovexattr", 0, N({"CAP_EXTATTR_DELETE"}));
  // utimensat/futimesat with a NULL path act on the descriptor (futimens).
  for (const char* name : {"utimensat", "futimesat"}) {
    SyscallSpec& spec = t.Add(name);
    spec.checks.push_back(When(0, {Eq(1, 0)}, N({"CAP_FUTIMES"})));
    spec.checks.push_back(When(0, {Ne(1, 0)}, N({"CAP_FUTIMESAT"})));
    spec.routes.push_back({0, {Ne(1, 0)}, Route::kDirectory});
  }
  // ---- lookups beneath a directory descriptor ------------------------------------------
  OpenChecks(t.Add("openat"), 0, 2);
  AtCall(t, "openat2", 0, N({"CAP_LOOKUP"}));  // its flags are in memory: the supervisor reads them
  AtCall(t, "mkdirat", 0, N({"CAP_MKDIRAT"}));
  {
    SyscallSpec& spec = t.Add("mknodat");
    spec.checks.push_back(When(0, {Bits(2, S_IFMT, S_IFIFO)}, N({"CAP_MKFIFOAT"})));
    spec.checks.push_back(When(0, {NotBits(2, S_IFMT, S_IFIFO)}, N({"CAP_MKNODAT"})));
    spec.routes.push_back({0, {}, Route::kDirectory});
  }
  AtCall(t, "fchownat", 0, N({"CAP_FCHOWNAT"}), 4, N({"CAP_FCHOWN"}));
  AtCall(t, "fchmodat", 0, N({"CAP_FCHMODAT"}));
  AtCall(t, "fchmodat2", 0, N({"CAP_FCHMODAT"}), 3, N({"CAP_FCHMOD"}));
  AtCall(t, "unlinkat", 0, N({"CAP_UNLINKAT"}));
  AtCall(t, "readlinkat", 0, N({"CAP_LOOKUP"}));  // kern_readlinkat: the lookup only
  AtCall(t, "faccessat", 0, N({"CAP_FSTATAT"}));
  AtCall(t, "faccessat2", 0, N({"CAP_FSTATAT"}), 3, N({"CAP_FSTAT"}));
  // The source and target directories of renameat/linkat need different rights. Replacing an
  // existing target also needs CAP_UNLINKAT on the target directory: the supervisor checks it.
  for (const char* name : {"renameat", "renameat2"}) {
    SyscallSpec& spec = t.Add(name);
    spec.checks.push_back(Always(0, N({"CAP_RENAMEAT_SOURCE"})));
    spec.checks.push_back(Always(2, N({"CAP_RENAMEAT_TARGET"})));
    if (std::string(name) == "renameat2") {
      // RENAME_EXCHANGE moves both ways (Linux only).
      spec.checks.push_back(When(0, {Set(4, kRenameExchange)}, N({"CAP_RENAMEAT_TARGET"})));
      spec.checks.push_back(When(2, {Set(4, kRenameExchange)}, N({"CAP_RENAMEAT_SOURCE"})));
    }
    spec.routes.push_back({0, {}, Route::kDirectory});
    spec.routes.push_back({2, {}, Route::kDirectory});
  }
  {
    SyscallSpec& spec = t.Add("linkat");
    spec.checks.push_back(Always(0, N({"CAP_LINKAT_SOURCE"})));
    spec.checks.push_back(Always(2, N({"CAP_LINKAT_TARGET"})));
    spec.routes.push_back({0, {}, Route::kDirectory});
    spec.routes.push_back({2, {}, Route::kDirectory});
  }
  AtCall(t, "symlinkat", 1, N({"CAP_SYMLINKAT"}));
  // fexecve(2) is execveat(fd, "", ..., AT_EMPTY_PATH); a path beneath a directory is looked up.
  // Every exec goes to the supervisor: the launcher's own must wait there for it (the
  // listener), and a lookup relative to a directory must not happen in the kernel.
  {
    SyscallSpec& spec = t.Add("execveat");
    spec.checks.push_back(When(0, {Set(4, AT_EMPTY_PATH)}, N({"CAP_FEXECVE"})));
    spec.checks.push_back(When(0, {Clear(4, AT_EMPTY_PATH)}, N({"CAP_LOOKUP", "CAP_FEXECVE"})));
    spec.routes.push_back({0, {}, Route::kAlways});
  }
  t.Add("execve").routes.push_back({0, {}, Route::kAlways});
  t.Simple("name_to_handle_at", 0, Everything());
  t.Simple("open_by_handle_at", 0, Everything());
  // ---- sockets ---------------------------------------------------------------------------
  t.Simple("accept", 0, N({"CAP_ACCEPT"}));
  t.Simple("accept4", 0, N({"CAP_ACCEPT"}));
  t.Simple("bind", 0, N({"CAP_BIND"}));
  t.Simple("connect", 0, N({"CAP_CONNECT"}));
  t.Simple("listen", 0, N({"CAP_LISTEN"}));
  t.Simple("getsockname", 0, N({"CAP_GETSOCKNAME"}));
  t.Simple("getpeername", 0, N({"CAP_GETPEERNAME"}));
  t.Simple("getsockopt", 0, N({"CAP_GETSOCKOPT"}));
  {
    // SO_PASSRIGHTS back on would let a limited descriptor out over SCM_RIGHTS (the layout's
    // seal_unix_sockets); FreeBSD has no such option.
    SyscallSpec& spec = t.Add("setsockopt");
    spec.denials.push_back({{Is32(1, SOL_SOCKET), Is32(2, kSoPassRights)}, STOCKADE_ENOTCAPABLE});
    spec.checks.push_back(Always(0, N({"CAP_SETSOCKOPT"})));
  }
  t.Simple("shutdown", 0, N({"CAP_SHUTDOWN"}));
  t.Simple("recvfrom", 0, N({"CAP_READ"}));
  t.Simple("recvmsg", 0, N({"CAP_READ"}));
  t.Simple("recvmmsg", 0, N({"CAP_READ"}));
  t.Simple("sendmsg", 0, N({"CAP_WRITE"}));
  t.Simple("sendmmsg", 0, N({"CAP_WRITE"}));
  {
    // sendto with a destination address: FreeBSD's cap_send_connect_rights.
    SyscallSpec& spec = t.Add("sendto");
    spec.checks.push_back(Always(0, N({"CAP_WRITE"})));
    spec.checks.push_back(When(0, {Ne(4, 0)}, N({"CAP_CONNECT"})));
  }
  // ---- ioctl and fcntl -------------------------------------------------------------------
  {
    SyscallSpec& spec = t.Add("ioctl");
    Need need = N({"CAP_IOCTL"});
    need.ioctl = true;
    spec.checks.push_back(Always(0, need));
  }
  {
    SyscallSpec& spec = t.Add("fcntl");
    const uint32_t getfl = FindFcntlRight("CAP_FCNTL_GETFL")->mask;
    const uint32_t setfl = FindFcntlRight("CAP_FCNTL_SETFL")->mask;
    const uint32_t getown = FindFcntlRight("CAP_FCNTL_GETOWN")->mask;
    const uint32_t setown = FindFcntlRight("CAP_FCNTL_SETOWN")->mask;
    spec.checks.push_back(When(0, {Is32(1, F_GETFL)}, Fcntl(getfl)));
    spec.checks.push_back(When(0, {Is32(1, F_SETFL)}, Fcntl(setfl)));
    spec.checks.push_back(When(0, {Is32(1, F_GETOWN)}, Fcntl(getown)));
    spec.checks.push_back(When(0, {Is32(1, F_GETOWN_EX)}, Fcntl(getown)));
    spec.checks.push_back(When(0, {Is32(1, F_SETOWN)}, Fcntl(setown)));
    spec.checks.push_back(When(0, {Is32(1, F_SETOWN_EX)}, Fcntl(setown)));
    // Record locks and leases: CAP_FLOCK.
    static constexpr uint32_t kLocks[] = {F_GETLK,     F_SETLK,      F_SETLKW,   F_OFD_GETLK,
                                          F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_GETLEASE};
    for (uint32_t cmd : kLocks) spec.checks.push_back(When(0, {Is32(1, cmd)}, N({"CAP_FLOCK"})));
    // Every other command needs CAP_FCNTL, except those FreeBSD lets any descriptor use:
    // descriptor flags, duplication (the copy keeps the limits) and seals.
    std::vector<ArgCond> other;
    static constexpr uint32_t kNoRight[] = {F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
                                            F_SETFD, F_ADD_SEALS,     F_GET_SEALS};
    for (uint32_t cmd : kNoRight) other.push_back(Isnt32(1, cmd));
    static constexpr uint32_t kNamed[] = {F_GETFL,     F_SETFL,  F_GETOWN,
                                          F_GETOWN_EX, F_SETOWN, F_SETOWN_EX};
    for (uint32_t cmd : kNamed) other.push_back(Isnt32(1, cmd));
    for (uint32_t cmd : kLocks) other.push_back(Isnt32(1, cmd));
    spec.checks.push_back(When(0, std::move(other), N({"CAP_FCNTL"})));
    spec.routes.push_back({0, {Is32(1, F_DUPFD)}, Route::kLimited});
    spec.routes.push_back({0, {Is32(1, F_DUPFD_CLOEXEC)}, Route::kLimited});
  }
  // ---- descriptor table: no right needed; the supervisor keeps limits with the copies ----
  t.Add("dup").routes.push_back({0, {}, Route::kLimited});
  t.Add("dup2").routes.push_back({0, {}, Route::kLimited});
  t.Add("dup3").routes.push_back({0, {}, Route::kLimited});
  t.Add("close").routes.push_back({0, {}, Route::kFixed});
  // pidfd_getfd copies a descriptor out of another process of the sandbox (where the number
  // carries the same limits): never of a limited one, and never through a limited pidfd.
  {
    SyscallSpec& spec = t.Add("pidfd_getfd");
    spec.checks.push_back(Always(1, Everything()));
    spec.checks.push_back(Always(0, Everything()));
  }
  // ---- moving data between descriptors ---------------------------------------------------
  {
    // sendfile: CAP_READ on the file (CAP_PREAD with an explicit offset), CAP_WRITE out.
    SyscallSpec& spec = t.Add("sendfile");
    spec.checks.push_back(When(1, {Eq(2, 0)}, N({"CAP_READ"})));
    spec.checks.push_back(When(1, {Ne(2, 0)}, N({"CAP_PREAD"})));
    spec.checks.push_back(Always(0, N({"CAP_WRITE"})));
  }
  for (const char* name : {"splice", "copy_file_range"}) {
    // (fd_in, off_in*, fd_out, off_out*, ...): an offset makes it positioned I/O.
    SyscallSpec& spec = t.Add(name);
    spec.checks.push_back(When(0, {Eq(1, 0)}, N({"CAP_READ"})));
    spec.checks.push_back(When(0, {Ne(1, 0)}, N({"CAP_PREAD"})));
    spec.checks.push_back(When(2, {Eq(3, 0)}, N({"CAP_WRITE"})));
    spec.checks.push_back(When(2, {Ne(3, 0)}, N({"CAP_PWRITE"})));
  }
  {
    SyscallSpec& spec = t.Add("tee");
    spec.checks.push_back(Always(0, N({"CAP_READ"})));
    spec.checks.push_back(Always(1, N({"CAP_WRITE"})));
  }
  // vmsplice reads or writes depending on which end of the pipe the descriptor is, which
  // registers do not tell: both rights.
  t.Simple("vmsplice", 0, N({"CAP_READ", "CAP_WRITE"}));
  // ---- events (epoll stands for kqueue) --------------------------------------------------
  {
    SyscallSpec& spec = t.Add("epoll_ctl");
    spec.checks.push_back(Always(0, N({"CAP_KQUEUE_CHANGE"})));
    spec.checks.push_back(Always(2, N({"CAP_EVENT"})));
  }
  for (const char* name : {"epoll_wait", "epoll_pwait", "epoll_pwait2"}) {
    t.Simple(name, 0, N({"CAP_KQUEUE_EVENT"}));
  }
  t.Simple("epoll_ctl_old", 0, Everything());
  t.Simple("epoll_wait_old", 0, Everything());
  t.Simple("inotify_add_watch", 0, N({"CAP_INOTIFY_ADD"}));
  t.Simple("inotify_rm_watch", 0, N({"CAP_INOTIFY_RM"}));
  // FreeBSD's sys_timerfd.c asks CAP_WRITE for both.
  t.Simple("timerfd_settime", 0, N({"CAP_WRITE"}));
  t.Simple("timerfd_gettime", 0, N({"CAP_WRITE"}));
  t.Simple("signalfd", 0, N({"CAP_WRITE"}));  // Linux only: changes the signalfd's mask
  t.Simple("signalfd4", 0, N({"CAP_WRITE"}));
  t.Simple("mq_timedsend", 0, N({"CAP_WRITE"}));  // uipc_mqueue.c: getmq_write
  t.Simple("mq_timedreceive", 0, N({"CAP_READ"}));
  t.Simple("mq_notify", 0, N({"CAP_EVENT"}));
  t.Simple("mq_getsetattr", 0, N({"CAP_EVENT"}));
  // ---- process descriptors ---------------------------------------------------------------
  t.Simple("pidfd_send_signal", 0, N({"CAP_PDKILL"}));
  t.Simple("process_mrelease", 0, N({"CAP_PDKILL"}));
  t.Add("waitid").checks.push_back(When(1, {Is32(0, kPidfdIdType)}, N({"CAP_PDWAIT"})));
  t.Simple("process_madvise", 0, Everything());
  // ---- Linux-only calls on descriptors with no FreeBSD counterpart -----------------------
  t.Simple("setns", 0, Everything());
  t.Simple("finit_module", 0, Everything());
  t.Simple("quotactl_fd", 0, Everything());
  t.Simple("landlock_add_rule", 0, Everything());
  t.Simple("landlock_restrict_self", 0, Everything());
  t.Simple("open_tree", 0, Everything());
  t.Simple("fspick", 0, Everything());
  t.Simple("fsconfig", 0, Everything());
  t.Simple("fsmount", 0, Everything());
  t.Simple("mount_setattr", 0, Everything());
  {
    SyscallSpec& spec = t.Add("move_mount");
    spec.checks.push_back(Always(0, Everything()));
    spec.checks.push_back(Always(2, Everything()));
  }
  {
    SyscallSpec& spec = t.Add("fanotify_mark");
    spec.checks.push_back(Always(0, Everything()));
    spec.checks.push_back(Always(3, Everything()));
  }
  t.Simple("perf_event_open", 3, Everything());
  t.Simple("io_uring_enter", 0, Everything());
  t.Simple("io_uring_register", 0, Everything());
  // New Unix sockets are made by the supervisor, with SO_PASSRIGHTS off, while the layout seals
  // them: SCM_RIGHTS would carry a limited descriptor to a new, unlimited number.
  for (const char* name : {"socket", "socketpair"}) {
    t.Add(name).routes.push_back({0, {Is32(0, AF_UNIX)}, Route::kSealed});
  }
  // ---- unmediated mechanisms: their operations never pass through seccomp ----------------
  for (const char* name : {"io_uring_setup", "io_setup", "io_submit"})
    t.Add(name).unmediated = true;
  return t.Take();
}

// The flags of clone(2) that make a new namespace.
constexpr uint32_t kNewNamespaces =
    0x7e020000;  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
constexpr uint32_t kAtFdcwd = static_cast<uint32_t>(AT_FDCWD);

const std::set<std::string>& ReadOnlyLookups() {
  static const std::set<std::string> names = {"openat",    "openat2",    "newfstatat", "statx",
                                              "faccessat", "faccessat2", "readlinkat", "open",
                                              "stat",      "lstat",      "access",     "readlink"};
  return names;
}

// The rights table plus capability mode (capsicum_capmode.cc): denials first, then the calls
// the supervisor performs.
std::vector<SyscallSpec> BuildCapabilityMode() {
  std::vector<SyscallSpec> specs = Build();
  auto spec_for = [&](const CapModeRule& rule) -> SyscallSpec& {
    const int nr =
        policy::FindSyscall(policy::Target::kLinux, std::string(rule.linux_name))->number;
    for (SyscallSpec& spec : specs) {
      if (spec.nr == nr) return spec;
    }
    specs.push_back({nr, std::string(rule.linux_name), {}, {}, {}, false});
    return specs.back();
  };
  const Route always{0, {}, Route::kAlways};
  for (const CapModeRule& rule : CapModeTable()) {
    const std::string name(rule.linux_name);
    switch (rule.mode) {
      case CapMode::kAllow:
        break;
      case CapMode::kDeny:
        spec_for(rule).denials.push_back({{}, STOCKADE_ECAPMODE});
        break;
      case CapMode::kNoSys:
        spec_for(rule).denials.push_back({{}, ENOSYS});
        break;
      case CapMode::kLookup: {
        SyscallSpec& spec = spec_for(rule);
        if (!ReadOnlyLookups().count(name)) {
          for (int arg : {rule.dir_arg, rule.dir_arg2}) {
            if (arg < 0) continue;
            spec.denials.push_back(
                {{Is32(static_cast<uint8_t>(arg), kAtFdcwd)}, STOCKADE_ECAPMODE});
          }
        }
        Route route = always;
        // utimensat/futimesat with a NULL path act on the descriptor: no lookup.
        if (name == "utimensat" || name == "futimesat") route.when = {Ne(1, 0)};
        spec.routes.push_back(route);
        break;
      }
      case CapMode::kPath:
      case CapMode::kSignal:
        spec_for(rule).routes.push_back(always);
        break;
      case CapMode::kSpecial: {
        SyscallSpec& spec = spec_for(rule);
        if (name == "sendto") {
          spec.denials.push_back({{Ne(4, 0)}, STOCKADE_ECAPMODE});
        } else if (name == "clone") {
          spec.denials.push_back({{NotBits(0, kNewNamespaces, 0)}, STOCKADE_ECAPMODE});
          // A descriptor table shared with another process: only threads may share one, so
          // that a single-threaded process's table cannot change under the supervisor's
          // check of an execveat (capsicum_supervisor.cc, Exec).
          spec.denials.push_back(
              {{Bits(0, CLONE_FILES | CLONE_THREAD, CLONE_FILES)}, STOCKADE_ECAPMODE});
        } else if (name == "clone3") {
          spec.denials.push_back({{}, ENOSYS});
        } else if (name == "prlimit64") {
          spec.denials.push_back({{Isnt32(0, 0)}, STOCKADE_ECAPMODE});
        } else if (name == "execveat") {
          spec.denials.push_back({{Is32(0, kAtFdcwd)}, STOCKADE_ECAPMODE});
          spec.denials.push_back({{Clear(4, AT_EMPTY_PATH)}, STOCKADE_ECAPMODE});
        } else if (name == "execve" || name == "pidfd_open") {
          if (spec.routes.empty()) spec.routes.push_back(always);
        } else {
          STOCKADE_CHECK(false) << "no capability-mode handling for " << name;
        }
        break;
      }
    }
  }
  std::sort(specs.begin(), specs.end(),
            [](const SyscallSpec& a, const SyscallSpec& b) { return a.nr < b.nr; });
  return specs;
}

}  // namespace

bool ArgCond::Holds(const uint64_t args[6]) const {
  const uint64_t a = args[arg];
  const uint32_t low = static_cast<uint32_t>(a);
  switch (kind) {
    case kEq64:
      return a == value;
    case kNe64:
      return a != value;
    case kMaskedEq32:
      return (low & mask) == static_cast<uint32_t>(value);
    case kMaskedNe32:
      return (low & mask) != static_cast<uint32_t>(value);
  }
  return false;
}

const std::vector<SyscallSpec>& CapsicumSpecs(bool capability_mode) {
  static const std::vector<SyscallSpec> specs = Build();
  static const std::vector<SyscallSpec> capmode_specs = BuildCapabilityMode();
  return capability_mode ? capmode_specs : specs;
}

bool ReadOnlyLookup(int nr) {
  const policy::SyscallInfo* info = policy::FindSyscallByNumber(policy::Target::kLinux, nr);
  return info && ReadOnlyLookups().count(std::string(info->name));
}

const SyscallSpec* FindCapsicumSpec(int nr, bool capability_mode) {
  const std::vector<SyscallSpec>& specs = CapsicumSpecs(capability_mode);
  auto it = std::lower_bound(specs.begin(), specs.end(), nr,
                             [](const SyscallSpec& s, int n) { return s.nr < n; });
  return it != specs.end() && it->nr == nr ? &*it : nullptr;
}

const std::vector<std::string>& CapsicumFreeCalls() {
  // Calls with a descriptor in a register that FreeBSD lets any descriptor make (or that only
  // create descriptors), and calls whose descriptors are in memory, which registers cannot
  // show (poll, select: FreeBSD checks CAP_EVENT there; docs/capsicum-linux.md lists it).
  static const std::vector<std::string> calls = {
      "fadvise64", "kcmp", "close_range", "poll",       "ppoll",        "select",
      "pselect6",  "bpf",  "io_cancel",   "io_destroy", "io_getevents", "io_pgetevents",
  };
  return calls;
}

}  // namespace stockade::linux_sim::detail
