// SPDX-License-Identifier: BSD-2-Clause
// The supervisor's lookups for the Capsicum emulation, on a worker thread with the program's
// identity.

#include "capsicum_lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <utility>

#include "stockade/base/capsicum_abi.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim::detail {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
constexpr uint32_t kAtFdcwd = static_cast<uint32_t>(AT_FDCWD);
constexpr unsigned kRenameNoReplace = 1, kRenameExchange = 2;
constexpr long kSysFchmodat2 = 452;  // x86_64; glibc 2.36's headers predate it

int Nr(const char* name) { return policy::FindSyscall(policy::Target::kLinux, name)->number; }

struct Calls {
  int openat = Nr("openat"), openat2 = Nr("openat2"), open = Nr("open");
  int newfstatat = Nr("newfstatat"), statx = Nr("statx"), stat = Nr("stat"), lstat = Nr("lstat");
  int faccessat = Nr("faccessat"), faccessat2 = Nr("faccessat2"), access = Nr("access");
  int readlinkat = Nr("readlinkat"), readlink = Nr("readlink");
  int mkdirat = Nr("mkdirat"), mknodat = Nr("mknodat"), unlinkat = Nr("unlinkat");
  int renameat = Nr("renameat"), renameat2 = Nr("renameat2"), linkat = Nr("linkat");
  int symlinkat = Nr("symlinkat"), fchmodat = Nr("fchmodat"), fchmodat2 = Nr("fchmodat2");
  int fchownat = Nr("fchownat"), utimensat = Nr("utimensat"), futimesat = Nr("futimesat");
};
const Calls& C() {
  static const Calls calls;
  return calls;
}

uint64_t RightValue(const char* name) { return FindRight(name)->value; }

// flags_to_rights() of FreeBSD's kern_openat, for openat2's flags (read from memory): the
// rights program could only see openat's.
RightSet OpenRights(uint64_t flags) {
  RightSet rights;
  rights.Add(RightValue("CAP_LOOKUP"));
  if (!(flags & O_PATH)) {
    const uint64_t mode = flags & O_ACCMODE;
    if (mode == O_RDONLY || mode == O_RDWR) rights.Add(RightValue("CAP_READ"));
    if (mode != O_RDONLY) {
      rights.Add(RightValue("CAP_WRITE"));
      if (!(flags & (O_APPEND | O_TRUNC))) rights.Add(RightValue("CAP_SEEK"));
    }
  }
  if (flags & O_CREAT) rights.Add(RightValue("CAP_CREATE"));
  if (flags & O_TRUNC) rights.Add(RightValue("CAP_FTRUNCATE"));
  if (flags & 04000000) rights.Add(RightValue("CAP_FSYNC"));  // __O_SYNC
  return rights;
}

bool ReadOnlyOpen(uint64_t flags) {
  return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC | O_APPEND)) &&
         (flags & O_TMPFILE) != O_TMPFILE;
}

// The lexical components of an absolute path; nullopt when it has a ".." (a library lookup
// never needs one, and resolving it lexically would be wrong across symlinks).
std::optional<std::vector<std::string>> Components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string part = path.substr(start, slash - start);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") parts.push_back(part);
    start = slash + 1;
  }
  return parts;
}

// Where a lookup starts and how it resolves.
struct Base {
  UniqueFd dir;
  std::string rest;  // relative to dir; "." for dir itself
  uint64_t resolve = 0;
  int cls = -1;          // the limits of the directory (what the call is checked against); -1: none
  int place = -1;        // the class whose block a descriptor opened here goes to
  bool beneath = false;  // EXDEV means an escape: ENOTCAPABLE
};

// A lookup's last component and the directory it is in (mkdir, unlink, rename, ...).
struct Parent {
  UniqueFd dir;
  std::string last;
};

void SplitLast(const std::string& path, std::string* parent, std::string* last) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;  // "a/b/" -> last "b/"
  const size_t slash = path.rfind('/', end - 1);
  if (slash == std::string::npos) {
    *parent = ".";
    *last = path;
  } else {
    *parent = slash == 0 ? "/" : path.substr(0, slash);
    *last = path.substr(slash + 1);
  }
}

long OpenHow(int dir, const std::string& path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return syscall(SYS_openat2, dir, path.empty() ? "." : path.c_str(), &how, sizeof(how));
}

