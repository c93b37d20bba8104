// SPDX-License-Identifier: BSD-2-Clause
// Syscall groups: systemd's on Linux (generated), stockade's on FreeBSD (by hand), and their
// expansion into syscall names of one target.

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "name_index.h"
#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

#include "tables/freebsd_syscall_groups.inc"
#include "tables/linux_syscall_groups.inc"

// @known is every FreeBSD syscall, straight from the syscall table so the two cannot drift.
constexpr std::string_view kFreeBsdGroupKnown[] = {
#define STOCKADE_FREEBSD_SYSCALL(name, number, cap) #name,
#include "tables/freebsd_syscalls.inc"
#undef STOCKADE_FREEBSD_SYSCALL
};

// In systemd's order, FreeBSD's own group last but for @known.
constexpr SyscallGroup kFreeBsdGroups[] = {
    {"@default", "System calls that are always permitted", kFreeBsdGroupDefault},
    {"@aio", "Asynchronous IO", kFreeBsdGroupAio},
    {"@basic-io", "Basic IO", kFreeBsdGroupBasicIo},
    {"@chown", "Change ownership of files and directories", kFreeBsdGroupChown},
    {"@clock", "Change the system time", kFreeBsdGroupClock},
    {"@debug", "Debugging, performance monitoring and tracing functionality", kFreeBsdGroupDebug},
    {"@file-system", "File system operations", kFreeBsdGroupFileSystem},
    {"@io-event", "Event loop system calls", kFreeBsdGroupIoEvent},
    {"@ipc", "SysV IPC, POSIX Message Queues or other IPC", kFreeBsdGroupIpc},
    {"@memlock", "Memory locking control", kFreeBsdGroupMemlock},
    {"@module", "Loading and unloading of kernel modules", kFreeBsdGroupModule},
    {"@mount", "Mounting and unmounting of file systems", kFreeBsdGroupMount},
    {"@network-io", "Network or Unix socket IO, should not be needed if not network facing",
     kFreeBsdGroupNetworkIo},
    {"@privileged", "All system calls which need super-user capabilities", kFreeBsdGroupPrivileged},
    {"@process", "Process control, execution, namespacing operations", kFreeBsdGroupProcess},
    {"@raw-io", "Raw I/O port access", kFreeBsdGroupRawIo},
    {"@reboot", "Reboot and reboot preparation/kexec", kFreeBsdGroupReboot},
    {"@resources", "Alter resource settings", kFreeBsdGroupResources},
    {"@setuid", "Operations for changing user/group credentials", kFreeBsdGroupSetuid},
    {"@signal", "Process signal handling", kFreeBsdGroupSignal},
    {"@swap", "Enable/disable swap devices", kFreeBsdGroupSwap},
    {"@sync", "Synchronize files and memory to storage", kFreeBsdGroupSync},
    {"@system-service", "General system service operations", kFreeBsdGroupSystemService},
    {"@timer", "Schedule operations by time", kFreeBsdGroupTimer},
    {"@capsicum", "Capability mode, descriptor rights and process descriptors",
     kFreeBsdGroupCapsicum},
    {"@known", "All syscalls FreeBSD's syscalls.master declares", kFreeBsdGroupKnown},
};

constexpr auto kLinuxGroupsByName = detail::SortByName(kLinuxGroups);
constexpr auto kFreeBsdGroupsByName = detail::SortByName(kFreeBsdGroups);
static_assert(!detail::HasDuplicateNames(kLinuxGroups, kLinuxGroupsByName));
static_assert(!detail::HasDuplicateNames(kFreeBsdGroups, kFreeBsdGroupsByName));

// Depth-first over nested groups. `seen` guards against a group reached twice (systemd's
// @system-service and @privileged share members) and against cycles.
void Expand(Target target, const SyscallGroup& group, std::vector<const SyscallGroup*>& seen,
            std::vector<std::string_view>& out) {
  if (std::find(seen.begin(), seen.end(), &group) != seen.end()) return;
  seen.push_back(&group);
  for (std::string_view member : group.members) {
    if (member.starts_with('@')) {
      if (const SyscallGroup* nested = FindSyscallGroup(target, member)) {
        Expand(target, *nested, seen, out);
      }
    } else if (const SyscallInfo* syscall = FindSyscall(target, member)) {
      out.push_back(syscall->name);  // the table's own storage: static, never dangling
    }
  }
}

}  // namespace

std::span<const SyscallGroup> SyscallGroups(Target target) {
  if (target == Target::kLinux) return kLinuxGroups;
  return kFreeBsdGroups;
}

const SyscallGroup* FindSyscallGroup(Target target, std::string_view name) {
  if (target == Target::kLinux) return detail::FindByName(kLinuxGroups, kLinuxGroupsByName, name);
  return detail::FindByName(kFreeBsdGroups, kFreeBsdGroupsByName, name);
}

std::vector<std::string_view> ExpandGroup(Target target, std::string_view name) {
  std::vector<std::string_view> names;
  const SyscallGroup* group = FindSyscallGroup(target, name);
  if (group == nullptr) return names;
  std::vector<const SyscallGroup*> seen;
  Expand(target, *group, seen, names);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace stockade::policy
