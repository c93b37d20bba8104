// SPDX-License-Identifier: BSD-2-Clause
// Policy IR -> SandboxPlan, and the fidelity of every clause on this host.

#include "stockade/linux_sim/planner.h"

#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "child.h"
#include "landlock_abi.h"
#include "mappings.h"
#include "network.h"
#include "stockade/enforce/manifest_builder.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/clauses.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim {
namespace {

using enforce::ClauseFidelity;
using enforce::Fidelity;

std::string Located(const policy::SourceSet& sources, const Origin& origin) {
  return origin.clause + " (" + Where(sources, origin) + ")";
}

// Builds the filesystem steps: the new root under `staging`, then everything the policy adds
// to it, then pivot_root.
class FsPlanner {
 public:
  FsPlanner(const policy::Policy& policy, const policy::SourceSet& sources, std::string staging,
            uid_t uid, gid_t gid, bool userns)
      : policy_(policy),
        sources_(sources),
        staging_(std::move(staging)),
        uid_(uid),
        gid_(gid),
        userns_(userns) {}

  Expected<std::vector<FsStep>> Build() {
    const policy::Filesystem& fs = policy_.filesystem;
    const Origin root_origin{"filesystem.root", fs.root.span};
    Add(FsStep::Kind::kMakePrivate, "", "", "", 0, root_origin);
    switch (fs.root.kind) {
      case policy::RootFs::Kind::kEmpty: {
        const uint64_t size = fs.root.size_bytes ? fs.root.size_bytes : (1u << 20);
        Add(FsStep::Kind::kTmpfs, "", staging_, "size=" + std::to_string(size) + ",mode=0755",
            MS_NOSUID | MS_NODEV, root_origin);
        root_ = staging_;
        break;
      }
      case policy::RootFs::Kind::kDirectory:
        STOCKADE_RETURN_IF_ERROR(RequireDirectory(fs.root.path, root_origin));
        Add(FsStep::Kind::kBind, fs.root.path, staging_, "", 0, root_origin);
        root_ = staging_;
        break;
      case policy::RootFs::Kind::kTemplate: {
        STOCKADE_RETURN_IF_ERROR(RequireDirectory(fs.root.path, root_origin));
        if (fs.root.path.find_first_of(",:\\") != std::string::npos) {
          return Error(ErrorCode::kInvalidArgument,
                       Located(sources_, root_origin) +
                           ": an overlay lower directory may not contain ',', ':' or '\\'");
        }
        // The writable layer lives on a size-capped tmpfs: the clone costs nothing up front and
        // vanishes with the sandbox (the analogue of a ZFS clone).
        const uint64_t size = fs.root.size_bytes ? fs.root.size_bytes : (256u << 20);
        Add(FsStep::Kind::kTmpfs, "", staging_, "size=" + std::to_string(size) + ",mode=0755",
            MS_NOSUID | MS_NODEV, root_origin);
        Add(FsStep::Kind::kMkdir, "", staging_ + "/upper", "", 0, root_origin);
        Add(FsStep::Kind::kMkdir, "", staging_ + "/work", "", 0, root_origin);
        Add(FsStep::Kind::kMkdir, "", staging_ + "/root", "", 0, root_origin);
        std::string options = "lowerdir=" + fs.root.path + ",upperdir=" + staging_ +
                              "/upper,workdir=" + staging_ + "/work";
        // In a user namespace, overlayfs keeps its metadata in user.* extended attributes.
        if (userns_) options += ",userxattr";
        Add(FsStep::Kind::kOverlay, "", staging_ + "/root", options, MS_NOSUID | MS_NODEV,
            root_origin);
        root_ = staging_ + "/root";
        break;
      }
    }

    for (const policy::Mount& mount : fs.mounts) {
      const Origin origin{"filesystem.mounts", mount.span};
      struct stat st {};
      if (stat(mount.source.c_str(), &st) != 0) {
        return Error::FromErrno(Located(sources_, origin) + ": mount source '" + mount.source + "'",
                                errno);
      }
      MakeParents(mount.target, origin);
      Add(S_ISDIR(st.st_mode) ? FsStep::Kind::kMkdir : FsStep::Kind::kTouch, "",
          root_ + mount.target, "", 0, origin);
      Add(FsStep::Kind::kBind, mount.source, root_ + mount.target, "", 0, origin);
      FsStep& attr = Add(
          FsStep::Kind::kSetAttr, "", root_ + mount.target, "",
          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (mount.readonly ? MOUNT_ATTR_RDONLY : 0), origin);
      attr.recursive = true;
    }
    for (const policy::Scratch& scratch : fs.scratch) {
      const Origin origin{"filesystem.scratch", scratch.span};
      MakeParents(scratch.target, origin);
      Add(FsStep::Kind::kMkdir, "", root_ + scratch.target, "", 0, origin);
      // /tmp and /var/tmp belong to root, sticky and world-writable, as on any host. In a user
      // namespace only the program's own ids are mapped (tmpfs refuses an unmapped uid= with
      // EINVAL), so there they belong to the program.
      const bool world = scratch.target == "/tmp" || scratch.target == "/var/tmp";
      const bool root_owned = world && !userns_;
      Add(FsStep::Kind::kTmpfs, "", root_ + scratch.target,
          "size=" + std::to_string(scratch.size_bytes) + (world ? ",mode=1777" : ",mode=0755") +
              ",uid=" + std::to_string(root_owned ? 0 : uid_) +
              ",gid=" + std::to_string(root_owned ? 0 : gid_),
          MS_NOSUID | MS_NODEV, origin);
    }
    for (const policy::Symlink& link : fs.symlinks) {
      const Origin origin{"filesystem.symlinks", link.span};
      MakeParents(link.path, origin);
      Add(FsStep::Kind::kSymlink, link.target, root_ + link.path, "", 0, origin);
    }
    if (fs.dev) AddDev();
    if (fs.proc) {
      const Origin origin{"filesystem.proc", fs.span};
      Add(FsStep::Kind::kMkdir, "", root_ + "/proc", "", 0, origin);
      Add(FsStep::Kind::kProc, "", root_ + "/proc", "", MS_NOSUID | MS_NODEV | MS_NOEXEC, origin);
    }
    Add(FsStep::Kind::kPivotRoot, "", root_, "", 0, root_origin);
    if (fs.root.kind == policy::RootFs::Kind::kDirectory && fs.root.readonly) {
      FsStep& attr = Add(FsStep::Kind::kSetAttr, "", "/", "",
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, root_origin);
      attr.recursive = false;  // the root only: scratch space below it stays writable
    }
    return std::move(steps_);
  }