// The worker's capabilities: the program's, plus CAP_SYS_PTRACE while it reaches into the
// program (pidfd_getfd and kcmp check ptrace access with the real uid, which is root's here),
// never while it looks anything up.
struct Capabilities {
  bool manage = false;  // root mode only
  struct __user_cap_data_struct program[_LINUX_CAPABILITY_U32S_3] = {};

  int Apply(bool ptrace) const {
    if (!manage) return 0;
    struct __user_cap_header_struct header {};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) data[i] = program[i];
    const int bit = CAP_SYS_PTRACE;
    data[bit / 32].permitted |= 1u << (bit % 32);
    if (ptrace) data[bit / 32].effective |= 1u << (bit % 32);
    return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
  }
};
thread_local Capabilities worker_caps;

// CAP_SYS_PTRACE for the scope of one operation on the program.
class ReachIn {
 public:
  ReachIn() { worker_caps.Apply(true); }
  ~ReachIn() { worker_caps.Apply(false); }
};

// What reaches into the program: on `runner` (a thread outside the worker's Landlock domain)
// when there is one, else here with CAP_SYS_PTRACE for the duration.
void Reach(ThreadRunner* runner, const std::function<void()>& job) {
  if (runner) {
    runner->Run(job);
  } else {
    ReachIn reach;
    job();
  }
}

uint32_t ProgramUmask(const NotifyTarget& target) {
  const std::string value = target.Status("Umask");
  return value.empty() ? 022 : static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 8));
}

}  // namespace

bool IsLookupCall(int nr) {
  const Calls& c = C();
  for (int call :
       {c.openat,    c.openat2,   c.open,       c.newfstatat, c.statx,      c.stat,
        c.lstat,     c.faccessat, c.faccessat2, c.access,     c.readlinkat, c.readlink,
        c.mkdirat,   c.mknodat,   c.unlinkat,   c.renameat,   c.renameat2,  c.linkat,
        c.symlinkat, c.fchmodat,  c.fchmodat2,  c.fchownat,   c.utimensat,  c.futimesat}) {
    if (call == nr) return true;
  }
  return false;
}

LookupEngine::LookupEngine(const SandboxPlan& plan, std::mutex& placement, UniqueFd root,
                           UniqueFd landlock)
    : plan_(plan),
      layout_(plan.capsicum.layout),
      placement_(placement),
      root_(std::move(root)),
      landlock_(std::move(landlock)) {
  // Made here, on the supervisor's thread: a thread the worker made would be in its domain.
  if (plan_.landlock.restricts_files()) reach_ = std::make_unique<ThreadRunner>([] { return 0; });
}

namespace {

// What interrupts a worker waiting in a lookup at the end (an open of a FIFO that never gets a
// writer would otherwise keep the supervisor, and stockade, waiting forever): a signal with a
// handler that does nothing, installed without SA_RESTART, so that the call fails with EINTR.
int InterruptSignal() {
  static const int signal = [] {
    const int chosen = SIGRTMIN + 2;
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    sigaction(chosen, &action, nullptr);
    return chosen;
  }();
  return signal;
}

}  // namespace

LookupEngine::~LookupEngine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  // A worker may be waiting in a lookup, or about to: interrupted until every one has ended.
  while (exited_.load() < workers_.size()) {
    for (std::thread& worker : workers_) pthread_kill(worker.native_handle(), InterruptSignal());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (std::thread& worker : workers_) worker.join();
}

void LookupEngine::Submit(int listener, const struct seccomp_notif& notification,
                          NotifyTarget target, const CapsicumLayout* layout) {
  std::lock_guard<std::mutex> lock(mutex_);
  jobs_.push_back({listener, notification, std::move(target), layout ? layout : &layout_});
  // Another worker when every one is busy (a lookup can block: an open of a FIFO waits for a
  // writer), up to kMaxWorkers; beyond that, jobs wait their turn.
  if (jobs_.size() > idle_ && workers_.size() < kMaxWorkers) {
    workers_.emplace_back([this] { Work(); });
  }
  ready_.notify_one();
}

int LookupEngine::BecomeProgram() {
  // A working directory and umask of its own (the umask is applied by hand, per program).
  if (unshare(CLONE_FS) != 0) return errno;
  umask(0);
  if (plan_.userns.enabled) return EnterLandlock();  // already the program's (mapped) identity
  // The ids, on this thread only: raw system calls (glibc's setgroups changes every thread).
  if (syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
  syscall(SYS_setfsgid, plan_.gid);
  syscall(SYS_setfsuid, plan_.uid);
  if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != plan_.uid ||
      static_cast<gid_t>(syscall(SYS_setfsgid, -1)) != plan_.gid) {
    return EPERM;
  }
  // The program's capabilities and no others (a root program without CAP_DAC_OVERRIDE must
  // not get it here), on this thread (capset(2) acts on the caller).
  worker_caps.manage = true;
  for (int cap : plan_.caps.keep) {
    worker_caps.program[cap / 32].effective |= 1u << (cap % 32);
    worker_caps.program[cap / 32].permitted |= 1u << (cap % 32);
  }
  if (const int error = worker_caps.Apply(false)) return error;
  return EnterLandlock();
}

