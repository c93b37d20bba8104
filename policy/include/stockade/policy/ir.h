// SPDX-License-Identifier: BSD-2-Clause
// The Policy IR: a checked policy, every name resolved, every value typed, every clause
// carrying the span of the text that produced it. Backend-neutral: it says what is granted,
// never how an OS enforces it. Immutable once Check() returns it.

#ifndef STOCKADE_POLICY_IR_H_
#define STOCKADE_POLICY_IR_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stockade/base/rights.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

// The systems one policy describes. Linux means x86_64 with libseccomp's names; FreeBSD means
// amd64 with the names of sys/kern/syscalls.master (the newest supported release).
enum class Target : uint8_t { kLinux = 0, kFreeBsd = 1 };
inline constexpr size_t kTargetCount = 2;
inline constexpr std::array<Target, kTargetCount> kAllTargets = {Target::kLinux, Target::kFreeBsd};
std::string_view TargetName(Target target);  // "linux", "freebsd"

// One value per target, indexed by static_cast<size_t>(Target).
template <typename T>
struct PerTarget {
  std::array<T, kTargetCount> values{};
  T& operator[](Target target) { return values[static_cast<size_t>(target)]; }
  const T& operator[](Target target) const { return values[static_cast<size_t>(target)]; }
};

// ---- syscalls ---------------------------------------------------------------------------

enum class ActionKind : uint8_t {
  kAllow,
  kKillProcess,  // "kill": the whole process is killed (SECCOMP_RET_KILL_PROCESS)
  kErrno,        // the call fails with an errno and has no effect
  kTrap,         // SIGSYS is delivered to the thread
  kLog,          // allowed, and logged by the kernel
};

struct Action {
  ActionKind kind = ActionKind::kKillProcess;
  std::string errno_name;      // kErrno only: "EPERM"
  PerTarget<int> errno_value;  // kErrno only: its value on each target
  SourceSpan span;             // where the action was written; invalid for a default
  bool operator==(const Action& other) const {
    return kind == other.kind && errno_name == other.errno_name;
  }
};

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kMaskedEq };
std::string_view CmpOpSpelling(CmpOp op);  // "==", "!=", ..., "&" for masked equality

// A comparison on one of the six syscall arguments, with constants already resolved for the
// rule's target. kMaskedEq means (arg & mask) == value. Comparisons are unsigned 64-bit, as in
// seccomp; a negative literal is its two's-complement value.
struct ArgCondition {
  uint8_t arg = 0;  // 0..5
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;
  uint64_t mask = 0;  // kMaskedEq only
  std::string text;   // as written: "arg2 & O_ACCMODE == O_RDONLY"
  SourceSpan span;
};

struct SyscallRule {
  std::string name;  // the target's own name ("newfstatat" on Linux, "fstatat" on FreeBSD)
  int number = -1;   // the target's syscall number
  Action action;     // kAllow for allow-list rules
  std::vector<ArgCondition> conditions;  // all must hold; empty means unconditionally
  std::string group;       // "@file-system" when the rule came from a group, else empty
  bool justified = false;  // carries a 'justification:'
  SourceSpan span;         // the list entry that produced it
};

// How a syscall is decided, on one target: the first deny rule whose conditions hold gives its
// action; otherwise an allow rule whose conditions hold allows; otherwise default_action.
struct SyscallFilter {
  bool present = false;  // the policy has a 'syscalls' clause for this target
  Action default_action;
  std::vector<SyscallRule> allow;  // sorted by syscall name, then source order
  std::vector<SyscallRule> deny;
  SourceSpan span;  // the 'syscalls' key
};

// ---- exec --------------------------------------------------------------------------------

struct EnvVar {
  std::string name;
  std::string value;
  SourceSpan span;
};

struct Exec {
  std::string user = "nobody";  // a name, or a decimal uid; resolved on the host at launch
  std::string group;            // empty: the user's primary group
  SourceSpan user_span;
  SourceSpan group_span;
  bool user_justified = false;  // running as uid 0 carries a justification
  std::string workdir = "/";
  SourceSpan workdir_span;
  bool env_clean = true;  // start from an empty environment (exec.clean)
  SourceSpan env_clean_span;
  SourceSpan env_span;  // the 'env' mapping; invalid when the policy does not write one
  std::vector<std::string> env_keep;   // names copied from the caller's environment
  std::vector<EnvVar> env_set;         // explicit values; win over env_keep
  std::optional<uint64_t> timeout_ms;  // wall-clock limit; the program is killed after it
  SourceSpan timeout_span;
  bool core_dumps = false;
  SourceSpan core_dumps_span;
  std::vector<std::string> command;  // default program and arguments; may be empty
  SourceSpan command_span;
};

// ---- descriptors (Capsicum) ----------------------------------------------------------------

