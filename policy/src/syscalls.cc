// SPDX-License-Identifier: BSD-2-Clause
// The syscall tables of both targets, FreeBSD 14's capability-mode differences and the list of
// dangerous syscalls. The big tables are generated (tables/*.inc; see the scripts beside them).

#include <algorithm>
#include <array>

#include "name_index.h"
#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

constexpr SyscallInfo kLinuxSyscalls[] = {
#define STOCKADE_LINUX_SYSCALL(name, number) {#name, number, false},
#include "tables/linux_syscalls.inc"
#undef STOCKADE_LINUX_SYSCALL
};

constexpr SyscallInfo kFreeBsdSyscalls[] = {
#define STOCKADE_FREEBSD_SYSCALL(name, number, cap) {#name, number, cap},
#include "tables/freebsd_syscalls.inc"
#undef STOCKADE_FREEBSD_SYSCALL
};

template <size_t N>
constexpr bool SortedByNumber(const SyscallInfo (&rows)[N]) {
  for (size_t i = 1; i < N; ++i) {
    if (rows[i - 1].number >= rows[i].number) return false;
  }
  return true;
}
static_assert(SortedByNumber(kLinuxSyscalls) && SortedByNumber(kFreeBsdSyscalls));
static_assert(std::size(kLinuxSyscalls) > 0 &&
                  kLinuxSyscalls[std::size(kLinuxSyscalls) - 1].number == kLinuxHighestKnownSyscall,
              "kLinuxHighestKnownSyscall must be the last number of the generated table");

constexpr auto kLinuxByName = detail::SortByName(kLinuxSyscalls);
constexpr auto kFreeBsdByName = detail::SortByName(kFreeBsdSyscalls);
static_assert(!detail::HasDuplicateNames(kLinuxSyscalls, kLinuxByName));
static_assert(!detail::HasDuplicateNames(kFreeBsdSyscalls, kFreeBsdByName));

// FreeBSD 14 where it differs from the 15 table (syscall_variants.tsv, snapshot S14: a 14.0-era
// syscalls.master that ends at 587). Rows the 15 table lacks carry their 14.x number; `present`
// false marks names 14 does not have at all. KB/CA rows (main only) and the YS row (a research
// fork before 15.0) describe no release and are not applied; neither are EB's nlm_syscall and
// nfssvc (NOSTD in one post-15.0 fork, OBSOL in the tree the 15 table comes from).
struct FreeBsd14Difference {
  std::string_view name;
  int number;
  bool capability_mode_allowed;
};
constexpr FreeBsd14Difference kFreeBsd14Differences[] = {
    {"exit", 1, true},  // renamed _exit (NORETURN) later; both names are accepted for 14
    {"wait4", 7, false},
    {"vfork", 66, false},
    {"getgroups", 79, true},  // 15 moved it to 595 and made 79 COMPAT14
    {"setgroups", 80, false},
    {"nlm_syscall", 154, false},
    {"nfssvc", 155, false},
    {"rfork", 251, false},
    {"gssd_syscall", 505, false},
};
// The last slot of the 14.0-era table: timerfd_settime.
constexpr int kFreeBsd14LastSyscall = 587;