 private:
  FsStep& Add(FsStep::Kind kind, std::string source, std::string target, std::string data,
              uint64_t flags, Origin origin) {
    FsStep step;
    step.kind = kind;
    step.source = std::move(source);
    step.target = std::move(target);
    step.data = std::move(data);
    step.flags = flags;
    step.origin = std::move(origin);
    steps_.push_back(std::move(step));
    return steps_.back();
  }

  Status RequireDirectory(const std::string& path, const Origin& origin) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      return Error::FromErrno(Located(sources_, origin) + ": '" + path + "'", errno);
    }
    if (!S_ISDIR(st.st_mode)) {
      return Error(ErrorCode::kInvalidArgument,
                   Located(sources_, origin) + ": '" + path + "' is not a directory");
    }
    return {};
  }

  // mkdir for every missing parent of `path` inside the new root.
  void MakeParents(const std::string& path, const Origin& origin) {
    size_t slash = path.find('/', 1);
    while (slash != std::string::npos) {
      const std::string parent = path.substr(0, slash);
      bool known = false;
      for (const std::string& made : made_) known = known || made == parent;
      if (!known) {
        Add(FsStep::Kind::kMkdir, "", root_ + parent, "", 0, origin);
        made_.push_back(parent);
      }
      slash = path.find('/', slash + 1);
    }
  }

  // A minimal /dev: a small tmpfs with the six harmless device nodes bound from the host,
  // the /dev/fd links, and a capped /dev/shm for POSIX shared memory and semaphores.
  void AddDev() {
    const Origin origin{"filesystem.dev", policy_.filesystem.span};
    const std::string dev = root_ + "/dev";
    Add(FsStep::Kind::kMkdir, "", dev, "", 0, origin);
    Add(FsStep::Kind::kTmpfs, "", dev, "size=64k,mode=0755", MS_NOSUID | MS_NOEXEC, origin);
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
      Add(FsStep::Kind::kTouch, "", dev + "/" + node, "", 0, origin);
      Add(FsStep::Kind::kBind, std::string("/dev/") + node, dev + "/" + node, "", 0, origin);
      FsStep& attr = Add(FsStep::Kind::kSetAttr, "", dev + "/" + node, "",
                         MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, origin);
      attr.recursive = false;
    }
    Add(FsStep::Kind::kSymlink, "/proc/self/fd", dev + "/fd", "", 0, origin);
    Add(FsStep::Kind::kSymlink, "/proc/self/fd/0", dev + "/stdin", "", 0, origin);
    Add(FsStep::Kind::kSymlink, "/proc/self/fd/1", dev + "/stdout", "", 0, origin);
    Add(FsStep::Kind::kSymlink, "/proc/self/fd/2", dev + "/stderr", "", 0, origin);
    Add(FsStep::Kind::kMkdir, "", dev + "/shm", "", 0, origin);
    Add(FsStep::Kind::kTmpfs, "", dev + "/shm", "size=64m,mode=1777",
        MS_NOSUID | MS_NODEV | MS_NOEXEC, origin);
  }

  const policy::Policy& policy_;
  const policy::SourceSet& sources_;
  std::string staging_;
  uid_t uid_;
  gid_t gid_;
  bool userns_;
  std::string root_;
  std::vector<std::string> made_;
  std::vector<FsStep> steps_;
};

}  // namespace