int LookupEngine::EnterLandlock() {
  if (!plan_.landlock.restricts_files()) return 0;
  if (!landlock_) return EACCES;  // the launcher's rules never came: fail closed
  // On this thread only: no_new_privs and the Landlock domain are a thread's.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (syscall(SYS_landlock_restrict_self, landlock_.get(), 0) != 0) return errno;
  return 0;
}

void LookupEngine::Work() {
  // The supervisor blocks the signals it forwards; this thread takes the one that interrupts it.
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, InterruptSignal());
  pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr);
  struct Exit {
    std::atomic<size_t>& exited;
    ~Exit() { ++exited; }
  } on_exit{exited_};
  const int identity_error = BecomeProgram();
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (identity_error) {
      Send(job.listener, job.notification.id, 0, EACCES);  // fail closed
      continue;
    }
    Perform(job.listener, job.notification, job.target, *job.layout);
  }
}

namespace {

// One lookup call, performed on the worker thread.
class Lookup {
 public:
  Lookup(const SandboxPlan& plan, const CapsicumLayout& layout, std::mutex& placement, int listener,
         const struct seccomp_notif& n, NotifyTarget& target, const UniqueFd& root,
         const std::vector<std::pair<std::string, UniqueFd>>& libraries, ThreadRunner* reach)
      : plan_(plan),
        layout_(layout),
        placement_(placement),
        listener_(listener),
        n_(n),
        target_(target),
        root_(root),
        libraries_(libraries),
        reach_(reach) {}

  void Run();

 private:
  uint64_t Arg(int i) const { return n_.data.args[i]; }
  // The program's side. Its memory is a descriptor the main thread opened (the access check
  // was made then); its descriptors and /proc entries want CAP_SYS_PTRACE for the duration.
  bool ReadPath(uint64_t address, std::string& out, int* error) const {
    return target_.ReadPath(address, out, error);
  }
  bool ReadMemory(uint64_t address, void* buffer, size_t size) const {
    return target_.Read(address, buffer, size);
  }
  bool WriteMemory(uint64_t address, const void* buffer, size_t size) const {
    return target_.Write(address, buffer, size);
  }
  UniqueFd Descriptor(int fd) const {
    UniqueFd copy;
    Reach(reach_, [&] { copy = target_.Get(fd); });
    return copy;
  }
  bool IsOpen(int fd) const {
    bool open = false;
    Reach(reach_, [&] { open = target_.IsOpen(fd); });
    return open;
  }
  uint32_t Umask() const {
    uint32_t mask = 022;
    Reach(reach_, [&] { mask = ProgramUmask(target_); });
    return mask;
  }
  void Reply(int64_t value) { Send(listener_, n_.id, value, 0); }
  void Fail(int error) { Send(listener_, n_.id, 0, error); }

  // Where (dirfd, path) starts. `read_only`: the call only reads (mechanism 5 may serve it).
  int Resolve(int dirfd, const std::string& path, bool read_only, Base* base);
  // The object itself, opened O_PATH (`follow`: through a final symlink).
  int Object(int dirfd, const std::string& path, bool read_only, bool follow, UniqueFd* out);
  int ParentOf(int dirfd, const std::string& path, Parent* out);
  int Path(int arg, std::string* out);
  int Escape(int error, const Base& base) const {
    return error == EXDEV && base.beneath ? STOCKADE_ENOTCAPABLE : error;
  }
  // Installs a descriptor the lookup opened, in `cls`'s block or on the lowest free number.
  void Install(UniqueFd file, int cls, bool cloexec);
  // An O_PATH descriptor replaced by one ADDFD can install.
  int Substitute(UniqueFd* file);
  uint32_t InsideId(uint32_t id, bool group) const;
  int OutsideId(uint64_t id, bool group, uint32_t* out) const;

