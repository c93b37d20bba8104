// SPDX-License-Identifier: BSD-2-Clause
// The name tables of the policy language: syscalls and syscall groups per target, named
// constants and errnos per target, jail parameters, rctl resources and signals. One table per
// outside owner, spelled exactly as the owner spells it. Data only: nothing here asks the host;
// every table is generated from, or checked by a test against, the owner's source
// (libseccomp, ../shared/reference/freebsd, systemd-analyze, the Linux UAPI headers).

#ifndef STOCKADE_POLICY_NAMES_H_
#define STOCKADE_POLICY_NAMES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "stockade/policy/ir.h"

namespace stockade::policy {

// ---- syscalls ----------------------------------------------------------------------------

// FreeBSD releases whose tables differ (syscalls.tsv vs syscall_variants.tsv, cap_rights.tsv).
enum class FreeBsdRelease : uint8_t { k14, k15 };
inline constexpr FreeBsdRelease kNewestFreeBsd = FreeBsdRelease::k15;

struct SyscallInfo {
  std::string_view name;  // libseccomp's name (Linux) or syscalls.master's name (FreeBSD)
  int number;             // native x86_64 / amd64 number
  // FreeBSD: the syscall carries CAPENABLED in the newest release. Always false on Linux.
  bool capability_mode_allowed;
};

// Every syscall of `target`, sorted by number. Linux: the x86_64 names libseccomp 2.5.4 knows
// (0..456, 368 names; policy/src/tables/gen_linux_syscalls.sh). FreeBSD: every native syscall
// of the newest release callable by name: a SYS_* macro and no COMPAT* type, so STD, NOSTD
// (module-provided: SysV IPC, ksem, kmq, sctp, ...) and SYSMUX (syscall, __syscall) rows; no
// OBSOL/RESERVED/UNIMPL slot, no lkmnosys placeholder, no COMPATnn alias such as
// freebsd14_getgroups (policy/src/tables/gen_freebsd_syscalls.sh, 409 names).
// The tables are static: spans, pointers and names stay valid for the life of the program.
std::span<const SyscallInfo> Syscalls(Target target);
// Exact, case-sensitive lookups by binary search; nullptr when the target has no such syscall.
const SyscallInfo* FindSyscall(Target target, std::string_view name);
const SyscallInfo* FindSyscallByNumber(Target target, int number);

// The highest syscall number the Linux table (and the installed libseccomp) knows. Numbers
// above it always take the default deny action.
inline constexpr int kLinuxHighestKnownSyscall = 456;

// Whether FreeBSD `release` lets `name` run in capability mode (CAPENABLED), taking
// syscall_variants.tsv's differences into account. nullopt if the release has no such syscall.
// k15 is Syscalls(kFreeBsd). k14 is the 14.0-era syscalls.master (snapshot S14, slots 0..587):
// wait4, vfork and rfork are not CAPENABLED; getgroups (yes) and setgroups (no) are slots 79/80;
// exit (its name for slot 1, as well as _exit), nlm_syscall, nfssvc and gssd_syscall exist (not
// allowed); every syscall numbered above 587 is unknown (nullopt), even where a later 14.x point
// release may have merged it (kcmp, getrlimitusage), so callers fail closed. Rows of main-only
// snapshots (KB, CA) and of forks before 15.0 (YS) apply to no release.
std::optional<bool> FreeBsdCapabilityModeAllowed(FreeBsdRelease release, std::string_view name);

// ---- syscall groups ------------------------------------------------------------------------

struct SyscallGroup {
  std::string_view name;         // "@file-system"
  std::string_view description;  // one line (systemd's own on Linux)
  // Syscall names and other groups ("@signal"), as the defining source lists them. Names the
  // target does not have (i386-only names in systemd's lists) are skipped by ExpandGroup.
  std::span<const std::string_view> members;
};

// Linux: systemd 252's groups as Debian 12 ships them (systemd-analyze syscall-filter), in its
// order, members verbatim (policy/src/tables/gen_linux_syscall_groups.sh). systemd 252 has no
// @sandbox. FreeBSD: stockade's groups with the same names and intent over FreeBSD's syscall
// names, plus @capsicum; no @cpu-emulation, @keyring, @obsolete or @pkey (nothing on FreeBSD
// matches them), and @raw-io is empty (I/O ports come from /dev/io and sysarch(2)). @known is
// every syscall of the table. docs/syscall-groups.md lists both, with every member.
std::span<const SyscallGroup> SyscallGroups(Target target);
const SyscallGroup* FindSyscallGroup(Target target, std::string_view name);

// The syscall names of group `name` on `target`, nested groups expanded, restricted to names
// the target's syscall table has, sorted and without duplicates. Empty if no such group.
std::vector<std::string_view> ExpandGroup(Target target, std::string_view name);

// Syscalls whose grant warrants a 'justification:' (dangerous-grant warning). One list for both
// targets: a name counts on whichever target has it (mount, reboot, ptrace on both; umount2,
// unshare, bpf ... on Linux; kldload, jail_attach, nmount, chroot ... on FreeBSD), so callers
// look the name up after checking it against the rule's target table.
struct DangerousSyscall {
  std::string_view name;
  std::string_view reason;  // "lets the program trace and modify other processes"
};
std::span<const DangerousSyscall> DangerousSyscalls();
const DangerousSyscall* FindDangerousSyscall(std::string_view name);

// ---- constants and errnos ------------------------------------------------------------------

enum class ConstantKind : uint8_t {
  kValue,  // a plain value (AF_UNIX, SOCK_STREAM)
  kFlag,   // a bit or bit mask (O_CREAT, PROT_EXEC, CLONE_NEWUSER)
  kIoctl,  // an ioctl request number (TIOCGWINSZ, FIONREAD)
};

// A value as a seccomp argument comparison sees it: the whole 64-bit register. The kernel
// compares all 64 bits, and an `int` argument reaches the register sign-extended (glibc's
// syscall wrappers cast every argument to long), so a negative constant is stored as its
// sign-extended two's complement: AT_FDCWD (-100) is 0xffffffffffffff9c on both targets. A rule
// that must match a value passed as unsigned int with the high bit set (rare) should mask with
// 0xffffffff. A name one target lacks has nullopt there: O_TMPFILE, CLONE_*, PR_*, TCGETS are
// Linux-only; O_EXEC, O_RESOLVE_BENEATH, TIOCGETA, MAP_GUARD are FreeBSD-only. O_PATH and
// AT_EMPTY_PATH exist on both (FreeBSD 14 added them).
struct ConstantInfo {
  std::string_view name;
  ConstantKind kind;
  std::optional<uint64_t> linux_value;    // x86_64, from the Linux UAPI / glibc headers
  std::optional<uint64_t> freebsd_value;  // amd64, from the FreeBSD header named in `source`
  std::string_view freebsd_source;        // "sys/sys/fcntl.h"; empty exactly when no FreeBSD value
};

// Every constant, grouped by topic (address families, socket types, ..., ioctls). The values
// are checked by tests/policy/constants_test.cc: Linux against the host's headers, FreeBSD
// ioctls against their _IOC() encoding.
std::span<const ConstantInfo> Constants();
const ConstantInfo* FindConstant(std::string_view name);  // exact name; nullptr if unknown
std::optional<uint64_t> ConstantValue(const ConstantInfo& constant, Target target);

// The union of both targets' errno names, aliases included (EWOULDBLOCK, ENOTSUP, EDEADLOCK).
// FreeBSD: errno.tsv without ELAST and the kernel-only pseudo errors (ERESTART ... ERELOOKUP);
// ENOTCAPABLE (93) and ECAPMODE (94) exist on FreeBSD only, so an action naming them is
// FreeBSD-only. Linux: <errno.h> of x86_64.
struct ErrnoInfo {
  std::string_view name;  // "EPERM"
  std::optional<int> linux_value;
  std::optional<int> freebsd_value;
};
std::span<const ErrnoInfo> Errnos();  // sorted by Linux value, FreeBSD-only names last
const ErrnoInfo* FindErrno(std::string_view name);

// ---- jail parameters -----------------------------------------------------------------------

enum class JailParamLayer : uint8_t { kKernel, kKernelModule, kJailPseudo };

enum class JailParamType : uint8_t {
  kBool,     // true/false; allow.X / allow.noX
  kInt,      // signed decimal, within [min, max]
  kUlong,    // unsigned decimal
  kString,   // bounded by max_length when non-zero
  kJailSys,  // inherit | new | disable (disable only where `jailsys_disable`)
  kIpList,   // list of addresses
};

struct JailParamInfo {
  std::string_view name;  // exactly as jail(8) spells it
  JailParamLayer layer;
  JailParamType type;
  int64_t min = 0, max = 0;  // kInt: valid range (min > max: unbounded)
  size_t max_length = 0;     // kString: longest value, 0 = unbounded
  bool jailsys_disable = false;
  bool settable = true;  // false: read-only, reported only
  bool create_only = false;
  bool deprecated = false;  // allow.sysvipc, allow.dying
  // Absent from FreeBSD 14: jail_params.tsv's `seen` says 15.0 or post-15.0 (meta, env,
  // zfs.dataset, mac.label, allow.vmm_ppt, allow.routing, allow.setaudit,
  // allow.unprivileged_parent_tampering). "after 2019" parameters are taken to be in 14.
  bool freebsd15_only = false;
  std::string_view meaning;
  // The policy clause that sets this parameter, so 'jail:' must not (param-owned-elsewhere):
  // "hostname", "network.mode", "filesystem.root", "ipc.sysvshm", "exec.command", ...; or
  // "(stockade)" for parameters stockade always sets itself (jid, persist, most exec.*). Empty:
  // 'jail:' may set it, if `settable`.
  std::string_view owner;
};

// Every parameter of jail_params.tsv, in its order. kString max_length is the longest value in
// bytes without the terminating NUL (MAXHOSTNAMELEN 256 -> 255, MAXPATHLEN 1024 -> 1023,
// OSRELEASELEN 32 -> 31). jail(8) pseudo parameters (kJailPseudo) are settable: they are given
// when the jail is created and never passed to jail_set(2).
std::span<const JailParamInfo> JailParams();
const JailParamInfo* FindJailParam(std::string_view name);

// ---- rctl ----------------------------------------------------------------------------------

enum class RctlUnit : uint8_t {
  kBytes,
  kCount,
  kSeconds,
  kPercent,
  kBytesPerSecond,
  kOpsPerSecond
};

struct RctlResourceInfo {
  std::string_view name;  // "memoryuse"
  RctlUnit unit;
  bool deny_supported;
  bool throttle_supported;
  std::string_view meaning;
};

// rctl_resources.tsv's resources in racct index order. deny_supported is false for cputime,
// wallclock and the four I/O rates; throttle_supported is true for the I/O rates only.
std::span<const RctlResourceInfo> RctlResources();
const RctlResourceInfo* FindRctlResource(std::string_view name);

// Signals usable in an rctl sig<NAME> action, by FreeBSD's lower-case name without "sig", in
// FreeBSD number order (hup .. usr2).
struct SignalInfo {
  std::string_view name;  // "kill"
  int linux_number;       // 0: Linux has no such signal (emt, info); 0 is never delivered
  int freebsd_number;
};
std::span<const SignalInfo> Signals();
const SignalInfo* FindSignal(std::string_view name);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_NAMES_H_