constexpr DangerousSyscall kDangerousSyscalls[] = {
    // Both targets, or Linux.
    {"ptrace", "lets the program trace and modify other processes"},
    {"bpf", "loads BPF programs into the kernel and reads kernel maps"},
    {"mount", "mounts file systems, changing what paths mean"},
    {"umount2", "unmounts file systems, uncovering what was mounted over"},
    {"pivot_root", "changes the root file system of the mount namespace"},
    {"kexec_load", "replaces the running kernel"},
    {"kexec_file_load", "replaces the running kernel"},
    {"init_module", "loads code into the kernel"},
    {"finit_module", "loads code into the kernel"},
    {"delete_module", "unloads kernel modules"},
    {"keyctl", "manages kernel keyrings shared beyond the sandbox"},
    {"add_key", "adds keys to kernel keyrings shared beyond the sandbox"},
    {"request_key", "asks the kernel (and its upcall helpers) for keys"},
    {"perf_event_open", "observes other processes and the kernel; a large attack surface"},
    {"userfaultfd", "stalls kernel accesses to memory, a common exploit primitive"},
    {"io_uring_setup", "opens io_uring, which performs I/O outside seccomp's view"},
    {"io_uring_enter", "submits io_uring work, which seccomp does not filter"},
    {"io_uring_register", "registers files and buffers with io_uring"},
    {"personality", "changes the execution domain, e.g. disabling ASLR"},
    {"unshare", "creates namespaces, exposing kernel code meant for root"},
    {"setns", "joins other namespaces"},
    {"process_vm_writev", "writes the memory of other processes"},
    {"process_vm_readv", "reads the memory of other processes"},
    {"open_by_handle_at", "opens files by handle, bypassing path checks (the shocker escape)"},
    {"swapon", "enables swap on a device or file"},
    {"swapoff", "disables swap"},
    {"reboot", "reboots or halts the machine"},
    {"iopl", "grants raw access to all I/O ports"},
    {"ioperm", "grants raw access to I/O ports"},
    // FreeBSD only.
    {"kldload", "loads code into the kernel"},
    {"kldunload", "unloads kernel modules"},
    {"kldunloadf", "unloads kernel modules"},
    {"jail", "creates a jail"},
    {"jail_set", "creates or changes jails"},
    {"jail_attach", "moves the process into another jail"},
    {"jail_attach_jd", "moves the process into the jail a descriptor names"},
    {"jail_remove", "removes jails and kills their processes"},
    {"jail_remove_jd", "removes the jail a descriptor names"},
    {"nmount", "mounts file systems, changing what paths mean"},
    {"unmount", "unmounts file systems, uncovering what was mounted over"},
    {"chroot", "changes the root directory; with a writable tree, a way out of it"},
    {"fchroot", "changes the root directory; with a writable tree, a way out of it"},
    {"setlogin", "changes the login name of the whole session"},
    {"ktrace", "traces other processes' syscalls and data"},
    {"kenv", "reads and sets the kernel environment"},
    {"acct", "turns process accounting on or off"},
    {"rctl_add_rule", "adds resource limits for any process, user or jail"},
    {"rctl_remove_rule", "removes resource limits, including the sandbox's own"},
    {"auditon", "configures the audit subsystem"},
    {"auditctl", "redirects the audit trail"},
};
constexpr auto kDangerousByName = detail::SortByName(kDangerousSyscalls);
static_assert(!detail::HasDuplicateNames(kDangerousSyscalls, kDangerousByName));

template <size_t N>
const SyscallInfo* FindNumber(const SyscallInfo (&rows)[N], int number) {
  const auto it = std::lower_bound(std::begin(rows), std::end(rows), number,
                                   [](const SyscallInfo& row, int n) { return row.number < n; });
  if (it == std::end(rows) || it->number != number) return nullptr;
  return it;
}

}  // namespace

std::span<const SyscallInfo> Syscalls(Target target) {
  if (target == Target::kLinux) return kLinuxSyscalls;
  return kFreeBsdSyscalls;
}

const SyscallInfo* FindSyscall(Target target, std::string_view name) {
  if (target == Target::kLinux) return detail::FindByName(kLinuxSyscalls, kLinuxByName, name);
  return detail::FindByName(kFreeBsdSyscalls, kFreeBsdByName, name);
}

const SyscallInfo* FindSyscallByNumber(Target target, int number) {
  if (target == Target::kLinux) return FindNumber(kLinuxSyscalls, number);
  return FindNumber(kFreeBsdSyscalls, number);
}

std::optional<bool> FreeBsdCapabilityModeAllowed(FreeBsdRelease release, std::string_view name) {
  if (release == FreeBsdRelease::k14) {
    for (const FreeBsd14Difference& row : kFreeBsd14Differences) {
      if (row.name == name) return row.capability_mode_allowed;
    }
  }
  const SyscallInfo* syscall = FindSyscall(Target::kFreeBsd, name);
  if (syscall == nullptr) return std::nullopt;
  if (release == FreeBsdRelease::k14) {
    // 15 moved getgroups/setgroups to new slots (handled above); everything past 587 is new.
    if (syscall->number > kFreeBsd14LastSyscall) return std::nullopt;
  }
  return syscall->capability_mode_allowed;
}

std::span<const DangerousSyscall> DangerousSyscalls() { return kDangerousSyscalls; }

const DangerousSyscall* FindDangerousSyscall(std::string_view name) {
  return detail::FindByName(kDangerousSyscalls, kDangerousByName, name);
}

}  // namespace stockade::policy