  // `strict`: openat2, whose flags must all be valid; open/openat drop unknown bits as the
  // kernel's build_open_how() does.
  void Open(int dirfd, uint64_t path_arg, uint64_t flags, uint64_t mode, uint64_t user_resolve,
            bool strict);
  void Stat(int dirfd, uint64_t path_arg, bool follow, bool empty_path, bool is_statx,
            uint64_t out_arg, unsigned statx_flags, unsigned mask);
  void Access(int dirfd, uint64_t path_arg, int mode, bool follow, bool empty_path);
  void Readlink(int dirfd, uint64_t path_arg, uint64_t buffer, uint64_t size);

  const SandboxPlan& plan_;
  const CapsicumLayout& layout_;
  std::mutex& placement_;
  int listener_;
  const struct seccomp_notif& n_;
  NotifyTarget& target_;
  const UniqueFd& root_;
  const std::vector<std::pair<std::string, UniqueFd>>& libraries_;
  ThreadRunner* reach_;
};

int Lookup::Path(int arg, std::string* out) {
  int error = 0;
  if (!ReadPath(Arg(arg), *out, &error)) return error;
  return 0;
}

int Lookup::Resolve(int dirfd, const std::string& path, bool read_only, Base* base) {
  if (path.empty()) return ENOENT;
  const bool absolute = path[0] == '/';
  if (static_cast<uint32_t>(dirfd) == kAtFdcwd) {
    if (layout_.capability_mode) {
      // Mechanism 5: read-only lookups beneath the run-time linker's library directories.
      if (!absolute || !read_only) return STOCKADE_ECAPMODE;
      const auto parts = Components(path);
      if (!parts) return STOCKADE_ECAPMODE;
      size_t best = 0;
      const UniqueFd* best_fd = nullptr;
      for (const auto& [dir, fd] : libraries_) {
        const auto prefix = Components(dir);
        if (!prefix || prefix->size() > parts->size() || prefix->size() < best || !fd) continue;
        if (!std::equal(prefix->begin(), prefix->end(), parts->begin())) continue;
        best = prefix->size();
        best_fd = &fd;
      }
      if (!best_fd) return STOCKADE_ECAPMODE;
      base->dir = UniqueFd(fcntl(best_fd->get(), F_DUPFD_CLOEXEC, 0));
      for (size_t i = best; i < parts->size(); ++i) {
        base->rest += (base->rest.empty() ? "" : "/") + (*parts)[i];
      }
      base->resolve = kBeneath;
      base->cls = layout_.library_class;
      base->place = layout_.library_class;
      base->beneath = true;
      return base->dir ? 0 : errno;
    }
    // Outside capability mode, the working-directory side of a call whose other side is a
    // limited directory: from the program's working directory, never above it.
    if (absolute) {
      base->dir = UniqueFd(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
      base->rest = path;
      base->resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
      return base->dir ? 0 : errno;
    }
    const std::string cwd = "/proc/" + std::to_string(target_.tid()) + "/cwd";
    Reach(reach_,
          [&] { base->dir = UniqueFd(open(cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)); });
    base->rest = path;
    base->resolve = kBeneath;
    return base->dir ? 0 : errno;
  }
  if (absolute) {
    // FreeBSD: strictly relative in capability mode; otherwise the descriptor is ignored and
    // the path is looked up from the root (the sandbox's, as the program sees it).
    if (layout_.capability_mode) return STOCKADE_ENOTCAPABLE;
    base->dir = UniqueFd(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    base->rest = path;
    base->resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return base->dir ? 0 : errno;
  }
  base->dir = Descriptor(dirfd);
  if (!base->dir) return EBADF;
  base->rest = path;
  base->resolve = kBeneath;
  base->cls = layout_.ClassOf(dirfd);
  base->place = layout_.PlacementClass(dirfd);
  base->beneath = true;
  return 0;
}

int Lookup::Object(int dirfd, const std::string& path, bool read_only, bool follow, UniqueFd* out) {
  Base base;
  if (int error = Resolve(dirfd, path, read_only, &base)) return error;
  const long fd = OpenHow(base.dir.get(), base.rest, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
                          0, base.resolve);
  if (fd < 0) return Escape(errno, base);
  *out = UniqueFd(static_cast<int>(fd));
  return 0;
}

int Lookup::ParentOf(int dirfd, const std::string& path, Parent* out) {
  if (path.empty()) return ENOENT;
  std::string parent;
  SplitLast(path, &parent, &out->last);
  Base base;
  if (int error = Resolve(dirfd, parent, /*read_only=*/false, &base)) return error;
  const long fd =
      OpenHow(base.dir.get(), base.rest, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, base.resolve);
  if (fd < 0) return Escape(errno, base);
  out->dir = UniqueFd(static_cast<int>(fd));
  return 0;
}

void Lookup::Install(UniqueFd file, int cls, bool cloexec) {
  if (cls < 0) {
    const int installed = AddFd(listener_, n_.id, file.get(), -1, cloexec, /*answer=*/true);
    if (installed < 0 && installed != -ENOENT) Fail(-installed);
    return;
  }
  // The class's block: the choice and the installation together, against other placements.
  std::lock_guard<std::mutex> lock(placement_);
  for (int number : layout_.BlockOf(cls)) {
    if (IsOpen(number)) continue;
    const int installed = AddFd(listener_, n_.id, file.get(), number, cloexec, /*answer=*/true);
    if (installed < 0 && installed != -ENOENT) Fail(-installed);
    return;
  }
  Fail(EMFILE);
}

uint32_t Lookup::InsideId(uint32_t id, bool group) const {
  const UserNamespacePlan& u = plan_.userns;
  if (!u.enabled) return id;
  return id == (group ? u.outside_gid : u.outside_uid) ? (group ? u.inside_gid : u.inside_uid)
                                                       : 65534;
}

int Lookup::OutsideId(uint64_t id, bool group, uint32_t* out) const {
  const uint32_t value = static_cast<uint32_t>(id);
  const UserNamespacePlan& u = plan_.userns;
  if (!u.enabled || value == static_cast<uint32_t>(-1)) {
    *out = value;
    return 0;
  }
  if (value != (group ? u.inside_gid : u.inside_uid)) return EINVAL;  // not mapped
  *out = group ? u.outside_gid : u.outside_uid;
  return 0;
}

void Lookup::Open(int dirfd, uint64_t path_arg, uint64_t flags, uint64_t mode,
                  uint64_t user_resolve, bool strict) {
  if (!strict) {
    // build_open_how(): unknown bits are ignored, O_PATH keeps only its own flags.
    constexpr uint64_t kValid = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE |
                                O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH |
                                O_TMPFILE;
    flags &= kValid;
    if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  }
  std::string path;
  int error = 0;
  if (!ReadPath(path_arg, path, &error)) return Fail(error);
  Base base;
  if ((error = Resolve(dirfd, path, ReadOnlyOpen(flags), &base))) return Fail(error);
  if (base.cls >= 0 &&
      !layout_.classes[static_cast<size_t>(base.cls)].rights.Contains(OpenRights(flags))) {
    return Fail(STOCKADE_ENOTCAPABLE);  // openat2: its flags were not in the registers
  }
  if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) mode &= ~Umask();
  uint64_t resolve = base.resolve | user_resolve;
  if ((resolve & RESOLVE_IN_ROOT) && (resolve & RESOLVE_BENEATH)) resolve &= ~RESOLVE_BENEATH;
  const bool cloexec = (flags & O_CLOEXEC) != 0;
  const bool create = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  // Never a controlling terminal for the supervisor (O_NOCTTY, which O_PATH does not take).
  const uint64_t own = O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY);
  const long fd = OpenHow(base.dir.get(), base.rest, flags | own,
                          create ? (mode & (strict ? ~uint64_t{0} : 07777)) : 0, resolve);
  if (fd < 0) {
    const int cause = errno;
    return Fail(cause == EXDEV && !(user_resolve & RESOLVE_NO_XDEV) ? Escape(cause, base) : cause);
  }
  UniqueFd file(static_cast<int>(fd));
  if (flags & O_PATH) {
    // SECCOMP_IOCTL_NOTIF_ADDFD cannot install an O_PATH file (fget() skips them): the
    // program gets the object opened for reading instead, with the same rights (its class's;
    // docs/capsicum-linux.md, "Differences from FreeBSD").
    if ((error = Substitute(&file))) return Fail(error);
  }
  if (base.cls >= 0 && base.place < 0) return Fail(STOCKADE_ENOTCAPABLE);  // nowhere safe
  Install(std::move(file), base.place, cloexec);
}

int Lookup::Substitute(UniqueFd* file) {
  struct stat st {};
  if (fstat(file->get(), &st) != 0) return errno;
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (S_ISDIR(st.st_mode)) {
    flags |= O_DIRECTORY;
  } else if (S_ISLNK(st.st_mode)) {
    return ELOOP;  // O_PATH|O_NOFOLLOW of a symbolic link: nothing to read it as
  } else if (!S_ISREG(st.st_mode)) {
    return EOPNOTSUPP;  // opening a device or FIFO has effects an O_PATH open does not
  }
  // The same file, not a new lookup: through the magic link of the supervisor's own
  // descriptor (the permission check is the program's: this thread has its identity).
  const std::string self = "/proc/self/fd/" + std::to_string(file->get());
  UniqueFd reopened(open(self.c_str(), flags));
  if (!reopened) return errno;
  *file = std::move(reopened);
  return 0;
}

void Lookup::Stat(int dirfd, uint64_t path_arg, bool follow, bool empty_path, bool is_statx,
                  uint64_t out_arg, unsigned statx_flags, unsigned mask) {
  std::string path;
  int error = 0;
  if (!ReadPath(path_arg, path, &error)) return Fail(error);
  UniqueFd object;
  if (path.empty() && empty_path) {
    object = Descriptor(dirfd);
    if (!object) return Fail(EBADF);
  } else if ((error = Object(dirfd, path, /*read_only=*/true, follow, &object))) {
    return Fail(error);
  }
  if (is_statx) {
    struct statx result {};
    if (syscall(SYS_statx, object.get(), "", AT_EMPTY_PATH | statx_flags, mask, &result) != 0) {
      return Fail(errno);
    }
    result.stx_uid = InsideId(result.stx_uid, false);
    result.stx_gid = InsideId(result.stx_gid, true);
    if (!WriteMemory(out_arg, &result, sizeof(result))) return Fail(EFAULT);
    return Reply(0);
  }
  struct stat result {};
  if (fstatat(object.get(), "", &result, AT_EMPTY_PATH) != 0) return Fail(errno);
  result.st_uid = InsideId(result.st_uid, false);
  result.st_gid = InsideId(result.st_gid, true);
  if (!WriteMemory(out_arg, &result, sizeof(result))) return Fail(EFAULT);
  Reply(0);
}

void Lookup::Access(int dirfd, uint64_t path_arg, int mode, bool follow, bool empty_path) {
  std::string path;
  int error = 0;
  if (!ReadPath(path_arg, path, &error)) return Fail(error);
  UniqueFd object;
  if (path.empty() && empty_path) {
    object = Descriptor(dirfd);
    if (!object) return Fail(EBADF);
  } else if ((error = Object(dirfd, path, true, follow, &object))) {
    return Fail(error);
  }
  // With the program's effective ids, which this thread has (docs: access(2) is checked with
  // the effective ids, not the real ones).
  if (syscall(SYS_faccessat2, object.get(), "", mode, AT_EMPTY_PATH | AT_EACCESS) != 0) {
    return Fail(errno);
  }
  Reply(0);
}

void Lookup::Readlink(int dirfd, uint64_t path_arg, uint64_t buffer, uint64_t size) {
  std::string path;
  int error = 0;
  if (!ReadPath(path_arg, path, &error)) return Fail(error);
  if (static_cast<int64_t>(size) <= 0) return Fail(EINVAL);
  UniqueFd link;
  if (path.empty()) {
    link = Descriptor(dirfd);
    if (!link) return Fail(EBADF);
  } else if ((error = Object(dirfd, path, true, /*follow=*/false, &link))) {
    return Fail(error);
  }
  std::vector<char> target(std::min<uint64_t>(size, PATH_MAX));
  const ssize_t length = readlinkat(link.get(), "", target.data(), target.size());
  if (length < 0) return Fail(errno);
  if (!WriteMemory(buffer, target.data(), static_cast<size_t>(length))) return Fail(EFAULT);
  Reply(length);
}

void Lookup::Run() {
  const Calls& c = C();
  const int nr = n_.data.nr;
  const int dirfd = Low(Arg(0));
  std::string path;
  int error = 0;
  if (nr == c.openat) return Open(dirfd, Arg(1), static_cast<uint32_t>(Arg(2)), Arg(3), 0, false);
  if (nr == c.open) return Open(AT_FDCWD, Arg(0), static_cast<uint32_t>(Arg(1)), Arg(2), 0, false);
  if (nr == c.openat2) {
    struct open_how how {};
    const uint64_t size = Arg(3);
    if (size < sizeof(how)) return Fail(EINVAL);
    if (!ReadMemory(Arg(2), &how, sizeof(how))) return Fail(EFAULT);
    if (size > sizeof(how)) {
      // As the kernel: a larger struct is accepted when its tail is zero.
      std::vector<unsigned char> tail(std::min<uint64_t>(size - sizeof(how), 4096));
      if (!ReadMemory(Arg(2) + sizeof(how), tail.data(), tail.size())) return Fail(EFAULT);
      for (unsigned char byte : tail) {
        if (byte) return Fail(E2BIG);
      }
    }
    return Open(dirfd, Arg(1), how.flags, how.mode, how.resolve, true);
  }
  if (nr == c.newfstatat) {
    const unsigned flags = static_cast<unsigned>(Arg(3));
    return Stat(dirfd, Arg(1), !(flags & AT_SYMLINK_NOFOLLOW), flags & AT_EMPTY_PATH, false, Arg(2),
                0, 0);
  }
  if (nr == c.statx) {
    const unsigned flags = static_cast<unsigned>(Arg(2));
    return Stat(dirfd, Arg(1), !(flags & AT_SYMLINK_NOFOLLOW), flags & AT_EMPTY_PATH, true, Arg(4),
                flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE), static_cast<unsigned>(Arg(3)));
  }
  if (nr == c.stat || nr == c.lstat) {
    return Stat(AT_FDCWD, Arg(0), nr == c.stat, false, false, Arg(1), 0, 0);
  }
  if (nr == c.faccessat) return Access(dirfd, Arg(1), Low(Arg(2)), true, false);
  if (nr == c.faccessat2) {
    const unsigned flags = static_cast<unsigned>(Arg(3));
    return Access(dirfd, Arg(1), Low(Arg(2)), !(flags & AT_SYMLINK_NOFOLLOW),
                  flags & AT_EMPTY_PATH);
  }
  if (nr == c.access) return Access(AT_FDCWD, Arg(0), Low(Arg(1)), true, false);
  if (nr == c.readlinkat) return Readlink(dirfd, Arg(1), Arg(2), Arg(3));
  if (nr == c.readlink) return Readlink(AT_FDCWD, Arg(0), Arg(1), Arg(2));