// Portable open flags; each backend maps them to its own O_* values.
enum OpenFlag : uint32_t {
  kOpenRead = 1u << 0,
  kOpenWrite = 1u << 1,
  kOpenAppend = 1u << 2,
  kOpenCreate = 1u << 3,
  kOpenTruncate = 1u << 4,
  kOpenExclusive = 1u << 5,
  kOpenDirectory = 1u << 6,
  kOpenNoFollow = 1u << 7,
  kOpenSync = 1u << 8,
  kOpenNonBlock = 1u << 9,
  kOpenExec = 1u << 10,  // FreeBSD O_EXEC; Linux O_PATH-like for fexecve
};

struct IoctlCommand {
  std::string name;  // "TIOCGWINSZ", or the number as written
  PerTarget<std::optional<uint64_t>> value;
  SourceSpan span;
};

struct Descriptor {
  enum class Kind : uint8_t { kStdin, kStdout, kStderr, kFile, kDirectory };
  Kind kind = Kind::kFile;
  int fd = -1;                      // descriptor number the program sees
  std::string path;                 // kFile/kDirectory: path inside the sandbox, opened before exec
  uint32_t open_flags = kOpenRead;  // OpenFlag bits
  uint32_t create_mode = 0600;      // with kOpenCreate
  std::optional<RightSet> rights;   // nullopt: not limited (every right)
  std::optional<std::vector<IoctlCommand>> ioctls;  // nullopt: any; empty: none
  std::optional<uint32_t> fcntls;                   // CAP_FCNTL_* mask; nullopt: all
  SourceSpan span;
  SourceSpan rights_span;
};

// ---- ipc -----------------------------------------------------------------------------------

enum class JailSys : uint8_t { kInherit, kNew, kDisable };
std::string_view JailSysName(JailSys value);  // "inherit", "new", "disable"

// SysV IPC, as FreeBSD's jail parameters define it. The effective values already follow
// FreeBSD's rule: an explicit sysv* value wins; otherwise allow.sysvipc=true means inherit and
// false means disable; with neither, a new jail starts with disable.
struct Ipc {
  std::optional<bool> allow_sysvipc;
  SourceSpan allow_sysvipc_span;
  JailSys sysvshm = JailSys::kDisable;
  JailSys sysvmsg = JailSys::kDisable;
  JailSys sysvsem = JailSys::kDisable;
  SourceSpan sysvshm_span, sysvmsg_span, sysvsem_span;  // invalid when not written
};

// ---- jail ----------------------------------------------------------------------------------

struct JailFlag {
  std::string name;  // FreeBSD's exact name: "allow.raw_sockets"
  bool value = false;
  bool justified = false;
  SourceSpan span;
};

// A jail parameter passed through unchanged (type-checked against the parameter table).
struct JailParam {
  std::string name;
  std::string value;  // normalised text: "true"/"false" for booleans, decimal for numbers
  SourceSpan span;
};

struct Jail {
  int securelevel = -1;  // -1..3; -1 is "permanently insecure", the jail default when unset
  SourceSpan securelevel_span;
  int enforce_statfs = 2;
  SourceSpan enforce_statfs_span;
  int children_max = 0;  // nested sandboxes the program may create; 0 forbids them
  SourceSpan children_max_span;
  std::optional<int> devfs_ruleset;
  SourceSpan devfs_ruleset_span;
  std::vector<JailFlag> allow;  // only flags the policy wrote; others keep FreeBSD's defaults
  std::vector<JailParam> params;
};

// ---- filesystem ----------------------------------------------------------------------------

struct RootFs {
  enum class Kind : uint8_t {
    kEmpty,      // a fresh, empty tmpfs (only what 'mounts' adds is visible)
    kDirectory,  // an existing directory, used in place
    kTemplate,   // a directory cloned for every run (overlay on Linux, ZFS clone on FreeBSD)
  };
  Kind kind = Kind::kEmpty;
  std::string path;          // kDirectory/kTemplate: host path
  std::string zfs_snapshot;  // kTemplate: "pool/dataset@snap", for FreeBSD's clone
  bool readonly = false;     // kDirectory: mounted read-only
  uint64_t size_bytes = 0;   // kEmpty/kTemplate: cap of the writable layer; 0 = default
  SourceSpan span;
};

struct Mount {
  std::string source;  // host path
  std::string target;  // path inside the sandbox
  bool readonly = true;
  SourceSpan span;
};

struct Scratch {
  std::string target;
  uint64_t size_bytes = 0;
  SourceSpan span;
};

struct Symlink {
  std::string path;    // inside the sandbox
  std::string target;  // link contents
  SourceSpan span;
};

struct Filesystem {
  RootFs root;
  std::vector<Mount> mounts;
  std::vector<Scratch> scratch;
  std::vector<Symlink> symlinks;
  bool proc = true;  // a procfs for the sandbox's own processes
  bool dev = true;   // a minimal /dev (null, zero, full, random, urandom, tty)
  SourceSpan span;
};

