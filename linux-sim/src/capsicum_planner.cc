// SPDX-License-Identifier: BSD-2-Clause
// Planning the Capsicum emulation for a sandbox, and its fidelity.

#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "landlock_abi.h"
#include "mappings.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/linux_sim/seccomp.h"

namespace stockade::linux_sim::detail {
namespace {

// The program's RLIMIT_NOFILE soft limit at exec: the policy's, else the one it inherits.
uint64_t DescriptorLimit(const SandboxPlan& plan) {
  for (const RlimitStep& step : plan.limits.rlimits) {
    if (step.resource == RLIMIT_NOFILE) return step.soft;
  }
  struct rlimit own {};
  getrlimit(RLIMIT_NOFILE, &own);
  return own.rlim_cur;
}

// Where the blocks of classes end: the descriptor limit, at most 4096.
int DescriptorTop(const SandboxPlan& plan) {
  return static_cast<int>(std::min<uint64_t>(DescriptorLimit(plan), 4096));
}

bool AnyLimit(const policy::Policy& policy) {
  for (const policy::Descriptor& d : policy.descriptors) {
    if (d.rights || d.ioctls || d.fcntls) return true;
  }
  return false;
}

// The supervisor makes the program's Unix sockets (SO_PASSRIGHTS off) in the sandbox's network
// namespace: setns(2) into one of its own wants CAP_SYS_ADMIN here.
bool CanSealUnixSockets(const policy::Policy& policy, const HostFacts& host) {
  return host.so_passrights &&
         (policy.network.mode == policy::Network::Mode::kHost || host.cap_sys_admin);
}

// Landlock's abstract-socket scope judges a socket by the domain of whoever made it; once
// anything is limited the supervisor makes the program's Unix sockets (from the start, or after
// the program's own first limit), and the program could not reach its own abstract sockets.
// With a network namespace of its own, that namespace already holds every abstract socket the
// program can reach, so the scope goes; with the host's it stays (docs/capsicum-linux.md).
void UnscopeAbstractSockets(const CapsicumLayout& layout, SandboxPlan& plan) {
  if (!layout.seal_unix_sockets || !(plan.clone_flags & CLONE_NEWNET)) return;
  plan.landlock.scoped &= ~landlock::kScopeAbstractUnixSocket;  // the signal scope stays on
}

}  // namespace

// Where a Linux run-time linker finds libraries (ld.so(8)'s defaults, Debian's multiarch
// directories beneath them, /usr/local/lib), and the preload library's directory.
std::vector<std::string> LibraryDirectories(const SandboxPlan& plan) {
  std::vector<std::string> dirs = {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"};
  const std::string& preload = plan.manifest.preload;
  if (!preload.empty()) {
    const std::string dir = preload.substr(0, preload.rfind('/'));
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

// libstockade-preopen.so on this host: the build tree's, else the installed one.
std::string PreopenLibrary() {
  for (const char* path : {STOCKADE_PREOPEN_BUILT, STOCKADE_PREOPEN_INSTALLED}) {
    struct stat st {};
    if (*path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) return path;
  }
  return "";
}

constexpr const char* kPreloadDir = "/run/stockade";
constexpr const char* kPreload = "/run/stockade/libstockade-preopen.so";

// In capability mode a dynamic program gets the preopen mapping (mechanism 6): the library is
// bound read-only into the sandbox and preloaded. Not into a root that is a host directory,
// where creating the mount point would change the host; such a policy mounts it itself.
void AddPreopenLibrary(const policy::Policy& policy, SandboxPlan& plan) {
  if (!plan.manifest.capability_mode || !plan.manifest.preload.empty()) return;
  if (policy.filesystem.root.kind == policy::RootFs::Kind::kDirectory) return;
  const std::string library = PreopenLibrary();
  if (library.empty()) return;
  auto pivot = std::find_if(plan.fs.begin(), plan.fs.end(),
                            [](const FsStep& s) { return s.kind == FsStep::Kind::kPivotRoot; });
  if (pivot == plan.fs.end()) return;
  const std::string root = pivot->target;
  const Origin origin{"capability_mode", policy.capability_mode_span};
  std::vector<FsStep> steps(5);
  steps[0].kind = FsStep::Kind::kMkdir;
  steps[0].target = root + "/run";
  steps[1].kind = FsStep::Kind::kMkdir;
  steps[1].target = root + kPreloadDir;
  steps[2].kind = FsStep::Kind::kTouch;
  steps[2].target = root + kPreload;
  steps[3].kind = FsStep::Kind::kBind;
  steps[3].source = library;
  steps[3].target = root + kPreload;
  steps[4].kind = FsStep::Kind::kSetAttr;
  steps[4].target = root + kPreload;
  steps[4].flags = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  steps[4].recursive = false;
  for (FsStep& step : steps) step.origin = origin;
  plan.fs.insert(pivot, steps.begin(), steps.end());
  plan.manifest.preload = kPreload;
  // The supervisor holds lookups beneath their descriptors and cannot install O_PATH ones: the
  // library passes paths whole, as on FreeBSD (freebsd/preopen/os_linux.c).
  plan.manifest.env_set.push_back("STOCKADE_PREOPEN_LOOKUPS=capsicum");
}

constexpr const char* kCapabilityModeRoot = "/run/stockade/capmode";

// The program's own root in capability mode (CapsicumPlan::capmode_root): a small read-only
// tmpfs holding the library directories bound from the sandbox's view (so that the kernel
// finds a program's PT_INTERP), and nothing else. Made right after pivot_root, so the binds
// are of the sandbox's own directories; a missing one is skipped. Not in a root that is a host
// directory (as the preload library above).
void AddCapabilityModeRoot(const policy::Policy& policy, SandboxPlan& plan) {
  if (!plan.manifest.capability_mode) return;
  if (policy.filesystem.root.kind == policy::RootFs::Kind::kDirectory) return;
  auto pivot = std::find_if(plan.fs.begin(), plan.fs.end(),
                            [](const FsStep& s) { return s.kind == FsStep::Kind::kPivotRoot; });
  if (pivot == plan.fs.end()) return;
  const Origin origin{"capability_mode", policy.capability_mode_span};
  const std::string root = kCapabilityModeRoot;
  std::vector<FsStep> steps;
  auto add = [&](FsStep::Kind kind, const std::string& source, const std::string& target) {
    FsStep step;
    step.kind = kind;
    step.source = source;
    step.target = target;
    step.origin = origin;
    steps.push_back(step);
    return &steps.back();
  };
  add(FsStep::Kind::kMkdir, "", "/run");
  add(FsStep::Kind::kMkdir, "", kPreloadDir);
  add(FsStep::Kind::kMkdir, "", root);
  FsStep* tmpfs = add(FsStep::Kind::kTmpfs, "", root);
  tmpfs->data = "size=64k,mode=0755";
  tmpfs->flags = MS_NOSUID | MS_NODEV;
  for (const char* dir : {"/usr", "/usr/local"}) add(FsStep::Kind::kMkdir, "", root + dir);
  for (const char* dir : {"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"}) {
    add(FsStep::Kind::kMkdir, "", root + dir);
    add(FsStep::Kind::kBind, dir, root + dir)->optional = true;
  }
  FsStep* attr = add(FsStep::Kind::kSetAttr, "", root);
  attr->flags = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr->recursive = true;
  plan.fs.insert(pivot + 1, steps.begin(), steps.end());
  plan.capsicum.capmode_root = root;
}

Status PlanCapsicum(const policy::Policy& policy, const HostFacts& host, SandboxPlan& plan) {
  AddPreopenLibrary(policy, plan);
  STOCKADE_ASSIGN_OR_RETURN(
      CapsicumLayout layout,
      LayoutCapsicum(plan.manifest, DescriptorLimit(plan), LibraryDirectories(plan)));
  layout.seal_unix_sockets = CanSealUnixSockets(policy, host);
  if (!layout.enabled()) {
    // Nothing limited before exec; the program may still limit itself (mechanism 7), through
    // the reserved call, which needs the listener.
    if (!host.seccomp_filter || !host.seccomp_user_notif || !plan.seccomp.enabled) return {};
    UnscopeAbstractSockets(layout, plan);
    STOCKADE_ASSIGN_OR_RETURN(plan.capsicum, CompileCapsicum(layout));
    plan.capsicum.library_dirs = LibraryDirectories(plan);
    plan.capsicum.descriptor_top = DescriptorTop(plan);
    return AttachCapsicum(plan.capsicum, plan.seccomp);
  }
  if (!host.seccomp_filter || !host.seccomp_user_notif) {
    return Error(ErrorCode::kUnsupported,
                 "descriptor rights need seccomp filters with user notification, which this "
                 "kernel lacks");
  }
  STOCKADE_ASSIGN_OR_RETURN(plan.capsicum, CompileCapsicum(layout));
  plan.capsicum.library_dirs = LibraryDirectories(plan);
  plan.capsicum.descriptor_top = DescriptorTop(plan);
  AddCapabilityModeRoot(policy, plan);
  UnscopeAbstractSockets(layout, plan);
  return AttachCapsicum(plan.capsicum, plan.seccomp);
}

enforce::ClauseFidelity AssessCapsicum(const std::string& clause, policy::SourceSpan span,
                                       const policy::Policy& policy, const HostFacts& host) {
  using enforce::Fidelity;
  const bool mechanism = host.seccomp_filter && host.seccomp_user_notif;
  if (!mechanism) {
    return {clause, span, Fidelity::kNotEnforced,
            "Capsicum emulation needs seccomp filters with user notification, which this "
            "kernel lacks"};
  }
  if (clause == "capability_mode") {
    return {clause, span, Fidelity::kApproximated,
            "a seccomp filter fails every call that reaches a global namespace with ECAPMODE "
            "(FreeBSD's capability-mode list mapped onto Linux), the supervisor performs "
            "lookups strictly beneath directory descriptors (openat2 RESOLVE_BENEATH), and the "
            "program's own root holds only the library directories; but sendmsg and sendmmsg "
            "with an IP destination address are not refused, files beneath the run-time "
            "linker's library directories can be read by absolute path (rtld's "
            "LD_LIBRARY_PATH_FDS on FreeBSD), fexecve works only single-threaded, and clone3 "
            "fails with ENOSYS (docs/capsicum-linux.md lists every difference)"};
  }
  if (!AnyLimit(policy)) {
    return {clause, span, Fidelity::kExact, "opened by the launcher before exec, on their numbers"};
  }
  std::string scm_rights =
      "no Unix socket of the sandbox takes descriptors (SO_PASSRIGHTS off: "
      "SCM_RIGHTS fails with EPERM)";
  if (!CanSealUnixSockets(policy, host)) {
    scm_rights = std::string(
                     "but a limited descriptor passed over SCM_RIGHTS arrives without its "
                     "limits (") +
                 (host.so_passrights ? "the supervisor needs CAP_SYS_ADMIN to make sockets in the "
                                       "sandbox's network namespace"
                                     : "this kernel lacks SO_PASSRIGHTS, Linux 6.16") +
                 ")";
  }
  return {clause, span, Fidelity::kApproximated,
          "rights are checked per descriptor number by a seccomp filter (ENOTCAPABLE); copies "
          "made by dup, dup2, dup3, F_DUPFD and lookups beneath a limited directory (performed "
          "by the supervisor) keep them, in a block of numbers at the top of the table; " +
              scm_rights +
              "; poll and select do not check CAP_EVENT, and mprotect can raise a shared mapping "
              "up to the file's open mode (docs/capsicum-linux.md lists every difference)"};
}

}  // namespace stockade::linux_sim::detail