  // The calls that change a directory: on the last component, in its parent opened beneath.
  if (nr == c.mkdirat || nr == c.mknodat || nr == c.unlinkat) {
    if ((error = Path(1, &path))) return Fail(error);
    Parent parent;
    if ((error = ParentOf(dirfd, path, &parent))) return Fail(error);
    long rc;
    if (nr == c.mkdirat) {
      rc = mkdirat(parent.dir.get(), parent.last.c_str(),
                   static_cast<mode_t>(Arg(2) & 07777 & ~Umask()));
    } else if (nr == c.mknodat) {
      const mode_t mode = static_cast<mode_t>(Arg(2));
      rc = mknodat(parent.dir.get(), parent.last.c_str(),
                   (mode & S_IFMT) | (mode & 07777 & ~Umask()), static_cast<dev_t>(Arg(3)));
    } else {
      rc = unlinkat(parent.dir.get(), parent.last.c_str(), Low(Arg(2)) & AT_REMOVEDIR);
    }
    return rc == 0 ? Reply(0) : Fail(errno);
  }
  if (nr == c.renameat || nr == c.renameat2) {
    std::string from, to;
    if ((error = Path(1, &from)) || (error = Path(3, &to))) return Fail(error);
    Parent source, target;
    if ((error = ParentOf(dirfd, from, &source))) return Fail(error);
    if ((error = ParentOf(Low(Arg(2)), to, &target))) return Fail(error);
    unsigned flags = nr == c.renameat2 ? static_cast<unsigned>(Arg(4)) : 0;
    // FreeBSD: replacing an existing entry also needs CAP_UNLINKAT on the target directory.
    const int target_cls = layout_.ClassOf(Low(Arg(2)));
    const bool may_unlink =
        target_cls < 0 ||
        layout_.classes[static_cast<size_t>(target_cls)].rights.Has(RightValue("CAP_UNLINKAT"));
    const bool forced = !may_unlink && !(flags & (kRenameNoReplace | kRenameExchange));
    if (forced) flags |= kRenameNoReplace;
    if (syscall(SYS_renameat2, source.dir.get(), source.last.c_str(), target.dir.get(),
                target.last.c_str(), flags) != 0) {
      return Fail(errno == EEXIST && forced ? STOCKADE_ENOTCAPABLE : errno);
    }
    return Reply(0);
  }
  if (nr == c.linkat) {
    std::string from, to;
    if ((error = Path(1, &from)) || (error = Path(3, &to))) return Fail(error);
    const unsigned flags = static_cast<unsigned>(Arg(4));
    UniqueFd object;
    if (from.empty() && (flags & AT_EMPTY_PATH)) {
      object = Descriptor(dirfd);
      if (!object) return Fail(EBADF);
    } else if ((error = Object(dirfd, from, false, flags & AT_SYMLINK_FOLLOW, &object))) {
      return Fail(error);
    }
    Parent target;
    if ((error = ParentOf(Low(Arg(2)), to, &target))) return Fail(error);
    // Through the supervisor's /proc/self/fd: links the object itself, without the
    // CAP_DAC_READ_SEARCH that AT_EMPTY_PATH needs.
    const std::string self = "/proc/self/fd/" + std::to_string(object.get());
    if (linkat(AT_FDCWD, self.c_str(), target.dir.get(), target.last.c_str(), AT_SYMLINK_FOLLOW) !=
        0) {
      return Fail(errno);
    }
    return Reply(0);
  }
  if (nr == c.symlinkat) {
    std::string contents, link;
    if ((error = Path(0, &contents)) || (error = Path(2, &link))) return Fail(error);
    Parent parent;
    if ((error = ParentOf(Low(Arg(1)), link, &parent))) return Fail(error);
    return symlinkat(contents.c_str(), parent.dir.get(), parent.last.c_str()) == 0 ? Reply(0)
                                                                                   : Fail(errno);
  }