// ---- network -------------------------------------------------------------------------------

struct Cidr {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};  // network byte order; IPv4 uses the first 4 bytes
  uint8_t prefix = 0;
  std::string text;  // normalised: "10.0.0.2/24"
};

enum class Protocol : uint8_t { kTcp, kUdp };

struct EgressRule {
  Cidr to;
  Protocol protocol = Protocol::kTcp;
  uint16_t port_low = 0;
  uint16_t port_high = 0;  // inclusive; equal to port_low for one port
  SourceSpan span;
};

struct Network {
  enum class Mode : uint8_t {
    kNone,  // no network: only a loopback interface
    kVnet,  // a virtual stack with the policy's addresses
    kHost,  // the host's stack (dangerous; needs a justification)
  };
  Mode mode = Mode::kNone;
  std::vector<Cidr> addresses;
  // The host side of the virtual link. Without 'gateway:', the lowest host address of the first
  // address's prefix that the sandbox does not use (10.77.0.2/24 -> 10.77.0.1); none for a
  // prefix without room for it (/31, /32, /127, /128).
  std::optional<Cidr> gateway;
  std::vector<EgressRule> egress;  // empty with vnet: nothing leaves the sandbox
  bool justified = false;
  SourceSpan span;
  SourceSpan mode_span;
};

// ---- limits (rctl) -------------------------------------------------------------------------

enum class LimitAction : uint8_t { kDeny, kLog, kDevctl, kSignal, kThrottle };

struct Limit {
  std::string resource;  // rctl's name: "memoryuse"
  uint64_t amount = 0;   // in the resource's unit (bytes, count, seconds, percent, per second)
  LimitAction action = LimitAction::kDeny;
  std::string signal;  // kSignal only: rctl's spelling without "sig", e.g. "kill", "term"
  SourceSpan span;
};

// ---- mac -----------------------------------------------------------------------------------

struct IdRange {
  uint32_t low = 0;
  uint32_t high = 0;  // inclusive
  std::string text;   // as written (names are kept for ugidfw)
};

// One mac_bsdextended (ugidfw) rule. Empty conditions match everything.
struct BsdExtendedRule {
  bool subject_not = false;
  std::optional<std::pair<bool, IdRange>> subject_uid;  // (negated, range)
  std::optional<std::pair<bool, IdRange>> subject_gid;
  bool subject_jail = false;  // the rule applies to this policy's jail only
  bool object_not = false;
  std::optional<std::pair<bool, IdRange>> object_uid;
  std::optional<std::pair<bool, IdRange>> object_gid;
  std::optional<std::pair<bool, std::string>> object_filesys;  // a path inside the sandbox
  std::optional<bool> object_suid, object_sgid;                // value = negated
  std::optional<bool> object_uid_of_subject, object_gid_of_subject;
  std::optional<std::pair<bool, std::string>> object_type;  // letters from "ar-dbclsp"
  std::string mode;  // letters from "arswxn": what stays allowed
  SourceSpan span;
};

struct PortAclRule {
  bool by_uid = true;  // uid:ID or gid:ID
  uint32_t id = 0;
  Protocol protocol = Protocol::kTcp;
  uint16_t port = 0;
  SourceSpan span;
};

struct Mac {
  std::vector<BsdExtendedRule> bsdextended;
  std::vector<PortAclRule> portacl;
};

// ---- approximations ------------------------------------------------------------------------

// 'accept_approximate:' entry: the author accepts that `clause` is only approximated (on
// `backend`, or on every backend when empty). An approximation is all an entry accepts unless
// it says 'fidelity: not-enforced': a clause a backend does not enforce at all (a memory limit
// on a host without the memory controller, say) is refused even when accepted as approximated,
// so that an acceptance written for one host never silently drops a protection on another.
struct Acceptance {
  std::string clause;   // a clause id (policy/clauses.h)
  std::string backend;  // "linux", "freebsd" or "" for both
  std::string justification;
  bool not_enforced = false;  // 'fidelity: not-enforced': accepted even where not enforced
  SourceSpan span;
  SourceSpan fidelity_span;  // the 'fidelity:' value, invalid when absent
};

// ---- the policy ----------------------------------------------------------------------------

struct Policy {
  int version = 1;
  std::string name;
  SourceSpan name_span;
  std::string hostname;
  SourceSpan hostname_span;
  std::vector<std::string> files;  // the policy file first, then what it extends, in order

  Exec exec;
  PerTarget<SyscallFilter> syscalls;
  std::vector<Descriptor> descriptors;  // sorted by fd
  bool capability_mode = false;
  SourceSpan capability_mode_span;
  Ipc ipc;
  Jail jail;
  Filesystem filesystem;
  Network network;
  std::vector<Limit> limits;
  Mac mac;
  std::vector<Acceptance> accept_approximate;
};

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_IR_H_