namespace detail {

// Linux has one IPC namespace for the three SysV kinds. A private one when any kind asks for
// 'new' (failing closed: 'inherit' then gets the private one too), or when none asks for the
// host's; 'disable' itself is enforced by the syscall filter either way.
bool OwnIpcNamespace(const policy::Ipc& ipc) {
  const policy::JailSys kinds[] = {ipc.sysvshm, ipc.sysvmsg, ipc.sysvsem};
  bool any_new = false, any_inherit = false;
  for (policy::JailSys kind : kinds) {
    any_new = any_new || kind == policy::JailSys::kNew;
    any_inherit = any_inherit || kind == policy::JailSys::kInherit;
  }
  return any_new || !any_inherit;
}

}  // namespace detail

std::string DefaultStaging(const HostFacts& host) {
  if (host.root) return "/run/stockade/root";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime == '/') {
    return std::string(runtime) + "/stockade/root";
  }
  return "/tmp/stockade-" + std::to_string(getuid()) + "/root";
}

Expected<SandboxPlan> PlanSandbox(const policy::Policy& policy, const policy::SourceSet& sources,
                                  const HostFacts& host, const PlanOptions& options) {
  SandboxPlan plan;
  plan.name = policy.name;
  plan.hostname = policy.hostname;
  plan.staging = options.staging.empty() ? DefaultStaging(host) : options.staging;

  detail::SimPlatform resolver(nullptr, -1);
  STOCKADE_ASSIGN_OR_RETURN(launch::Identity identity,
                            resolver.ResolveIdentity(policy.exec.user, policy.exec.group));
  plan.uid = identity.uid;
  plan.gid = identity.gid;

  plan.clone_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWCGROUP;
  if (detail::OwnIpcNamespace(policy.ipc)) plan.clone_flags |= CLONE_NEWIPC;
  if (policy.network.mode != policy::Network::Mode::kHost) plan.clone_flags |= CLONE_NEWNET;
  if (!host.root) {
    plan.clone_flags |= CLONE_NEWUSER;
    plan.userns = {true, identity.uid, identity.gid, getuid(), getgid()};
  }

  STOCKADE_ASSIGN_OR_RETURN(
      plan.fs,
      FsPlanner(policy, sources, plan.staging, identity.uid, identity.gid, !host.root).Build());
  plan.caps = detail::PlanCapabilities(policy, identity.uid);
  STOCKADE_ASSIGN_OR_RETURN(
      detail::MacPlan mac,
      detail::PlanMac(policy, host,
                      detail::MacSubjectFor(identity.uid, identity.gid, plan.caps, !host.root)));
  for (const std::string& clause : mac.unenforced) {
    // Assess reported it as not enforced; only an acceptance lets the run go on without it.
    if (!enforce::Covers(enforce::FindAcceptance(policy, clause, enforce::BackendFamily::kLinux),
                         Fidelity::kNotEnforced)) {
      const policy::SourceSpan span = clause == "mac.portacl" ? policy.mac.portacl.front().span
                                                              : policy.mac.bsdextended.front().span;
      return Error(ErrorCode::kUnsupported,
                   Located(sources, {clause, span}) + ": this kernel's Landlock cannot enforce it");
    }
  }
  plan.landlock = std::move(mac.landlock);
  STOCKADE_ASSIGN_OR_RETURN(plan.limits, detail::PlanLimits(policy, host));
  for (RlimitStep& step : plan.limits.rlimits) step.where = Where(sources, step.origin);
  for (CgroupSetting& setting : plan.limits.cgroup) setting.where = Where(sources, setting.origin);
  plan.limits.wallclock_where = Where(sources, plan.limits.wallclock_origin);
  plan.core_dumps = policy.exec.core_dumps;

  STOCKADE_ASSIGN_OR_RETURN(plan.network, detail::PlanNetwork(policy, sources, host, plan.caps));

  if (host.seccomp_filter) {
    SeccompOptions seccomp_options;
    seccomp_options.notify_kills = host.seccomp_user_notif;
    STOCKADE_ASSIGN_OR_RETURN(plan.seccomp,
                              CompileSeccomp(BuildFilterModel(policy), sources, seccomp_options));
  } else if (policy.syscalls[policy::Target::kLinux].present) {
    return Error(ErrorCode::kUnsupported, "this kernel has no seccomp filters");
  }

  enforce::ManifestOptions manifest_options;
  manifest_options.command = options.command;
  STOCKADE_ASSIGN_OR_RETURN(
      plan.manifest, enforce::BuildManifest(policy, policy::Target::kLinux, manifest_options));
  // Descriptor rights and capability mode (docs/capsicum-linux.md).
  STOCKADE_RETURN_IF_ERROR(detail::PlanCapsicum(policy, host, plan));
  return plan;
}