  // The calls that change an object: on the object opened O_PATH beneath.
  if (nr == c.fchmodat || nr == c.fchmodat2 || nr == c.fchownat || nr == c.utimensat ||
      nr == c.futimesat) {
    if ((error = Path(1, &path))) return Fail(error);
    unsigned flags = 0;
    if (nr == c.fchmodat2) flags = static_cast<unsigned>(Arg(3));
    if (nr == c.fchownat) flags = static_cast<unsigned>(Arg(4));
    if (nr == c.utimensat) flags = static_cast<unsigned>(Arg(3));
    UniqueFd object;
    if (path.empty() && (flags & AT_EMPTY_PATH)) {
      object = Descriptor(dirfd);
      if (!object) return Fail(EBADF);
    } else if ((error = Object(dirfd, path, false, !(flags & AT_SYMLINK_NOFOLLOW), &object))) {
      return Fail(error);
    }
    long rc;
    if (nr == c.fchmodat || nr == c.fchmodat2) {
      rc = syscall(kSysFchmodat2, object.get(), "", static_cast<mode_t>(Arg(2)), AT_EMPTY_PATH);
    } else if (nr == c.fchownat) {
      uint32_t uid = 0, gid = 0;
      if ((error = OutsideId(Arg(2), false, &uid)) || (error = OutsideId(Arg(3), true, &gid))) {
        return Fail(error);
      }
      rc = fchownat(object.get(), "", uid, gid, AT_EMPTY_PATH);
    } else {
      struct timespec times[2];
      const struct timespec* use = nullptr;
      if (Arg(2) != 0) {
        if (nr == c.utimensat) {
          if (!ReadMemory(Arg(2), times, sizeof(times))) return Fail(EFAULT);
        } else {
          struct timeval tv[2];
          if (!ReadMemory(Arg(2), tv, sizeof(tv))) return Fail(EFAULT);
          for (int i = 0; i < 2; ++i) {
            times[i].tv_sec = tv[i].tv_sec;
            times[i].tv_nsec = tv[i].tv_usec * 1000;
          }
        }
        use = times;
      }
      rc = utimensat(object.get(), "", use, AT_EMPTY_PATH);
    }
    return rc == 0 ? Reply(0) : Fail(errno);
  }
  Fail(ENOSYS);  // not a lookup call: the router should never send it here
}

}  // namespace

void LookupEngine::Perform(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                           const CapsicumLayout& layout) {
  // The root came from the launcher (SimPlatform::SendRoot), not from /proc/TID/root: the
  // program's own root is the capability-mode one, and a thread id can be recycled.
  if (!root_) return Send(listener, n.id, 0, EACCES);
  std::call_once(libraries_opened_, [&] {
    const std::vector<std::string>& dirs =
        plan_.capsicum.library_dirs.empty() ? layout.library_dirs : plan_.capsicum.library_dirs;
    for (const std::string& dir : dirs) {
      const long fd = OpenHow(root_.get(), dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      libraries_.emplace_back(dir, UniqueFd(fd >= 0 ? static_cast<int>(fd) : -1));
    }
  });
  Lookup(plan_, layout, placement_, listener, n, target, root_, libraries_, reach_.get()).Run();
}

}  // namespace stockade::linux_sim::detail
