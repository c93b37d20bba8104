// SPDX-License-Identifier: BSD-2-Clause
// The sandbox plan: everything linux-sim will do for one run, computed in the parent from the
// checked policy and the host facts, before any process is created. The child only executes it:
// every path, string and BPF instruction is already here, so the child neither allocates nor
// decides.

#ifndef STOCKADE_LINUX_SIM_PLAN_H_
#define STOCKADE_LINUX_SIM_PLAN_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stockade/launch/manifest.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/policy/ir.h"

namespace stockade::linux_sim {

// Where a step comes from, for error reports: "filesystem.mounts (policy.yaml:31:7)".
struct Origin {
  std::string clause;
  policy::SourceSpan span;
};

// One filesystem operation of the child, in order. Paths are as the child sees them before
// pivot_root: the new root is assembled under the staging directory.
struct FsStep {
  enum class Kind : uint8_t {
    kMakePrivate,  // mount(NULL, "/", NULL, MS_REC | MS_PRIVATE): nothing propagates to the host
    kTmpfs,        // mount("tmpfs", target, "tmpfs", flags, data)
    kBind,         // mount(source, target, NULL, MS_BIND | MS_REC)
    kSetAttr,      // mount_setattr(target, AT_RECURSIVE, {attr_set = flags}): read-only etc.
    kOverlay,      // mount("overlay", target, "overlay", flags, data)
    kProc,         // mount("proc", target, "proc", flags, data)
    kMkdir,        // mkdir(target, mode); an existing directory is fine
    kTouch,        // create an empty regular file (a bind target for a device node)
    kSymlink,      // symlink(source, target)
    kPivotRoot,    // pivot_root into target; the old root is detached
  };
  Kind kind = Kind::kMkdir;
  std::string source;
  std::string target;
  std::string data;
  uint64_t flags = 0;
  uint32_t mode = 0755;
  bool recursive = true;  // kSetAttr: also every mount beneath the target
  bool optional = false;  // kBind: a source that does not exist (ENOENT) is skipped
  Origin origin;
};

// A capability set, as numbers (linux/capability.h), applied with libcap-ng.
struct CapsPlan {
  std::vector<int> keep;  // kept in the bounding, permitted, effective and inheritable sets
  bool ambient = false;   // also raise them as ambient (a non-root program keeps them)
  std::vector<std::string> reasons;  // one line per kept capability, for explain and docs
};

// One Landlock path-beneath rule. Applied after pivot_root, as the program's user: a path that
// cannot be opened then grants nothing, which only narrows what the program may do. On a path
// that is not a directory only the file rights of `access` apply.
struct LandlockFsRule {
  std::string path;  // inside the sandbox (after pivot_root)
  uint64_t access = 0;
  // When set, the rule is not added to `path` itself but to every entry directly beneath it
  // (read with getdents64 when the rule is applied), except symbolic links and the names in
  // `except`: the way to grant a directory's contents more than the directory itself.
  bool children = false;
  std::vector<std::string> except;
  Origin origin;
};

// Landlock network rules for a range of ports, all with the same rights.
struct LandlockNetRule {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive
  uint64_t access = 0;
};

struct LandlockPlan {
  bool enabled = false;
  int abi = 0;  // the ABI the rules were computed for
  uint64_t handled_fs = 0;
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
  std::vector<LandlockFsRule> fs_rules;
  std::vector<LandlockNetRule> net_rules;
  // mac.portacl: when >= 0, the init writes it to net.ipv4.ip_unprivileged_port_start of the
  // sandbox's own network namespace, so that the ports Landlock allows below 1024 can be bound
  // without a capability.
  int port_floor = -1;