enforce::Assessment Assess(const policy::Policy& policy, const HostFacts& host) {
  enforce::Assessment a;
  a.family = enforce::BackendFamily::kLinux;
  a.backend = "linux-sim";
  a.host_facts = host.Describe();
  std::vector<ClauseFidelity>& out = a.clauses;
  auto add = [&](std::string clause, policy::SourceSpan span, Fidelity fidelity, std::string how) {
    out.push_back({std::move(clause), span, fidelity, std::move(how)});
  };
  const bool userns = !host.root;
  // The MAC rules are evaluated for the program's identity, as PlanSandbox does.
  detail::MacPlan mac;
  std::string mac_problem;
  {
    detail::SimPlatform resolver(nullptr, -1);
    auto identity = resolver.ResolveIdentity(policy.exec.user, policy.exec.group);
    auto planned =
        identity ? detail::PlanMac(policy, host,
                                   detail::MacSubjectFor(
                                       identity->uid, identity->gid,
                                       detail::PlanCapabilities(policy, identity->uid), userns))
                 : Expected<detail::MacPlan>(identity.error());
    if (planned) {
      mac = std::move(*planned);
    } else {
      mac_problem = planned.error().message();
    }
  }
  for (const policy::ClauseRef& clause : policy::ClausesOf(policy)) {
    const std::string& id = clause.id;
    const policy::SourceSpan span = clause.span;
    if (id == "hostname") {
      add(id, span, Fidelity::kExact, "a UTS namespace with this hostname");
    } else if (id == "exec.user") {
      if (userns) {
        add(id, span, Fidelity::kApproximated,
            "not root: a user namespace maps the program's uid and gid to the caller's; files it "
            "creates on writable host mounts belong to the caller, and the caller's "
            "supplementary groups stay in force (setgroups is denied in the namespace)");
      } else {
        add(id, span, Fidelity::kExact, "setresuid/setresgid, supplementary groups cleared");
      }
    } else if (id == "exec.env") {
      add(id, span, Fidelity::kExact,
          "the launcher builds the environment from nothing, the kept names and the set values");
    } else if (id == "exec.workdir" || id == "exec.core_dumps") {
      add(id, span, Fidelity::kExact,
          id == "exec.workdir" ? "chdir(2) before exec" : "RLIMIT_CORE");
    } else if (id == "syscalls") {
      if (!host.seccomp_filter) {
        add(id, span, Fidelity::kNotEnforced, "this kernel has no seccomp filters");
      } else {
        const FilterModel model = BuildFilterModel(policy);
        const bool needs_notify = model.default_action.kind == policy::ActionKind::kKillProcess ||
                                  !model.supervised.empty();
        if (needs_notify && !host.seccomp_user_notif) {
          add(id, span, Fidelity::kNotEnforced,
              "'kill' and mixed actions need seccomp user notification, which this kernel lacks");
        } else {
          add(id, span, Fidelity::kExact,
              "seccomp filters built with libseccomp (native x86_64 only; x32 and i386 calls are "
              "killed; numbers above libseccomp's table take the default deny)" +
                  std::string(model.supervised.empty()
                                  ? ""
                                  : "; " + std::to_string(model.supervised.size()) +
                                        " syscalls with mixed actions are decided by the "
                                        "supervisor through user notification"));
        }
      }
    } else if (id == "descriptors" || id == "capability_mode") {
      out.push_back(detail::AssessCapsicum(id, span, policy, host));
    } else if (id == "sysvshm" || id == "sysvmsg" || id == "sysvsem") {
      const policy::JailSys value = id == "sysvshm"   ? policy.ipc.sysvshm
                                    : id == "sysvmsg" ? policy.ipc.sysvmsg
                                                      : policy.ipc.sysvsem;
      if (value == policy::JailSys::kDisable) {
        add(id, span, Fidelity::kExact,
            "the seccomp filter fails the calls with ENOSYS, as FreeBSD");
      } else if (value == policy::JailSys::kNew) {
        add(id, span, Fidelity::kApproximated,
            "a new IPC namespace: private keys, but unlike FreeBSD the host cannot see the "
            "objects either, and POSIX message queues are private too");
      } else if (detail::OwnIpcNamespace(policy.ipc)) {
        add(id, span, Fidelity::kApproximated,
            "Linux has one IPC namespace for all three kinds: another kind asks for 'new', so "
            "this one is private too instead of the host's");
      } else {
        add(id, span, Fidelity::kExact, "the host's IPC namespace is shared");
      }
    } else if (id == "securelevel" || id.rfind("allow.", 0) == 0) {
      // Reported below, from the privilege table.
    } else if (id == "enforce_statfs") {
      add(id, span, policy.jail.enforce_statfs == 1 ? Fidelity::kExact : Fidelity::kApproximated,
          "the mount namespace lists the sandbox's own mounts, with paths from its root (as "
          "enforce_statfs=1 does)");
    } else if (id == "children.max") {
      if (policy.jail.children_max == 0) {
        add(id, span, Fidelity::kExact,
            "the seccomp filter refuses namespace flags of clone and unshare, setns, and clone3 "
            "(ENOSYS, so libc falls back to clone)");
      } else {
        add(id, span, Fidelity::kApproximated,
            "nested sandboxes are allowed but their number is not counted");
      }
    } else if (id == "devfs_ruleset") {
      add(id, span, Fidelity::kApproximated,
          "linux-sim's /dev is always the minimal set (null zero full random urandom tty)");
    } else if (id == "filesystem.root") {
      const char* how =
          policy.filesystem.root.kind == policy::RootFs::Kind::kTemplate
              ? "overlayfs over the template, its upper layer on a size-capped tmpfs, "
                "thrown away after the run; pivot_root into it"
          : policy.filesystem.root.kind == policy::RootFs::Kind::kDirectory
              ? "a bind mount of the directory; pivot_root into it"
              : "a size-capped tmpfs; pivot_root into it";
      add(id, span, Fidelity::kExact, how);
    } else if (id == "filesystem.mounts") {
      add(id, span, Fidelity::kExact,
          "recursive bind mounts, read-only (mount_setattr AT_RECURSIVE), nosuid, nodev");
    } else if (id == "filesystem.scratch") {
      add(id, span, Fidelity::kExact, "tmpfs with size=, nosuid, nodev");
    } else if (id == "filesystem.symlinks" || id == "filesystem.proc" || id == "filesystem.dev") {
      add(id, span, Fidelity::kExact,
          id == "filesystem.proc"  ? "a procfs of the sandbox's PID namespace"
          : id == "filesystem.dev" ? "a tmpfs with bind mounts of the six device nodes"
                                   : "created in the new root");
    } else if (id == "network" && policy.network.mode == policy::Network::Mode::kHost) {
      if (detail::LandlockScopes(host) & landlock::kScopeAbstractUnixSocket) {
        add(id, span, Fidelity::kExact,
            "the host's network namespace is shared; Landlock scoping keeps the host's "
            "abstract UNIX sockets out of reach, as a jail's view of the host's sockets is "
            "its file system");
      } else {
        add(id, span, Fidelity::kApproximated,
            "the host's network namespace is shared, and with it the host's abstract UNIX "
            "sockets (Landlock scoping, which would close them, needs ABI 6)");
      }
    } else if (id == "network" || id == "network.egress") {
      out.push_back(detail::AssessNetwork(id, span, policy, host));
    } else if (id == "mac.bsdextended" || id == "mac.portacl") {
      if (!mac_problem.empty()) {
        add(id, span, Fidelity::kNotEnforced, "cannot be planned on this host: " + mac_problem);
      }
      for (const ClauseFidelity& entry : mac.fidelity) {
        if (entry.clause == id) out.push_back(entry);
      }
    } else if (id.rfind("limits.", 0) == 0 || id == "exec.timeout") {
      // Reported below, from the limits table.
    } else {
      // Only pass-through jail parameters (osrelease, host.hostuuid, ...) are left; a clause id
      // of the language without an entry above is a bug in this table, not a policy problem.
      STOCKADE_CHECK(policy::FindJailParam(id) != nullptr)
          << "linux-sim has no fidelity entry for clause '" << id << "'";
      add(id, span, Fidelity::kNotEnforced, "a FreeBSD jail parameter without Linux counterpart");
    }
  }
  detail::AssessPrivileges(policy, out);
  detail::AssessLimits(policy, host, out);
  return a;
}

}  // namespace stockade::linux_sim
