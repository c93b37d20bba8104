// SPDX-License-Identifier: BSD-2-Clause
// Fuzzer: policy text (fuzz/policy_input.h) -> checked IR -> linux-sim's fidelity assessment and
// sandbox plan, on a fixed synthetic host, as root and as an unprivileged user. Property: the
// plan never grants more than the IR (docs/fuzzing.md):
//   - filesystem: nothing is bound into the sandbox but the policy's mounts, its root directory
//     and the six device nodes; every mount the policy makes read-only is made read-only; no
//     tmpfs, overlay or procfs the policy does not imply; every tmpfs is size-capped and
//     nosuid; every step before pivot_root stays inside the staging directory;
//   - capabilities: none for a program that is not uid 0, and otherwise only those the
//     policy's allow.* flags imply (written out here from jail(8), independently of
//     linux-sim's table), minus what its securelevel forbids;
//   - namespaces: mount, UTS, PID and cgroup always; network unless the policy asks for the
//     host's;
//   - seccomp: a 'syscalls' clause always yields filters whose default is the policy's; the
//     clauses linux-sim enforces with the filter (children.max 0, 'disable' SysV kinds)
//     deny their calls;
//   - limits: no rlimit, cgroup setting or clock the policy does not ask for, none looser;
//   - the manifest runs exactly the policy's command, as its user, with its environment.

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "policy_input.h"
#include "stockade/base/check.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/planner.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/names.h"

