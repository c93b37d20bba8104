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
// (0..456). FreeBSD: every implemented native syscall (no OBSOL/RESERVED/UNIMPL/COMPAT slot).
std::span<const SyscallInfo> Syscalls(Target target);
const SyscallInfo* FindSyscall(Target target, std::string_view name);
const SyscallInfo* FindSyscallByNumber(Target target, int number);

// The highest syscall number the Linux table (and the installed libseccomp) knows. Numbers
// above it always take the default deny action.
inline constexpr int kLinuxHighestKnownSyscall = 456;

// Whether FreeBSD `release` lets `name` run in capability mode (CAPENABLED), taking
// syscall_variants.tsv's differences into account. nullopt if the release has no such syscall.
std::optional<bool> FreeBsdCapabilityModeAllowed(FreeBsdRelease release, std::string_view name);

// ---- syscall groups ------------------------------------------------------------------------

struct SyscallGroup {
  std::string_view name;         // "@file-system"
  std::string_view description;  // one line
  // Syscall names and other groups ("@signal"), as the defining source lists them. Names the
  // target does not have (i386-only names in systemd's lists) are skipped by ExpandGroup.
  std::span<const std::string_view> members;
};

// Linux: systemd 252's groups as Debian 12 ships them (systemd-analyze syscall-filter).
// FreeBSD: stockade's groups with the same names and intent, over FreeBSD's syscall names
// (docs/syscall-groups.md lists both).
std::span<const SyscallGroup> SyscallGroups(Target target);
const SyscallGroup* FindSyscallGroup(Target target, std::string_view name);

// The syscall names of group `name` on `target`, nested groups expanded, restricted to names
// the target's syscall table has, sorted and without duplicates. Empty if no such group.
std::vector<std::string_view> ExpandGroup(Target target, std::string_view name);

// Syscalls whose grant warrants a 'justification:' (dangerous-grant warning).
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

struct ConstantInfo {
  std::string_view name;
  ConstantKind kind;
  std::optional<uint64_t> linux_value;    // x86_64, from the Linux UAPI / glibc headers
  std::optional<uint64_t> freebsd_value;  // amd64, from the FreeBSD header named in `source`
  std::string_view freebsd_source;        // "sys/sys/fcntl.h"
};

std::span<const ConstantInfo> Constants();
const ConstantInfo* FindConstant(std::string_view name);
std::optional<uint64_t> ConstantValue(const ConstantInfo& constant, Target target);

struct ErrnoInfo {
  std::string_view name;  // "EPERM"
  std::optional<int> linux_value;
  std::optional<int> freebsd_value;
};
std::span<const ErrnoInfo> Errnos();
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
  bool deprecated = false;      // allow.sysvipc, allow.dying
  bool freebsd15_only = false;  // absent from FreeBSD 14
  std::string_view meaning;
};

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

std::span<const RctlResourceInfo> RctlResources();
const RctlResourceInfo* FindRctlResource(std::string_view name);

// Signals usable in an rctl sig<NAME> action, by FreeBSD's lower-case name without "sig".
struct SignalInfo {
  std::string_view name;  // "kill"
  int linux_number;
  int freebsd_number;
};
std::span<const SignalInfo> Signals();
const SignalInfo* FindSignal(std::string_view name);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_NAMES_H_