  // Whether the rules restrict file system access: lookups the Capsicum supervisor performs
  // for the program would then have to be made in the same Landlock domain. Scopes (signals,
  // abstract UNIX sockets) and network rules do not concern its lookups.
  bool restricts_files() const { return enabled && handled_fs != 0; }
};

// A syscall rule as the filters and the supervisor apply it (see seccomp.h).
struct FilterRule {
  int number = -1;
  std::string name;
  policy::Action action;
  std::vector<policy::ArgCondition> conditions;  // all must hold; empty: always
  Origin origin;      // the policy clause, or the linux-sim rule ("children.max", "sysvshm")
  std::string where;  // "policy.yaml:31:7", filled when compiled
};

// The syscall decision for Linux: the first matching deny rule's action, else allow when an
// allow rule matches, else the default. The policy's rules and linux-sim's own are merged and
// normalised per syscall.
struct FilterModel {
  policy::Action default_action;
  Origin default_origin;
  std::string default_where;
  std::vector<FilterRule> deny;
  std::vector<FilterRule> allow;
  bool exec_once = false;         // the launcher's own exec passes once, later ones are decided
  policy::Action unknown_action;  // numbers above libseccomp's table
  // Syscalls the kernel filters cannot decide on their own without mixing actions for one
  // syscall (libseccomp has no defined semantics for that): explicit 'kill' denies, several
  // deny actions, execve/execveat under exec_once, and the combinations of conditional rules
  // libseccomp 2.5.4 merges wrongly (one testing several arguments, or policy rules comparing
  // by order; seccomp.cc). Their calls go to the supervisor, which applies this model to the
  // registers the notification carries.
  std::vector<int> supervised;
};

struct SeccompPlan {
  bool enabled = false;
  // Installed in order: the allow filter (with the user-notification listener when
  // `listener`), then the deny filter. The kernel applies the most restrictive result.
  std::vector<std::vector<sock_filter>> programs;
  bool listener = false;
  FilterModel model;  // the supervisor's decision table (strings only, no parsed policy)
};

struct RlimitStep {
  int resource = 0;  // RLIMIT_*
  uint64_t soft = 0;
  uint64_t hard = 0;
  Origin origin;
  std::string where;  // "policy.yaml:31:7", filled by PlanSandbox
};

struct CgroupSetting {
  std::string controller;  // "memory", "pids", "cpu"
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  Origin origin;
  std::string where;  // "policy.yaml:31:7", filled by PlanSandbox
};

struct LimitsPlan {
  std::vector<RlimitStep> rlimits;
  std::vector<CgroupSetting> cgroup;
  std::vector<std::pair<std::string, std::string>> ipc_sysctls;  // /proc/sys/kernel/shmmax...
  std::optional<uint64_t> wallclock_ms;  // the supervisor kills the sandbox after it
  Origin wallclock_origin;
  std::string wallclock_where;
};

// The sandbox's network (docs/linux-sim.md, "Network"). kLoopbackOnly and kVeth both give the
// sandbox its own network namespace; kVeth adds a veth pair that the supervisor creates and
// configures from outside before the program starts, and the egress rules.
struct NetworkPlan {
  enum class Mode : uint8_t { kHost, kLoopbackOnly, kVeth };
  Mode mode = Mode::kLoopbackOnly;
  // kVeth only. The host end's name is unique per run and recognisable: "stk", the
  // supervisor's pid in 7 hex digits, 4 random hex digits (14 bytes, IFNAMSIZ is 16).
  std::string host_interface;
  std::string sandbox_interface;        // "eth0": the sandbox's namespace has no other link
  std::vector<policy::Cidr> addresses;  // the sandbox's end, in the policy's order
  // The host's end: the gateway with the prefix length of the sandbox's first address of its
  // family (as FreeBSD's epair gets it), and the sandbox's default route via it.
  std::optional<policy::Cidr> gateway;
  std::vector<policy::EgressRule> egress;  // empty: nothing leaves the sandbox
  std::string nft_ruleset;                 // the egress rules as nft(8) lists them (nftables.h)
  Origin origin;                           // the network clause
  std::string where;  // "network (policy.yaml:12:3)", naming the clause in setup errors
};

struct UserNamespacePlan {
  bool enabled = false;  // unprivileged mode: a user namespace maps the caller's ids
  uid_t inside_uid = 0;
  gid_t inside_gid = 0;
  uid_t outside_uid = 0;
  gid_t outside_gid = 0;
};

struct SandboxPlan {
  std::string name;  // the policy's name
  std::string hostname;
  uint64_t clone_flags = 0;  // CLONE_NEW*
  UserNamespacePlan userns;
  std::string staging;  // mount point of the new root inside the child's mount namespace
  std::vector<FsStep> fs;
  CapsPlan caps;
  LandlockPlan landlock;
  SeccompPlan seccomp;
  LimitsPlan limits;
  NetworkPlan network;
  CapsicumPlan capsicum;  // descriptor rights and capability mode (docs/capsicum-linux.md)
  launch::Manifest manifest;
  uid_t uid = 65534;  // the program's identity, resolved on the host
  gid_t gid = 65534;
  bool core_dumps = false;
};

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_PLAN_H_