namespace stockade::fuzz {
namespace {

using linux_sim::FsStep;
using linux_sim::SandboxPlan;

constexpr char kStaging[] = "/run/stockade-fuzz/root";

linux_sim::HostFacts Host(bool root) {
  linux_sim::HostFacts host;
  host.kernel_release = "6.1.0-fuzz";
  host.root = root;
  host.cap_sys_admin = root;
  host.cap_net_admin = root;
  host.user_namespaces = true;
  host.landlock_abi = 7;
  host.seccomp_filter = true;
  host.seccomp_user_notif = true;
  host.so_passrights = true;  // the Unix sockets sealed where the supervisor can (root)
  for (const char* name : {"memory", "pids", "cpu", "blkio"}) {
    host.cgroups.push_back({name, true, false, std::string("/sys/fs/cgroup/") + name, "/fuzz"});
  }
  return host;
}

bool FlagSet(const policy::Policy& p, std::string_view flag, bool fallback) {
  for (const policy::JailFlag& f : p.jail.allow) {
    if (f.name == flag) return f.value;
  }
  return fallback;
}

// The most a uid-0 program may keep: what jailed root may do on FreeBSD (jail(8):
// allow.suser, on by default) and what each allow.* flag adds, minus what the securelevel
// forbids (security(7) of FreeBSD). Written from the documentation, not from linux-sim's table.
std::set<int> AllowedCapabilities(const policy::Policy& p) {
  std::set<int> allowed;
  if (!FlagSet(p, "allow.suser", true)) return allowed;
  allowed = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,    CAP_FSETID,
             CAP_KILL,  CAP_SETUID,       CAP_SETGID,          CAP_SYS_CHROOT};
  if (FlagSet(p, "allow.reserved_ports", true)) allowed.insert(CAP_NET_BIND_SERVICE);
  const std::pair<const char*, int> flags[] = {
      {"allow.raw_sockets", CAP_NET_RAW}, {"allow.chflags", CAP_LINUX_IMMUTABLE},
      {"allow.mlock", CAP_IPC_LOCK},      {"allow.settime", CAP_SYS_TIME},
      {"allow.adjtime", CAP_SYS_TIME},    {"allow.read_msgbuf", CAP_SYSLOG},
      {"allow.routing", CAP_NET_ADMIN},   {"allow.mount", CAP_SYS_ADMIN},
      {"allow.extattr", CAP_SYS_ADMIN},   {"allow.quotas", CAP_SYS_ADMIN},
  };
  for (const auto& [flag, cap] : flags) {
    if (FlagSet(p, flag, false)) allowed.insert(cap);
  }
  if (p.jail.securelevel >= 1) {
    for (int cap : {CAP_LINUX_IMMUTABLE, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_MKNOD}) {
      allowed.erase(cap);
    }
  }
  if (p.jail.securelevel >= 2) allowed.erase(CAP_SYS_TIME);
  if (p.jail.securelevel >= 3) allowed.erase(CAP_NET_ADMIN);
  return allowed;
}

bool Inside(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

constexpr const char* kPreload = "/run/stockade/libstockade-preopen.so";
constexpr const char* kCapabilityModeRoot = "/run/stockade/capmode";

// Step `i`, after pivot_root, is part of a capability-mode program's own root: a small
// read-only tmpfs holding the sandbox's own library directories, and nothing else.
void CheckCapabilityModeRoot(const policy::Policy& p, const SandboxPlan& plan, size_t i) {
  const FsStep& step = plan.fs[i];
  STOCKADE_CHECK(p.capability_mode) << "a capability-mode root without capability mode";
  STOCKADE_CHECK(plan.capsicum.capmode_root == kCapabilityModeRoot);
  const bool parent = step.target == "/run" || step.target == "/run/stockade";
  STOCKADE_CHECK(Inside(step.target, kCapabilityModeRoot) ||
                 (parent && step.kind == FsStep::Kind::kMkdir))
      << "capability mode's step " << i << " targets '" << step.target << "'";
  static const std::set<std::string> kLibraryDirs = {"/lib", "/lib64", "/usr/lib", "/usr/lib64",
                                                     "/usr/local/lib"};
  switch (step.kind) {
    case FsStep::Kind::kBind:
      STOCKADE_CHECK(kLibraryDirs.count(step.source) &&
                     step.target == std::string(kCapabilityModeRoot) + step.source)
          << "capability mode binds '" << step.source << "' at '" << step.target << "'";
      break;
    case FsStep::Kind::kTmpfs:
      STOCKADE_CHECK(step.target == kCapabilityModeRoot && step.data.rfind("size=", 0) == 0 &&
                     (step.flags & MS_NOSUID))
          << "capability mode's tmpfs: " << step.target << " " << step.data;
      break;
    case FsStep::Kind::kMkdir:
      break;
    case FsStep::Kind::kSetAttr:
      STOCKADE_CHECK(step.target == kCapabilityModeRoot && step.recursive &&
                     (step.flags & MOUNT_ATTR_RDONLY) && (step.flags & MOUNT_ATTR_NOSUID));
      break;
    default:
      STOCKADE_CHECK(false) << "capability mode's step " << i << " is of kind "
                            << static_cast<int>(step.kind);
  }
  // The root is made read-only after everything is bound into it.
  bool sealed = false;
  for (size_t j = i; j < plan.fs.size(); ++j) {
    const FsStep& attr = plan.fs[j];
    sealed |= attr.kind == FsStep::Kind::kSetAttr && attr.target == kCapabilityModeRoot &&
              (attr.flags & MOUNT_ATTR_RDONLY) && attr.recursive;
  }
  STOCKADE_CHECK(sealed) << "capability mode's root is left writable";
}

void CheckFilesystem(const policy::Policy& p, const SandboxPlan& plan) {
  const policy::Filesystem& fs = p.filesystem;
  const bool templated = fs.root.kind == policy::RootFs::Kind::kTemplate;
  const std::string root = templated ? std::string(kStaging) + "/root" : kStaging;
  std::set<std::string> sources = {"/dev/null",   "/dev/zero",    "/dev/full",
                                   "/dev/random", "/dev/urandom", "/dev/tty"};
  if (!fs.dev) sources.clear();
  for (const policy::Mount& m : fs.mounts) sources.insert(m.source);
  if (fs.root.kind == policy::RootFs::Kind::kDirectory) sources.insert(fs.root.path);
  std::set<std::string> tmpfs = {kStaging};
  for (const policy::Scratch& s : fs.scratch) tmpfs.insert(root + s.target);
  if (fs.dev) tmpfs.insert({root + "/dev", root + "/dev/shm"});

  size_t pivots = 0;
  for (size_t i = 0; i < plan.fs.size(); ++i) {
    const FsStep& step = plan.fs[i];
    if (pivots > 0 && step.origin.clause == "capability_mode") {
      CheckCapabilityModeRoot(p, plan, i);
      continue;
    }
    if (pivots > 0) {
      // After pivot_root only the read-only remount of a directory root.
      STOCKADE_CHECK(step.kind == FsStep::Kind::kSetAttr && step.target == "/" &&
                     fs.root.kind == policy::RootFs::Kind::kDirectory && fs.root.readonly &&
                     (step.flags & MOUNT_ATTR_RDONLY))
          << "step " << i << " after pivot_root";
      continue;
    }
    if (step.kind != FsStep::Kind::kMakePrivate) {
      STOCKADE_CHECK(Inside(step.target, kStaging))
          << "step " << i << " targets '" << step.target << "' outside the staging directory";
    }
    switch (step.kind) {
      case FsStep::Kind::kBind: {
        // The preopen library of a capability-mode program, bound read-only at its one place.
        const bool preload = step.origin.clause == "capability_mode";
        if (preload) {
          STOCKADE_CHECK(p.capability_mode && step.target == root + kPreload &&
                         plan.manifest.preload == kPreload &&
                         step.source.ends_with("/libstockade-preopen.so"))
              << "capability mode binds '" << step.source << "' at '" << step.target << "'";
        }
        STOCKADE_CHECK(preload || sources.count(step.source))
            << "'" << step.source << "' is bound into the sandbox but the policy names no such "
            << "mount";
        // Every bind is followed by its mount_setattr: nosuid, and read-only when any policy
        // mount of this source at this target is.
        bool readonly = preload;
        for (const policy::Mount& m : fs.mounts) {
          readonly |= m.source == step.source && root + m.target == step.target && m.readonly;
        }
        const bool root_bind = step.target == kStaging;
        bool found = root_bind;
        for (size_t j = i + 1; j < plan.fs.size() && !found; ++j) {
          const FsStep& attr = plan.fs[j];
          if (attr.kind != FsStep::Kind::kSetAttr || attr.target != step.target) continue;
          STOCKADE_CHECK(attr.flags & MOUNT_ATTR_NOSUID) << "'" << step.target << "' keeps suid";
          STOCKADE_CHECK(!readonly || (attr.flags & MOUNT_ATTR_RDONLY))
              << "'" << step.target << "' is writable; the policy mounts it read-only";
          found = true;
        }
        STOCKADE_CHECK(found) << "no mount_setattr after binding '" << step.target << "'";
        break;
      }
      case FsStep::Kind::kTmpfs:
        STOCKADE_CHECK(tmpfs.count(step.target))
            << "a tmpfs at '" << step.target << "' that the policy does not ask for";
        STOCKADE_CHECK(step.data.rfind("size=", 0) == 0) << "an uncapped tmpfs: " << step.data;
        STOCKADE_CHECK(step.flags & MS_NOSUID) << "a suid tmpfs at " << step.target;
        break;
      case FsStep::Kind::kOverlay:
        STOCKADE_CHECK(templated) << "an overlay without a template root";
        STOCKADE_CHECK(step.data.rfind("lowerdir=" + fs.root.path + ",", 0) == 0)
            << "an overlay over another directory: " << step.data;
        break;
      case FsStep::Kind::kProc:
        STOCKADE_CHECK(fs.proc && step.target == root + "/proc") << "a procfs at " << step.target;
        STOCKADE_CHECK((step.flags & MS_NOSUID) && (step.flags & MS_NOEXEC));
        break;
      case FsStep::Kind::kPivotRoot:
        STOCKADE_CHECK(step.target == root) << "pivot_root into " << step.target;
        ++pivots;
        break;
      case FsStep::Kind::kSetAttr:
        STOCKADE_CHECK(!(step.flags & ~uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC}))
            << "mount_setattr sets more than restrictions: " << step.flags;
        break;
      case FsStep::Kind::kMakePrivate:
      case FsStep::Kind::kMkdir:
      case FsStep::Kind::kTouch:
      case FsStep::Kind::kSymlink:
        break;
    }
  }
  STOCKADE_CHECK(pivots == 1) << pivots << " pivot_root steps";
  // Every mount of the policy is in the plan.
  for (const policy::Mount& m : fs.mounts) {
    bool bound = false;
    for (const FsStep& step : plan.fs) {
      bound |= step.kind == FsStep::Kind::kBind && step.source == m.source &&
               step.target == root + m.target;
    }
    STOCKADE_CHECK(bound) << "the mount of '" << m.source << "' is missing";
  }
}

void CheckSeccomp(const policy::Policy& p, const SandboxPlan& plan) {
  const policy::SyscallFilter& filter = p.syscalls[policy::Target::kLinux];
  if (filter.present) {
    STOCKADE_CHECK(plan.seccomp.enabled) << "a 'syscalls' clause without a filter";
    STOCKADE_CHECK(plan.seccomp.model.default_action == filter.default_action)
        << "the filter's default is not the policy's";
  }
  if (!plan.seccomp.enabled) return;
  auto denied = [&](const char* name, uint64_t arg0) {
    const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
    STOCKADE_CHECK(info);
    const uint64_t args[6] = {arg0, 0, 0, 0, 0, 0};
    const uint32_t action =
        linux_sim::DecideSeccomp(plan.seccomp.model, AUDIT_ARCH_X86_64, info->number, args) &
        SECCOMP_RET_ACTION_FULL;
    return action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG;
  };
  if (p.jail.children_max == 0) {
    STOCKADE_CHECK(denied("unshare", CLONE_NEWUSER)) << "children.max 0 allows unshare";
    STOCKADE_CHECK(denied("clone", CLONE_NEWNS | SIGCHLD)) << "children.max 0 allows clone";
    STOCKADE_CHECK(denied("setns", 0)) << "children.max 0 allows setns";
  }
  const std::pair<policy::JailSys, const char*> kinds[] = {
      {p.ipc.sysvshm, "shmget"}, {p.ipc.sysvmsg, "msgget"}, {p.ipc.sysvsem, "semget"}};
  for (const auto& [kind, call] : kinds) {
    if (kind == policy::JailSys::kDisable) {
      STOCKADE_CHECK(denied(call, 0)) << "a disabled SysV kind allows " << call;
    }
  }
}

void CheckLimits(const policy::Policy& p, const SandboxPlan& plan) {
  // The smallest stopping amount the policy gives each resource.
  auto amount = [&](std::string_view resource) -> std::optional<uint64_t> {
    std::optional<uint64_t> least;
    for (const policy::Limit& limit : p.limits) {
      if (limit.resource != resource) continue;
      if (limit.action != policy::LimitAction::kDeny &&
          limit.action != policy::LimitAction::kSignal) {
        continue;
      }
      least = std::min(least.value_or(UINT64_MAX), limit.amount);
    }
    return least;
  };
  for (const linux_sim::RlimitStep& r : plan.limits.rlimits) {
    STOCKADE_CHECK(r.soft <= r.hard) << "rlimit " << r.resource;
    if (r.origin.clause == "exec.core_dumps") {
      STOCKADE_CHECK(!p.exec.core_dumps && r.resource == RLIMIT_CORE && r.hard == 0);
      continue;
    }
    STOCKADE_CHECK(r.origin.clause.rfind("limits.", 0) == 0) << "rlimit from " << r.origin.clause;
    const std::optional<uint64_t> most = amount(r.origin.clause.substr(7));
    STOCKADE_CHECK(most && r.hard <= *most) << "rlimit " << r.resource << " looser than the policy";
  }
  const uint64_t tasks =
      std::min(amount("maxproc").value_or(UINT64_MAX), amount("nthr").value_or(UINT64_MAX));
  for (const linux_sim::CgroupSetting& c : plan.limits.cgroup) {
    STOCKADE_CHECK(c.origin.clause.rfind("limits.", 0) == 0) << "cgroup from " << c.origin.clause;
    if (c.file == "pids.max") {
      // One task more than the policy's amount: linux-sim's init is in the sandbox's cgroup.
      STOCKADE_CHECK(tasks != UINT64_MAX && std::stoull(c.value) <= tasks + 1)
          << "pids.max " << c.value << " without or above the policy's maxproc/nthr (plus init)";
      continue;
    }
    const std::optional<uint64_t> most = amount(c.origin.clause.substr(7));
    STOCKADE_CHECK(most) << c.file << " without a stopping limit";
    if (c.file == "memory.limit_in_bytes" || c.file == "memory.max") {
      STOCKADE_CHECK(std::stoull(c.value) <= *most) << c.file << " looser than the policy";
    }
  }
  const uint64_t timeout = p.exec.timeout_ms.value_or(UINT64_MAX);
  const std::optional<uint64_t> wall = amount("wallclock");
  const uint64_t clock = std::min(
      timeout, wall ? (*wall > UINT64_MAX / 1000 ? UINT64_MAX : *wall * 1000) : UINT64_MAX);
  if (plan.limits.wallclock_ms) {
    STOCKADE_CHECK(clock != UINT64_MAX) << "a clock the policy does not ask for";
    STOCKADE_CHECK(*plan.limits.wallclock_ms <= clock) << "the clock is looser than the policy";
  } else {
    STOCKADE_CHECK(clock == UINT64_MAX) << "exec.timeout or limits.wallclock is not planned";
  }
}

void CheckPlan(const policy::Policy& p, const SandboxPlan& plan, bool root,
               const std::vector<std::string>& command) {
  STOCKADE_CHECK(plan.name == p.name && plan.hostname == p.hostname);
  CheckFilesystem(p, plan);

  if (plan.uid != 0) {
    STOCKADE_CHECK(plan.caps.keep.empty() && !plan.caps.ambient)
        << "uid " << plan.uid << " keeps " << plan.caps.keep.size() << " capabilities";
  }
  const std::set<int> allowed = AllowedCapabilities(p);
  for (int cap : plan.caps.keep) {
    STOCKADE_CHECK(allowed.count(cap)) << "capability " << cap << " is kept; the policy does not "
                                       << "imply it";
  }

  const uint64_t always = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWCGROUP;
  STOCKADE_CHECK((plan.clone_flags & always) == always) << "a namespace is shared with the host";
  if (p.network.mode != policy::Network::Mode::kHost) {
    STOCKADE_CHECK(plan.clone_flags & CLONE_NEWNET) << "the host's network without asking";
    STOCKADE_CHECK(plan.network.mode != linux_sim::NetworkPlan::Mode::kHost);
  }
  if (!root) STOCKADE_CHECK((plan.clone_flags & CLONE_NEWUSER) && plan.userns.enabled);
  for (policy::JailSys kind : {p.ipc.sysvshm, p.ipc.sysvmsg, p.ipc.sysvsem}) {
    STOCKADE_CHECK(kind != policy::JailSys::kNew || (plan.clone_flags & CLONE_NEWIPC))
        << "a 'new' SysV kind shares the host's IPC namespace";
  }

  // SCM_RIGHTS: Unix sockets are sealed where the supervisor can make them in the sandbox's
  // network namespace (root) or shares the host's; Landlock's abstract-socket scope is dropped
  // only where they are, with a namespace of the sandbox's own to hold its abstract sockets.
  const linux_sim::CapsicumLayout& layout = plan.capsicum.layout;
  STOCKADE_CHECK(!layout.seal_unix_sockets || root || !(plan.clone_flags & CLONE_NEWNET))
      << "Unix sockets sealed where the supervisor cannot enter the network namespace";
  if (!(plan.landlock.scoped & 1 /* LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET */)) {
    STOCKADE_CHECK(layout.seal_unix_sockets && (plan.clone_flags & CLONE_NEWNET))
        << "the abstract-socket scope is gone without a reason";
  }

  CheckSeccomp(p, plan);
  CheckLimits(p, plan);

  const launch::Manifest& m = plan.manifest;
  STOCKADE_CHECK(m.argv == command && !m.argv.empty() && m.program == m.argv[0])
      << "the manifest runs another command";
  STOCKADE_CHECK(m.workdir == p.exec.workdir && m.user == p.exec.user && m.group == p.exec.group);
  STOCKADE_CHECK(m.env_clean == p.exec.env_clean && m.env_keep == p.exec.env_keep);
  std::vector<std::string> env;
  for (const policy::EnvVar& v : p.exec.env_set) env.push_back(v.name + "=" + v.value);
  // The preopen library bound in for capability mode passes mapped paths whole.
  if (m.preload == kPreload) env.push_back("STOCKADE_PREOPEN_LOOKUPS=capsicum");
  STOCKADE_CHECK(m.env_set == env) << "the manifest's environment is not the policy's";
  STOCKADE_CHECK(m.keep == std::vector<int>({0, 1, 2}));
}

}  // namespace
}  // namespace stockade::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stockade;
  const auto input = fuzz::CheckInput(data, size);
  if (!input->policy) return 0;
  const policy::Policy& p = *input->policy;
  for (bool root : {true, false}) {
    const linux_sim::HostFacts host = fuzz::Host(root);
    const enforce::Assessment assessment = linux_sim::Assess(p, host);
    policy::Diagnostics refusals;
    (void)enforce::CheckEnforceable(assessment, p, /*strict=*/false, refusals);
    STOCKADE_CHECK(!refusals.has_errors() || assessment.clauses.size() > 0);
    linux_sim::PlanOptions options;
    options.staging = fuzz::kStaging;
    // Without exec.command, 'run' takes the program after '--'.
    if (p.exec.command.empty()) options.command = {"/bin/true", "fuzz"};
    Expected<linux_sim::SandboxPlan> plan =
        linux_sim::PlanSandbox(p, input->sources, host, options);
    if (!plan) continue;  // refused (a missing mount source or user, vnet, a filter too large)
    fuzz::CheckPlan(p, *plan, root, options.command.empty() ? p.exec.command : options.command);
  }
  return 0;
}
