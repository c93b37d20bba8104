// SPDX-License-Identifier: BSD-2-Clause
// The seccomp filter of a sandbox: built with libseccomp from the policy's Linux syscall rules
// plus the rules linux-sim adds to enforce other clauses (children.max, SysV IPC,
// allow.socket_af), for native x86_64 only, exported as classic BPF.

#ifndef STOCKADE_LINUX_SIM_SECCOMP_H_
#define STOCKADE_LINUX_SIM_SECCOMP_H_

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/linux_sim/plan.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::linux_sim {

// BPF's limit on one program (BPF_MAXINSNS).
inline constexpr size_t kMaxBpfInstructions = 4096;

struct SeccompOptions {
  // 'kill' becomes a user notification that the supervisor answers by killing the sandbox, so
  // it can report the syscall; without a supervisor it is SECCOMP_RET_KILL_PROCESS.
  bool notify_kills = true;
  // libseccomp's binary tree of syscall numbers (SCMP_FLTATR_CTL_OPTIMIZE=2): a call's cost grows
  // with the logarithm of the rule count. false: libseccomp's default linear layout, kept only so
  // that bench/ can show the difference.
  bool binary_tree = true;
};

// The decision model for `policy` on Linux: the policy's rules and linux-sim's own, normalised.
// Pure: the filters are compiled from it, the supervisor decides notifications with it, and
// tests and the differential fuzzer use it as the oracle.
FilterModel BuildFilterModel(const policy::Policy& policy);

// What the model decides for one call, as a SECCOMP_RET_* value (a 'kill' is
// SECCOMP_RET_KILL_PROCESS here: the decision, not how it is delivered). `arch` is the
// AUDIT_ARCH_* value; `calls_so_far` counts earlier execve/execveat calls under exec_once.
uint32_t DecideSeccomp(const FilterModel& model, uint32_t arch, int number, const uint64_t args[6],
                       int execs_so_far = 1);

// The rule that decided a call, for reports: nullptr when the default (or the unknown-number
// action) decided.
const FilterRule* DecidingRule(const FilterModel& model, int number, const uint64_t args[6]);

// Compiles the model with libseccomp into two stacked programs whose rules, per syscall, all
// share one action (libseccomp defines no semantics for mixed actions on one syscall, and in
// 2.5.4 an unconditional allow silently swallows a conditional deny). In installation order:
//   0. when the default allows: a guard of ten instructions (not libseccomp's) that fails
//      numbers above libseccomp's table with ENOSYS and kills other architectures and x32;
//   1. the deny filter: default ALLOW; each unsupervised deny rule with its action;
//   2. the allow filter: the default action; ALLOW for every allow rule and for every deny rule
//      (so that its default never hides a deny); SECCOMP_RET_USER_NOTIF for supervised
//      syscalls; it carries the notification listener. Whenever there is a listener, execve and
//      execveat are supervised: the launcher waits in its execve until the supervisor holds
//      the listener.
// The kernel runs both and applies the most restrictive result, which equals the model.
// Native x86_64 only: another architecture and x32 numbers are killed. Fails when libseccomp
// refuses a rule or a program exceeds kMaxBpfInstructions (kResourceExhausted).
Expected<SeccompPlan> CompileSeccomp(FilterModel model, const policy::SourceSet& sources,
                                     const SeccompOptions& options);

// The kernel's combination of stacked filters: the most restrictive action wins; among equal
// actions the newest filter's value.
uint32_t CombineActions(const std::vector<uint32_t>& results_oldest_first);

// Evaluates a classic BPF seccomp program on one seccomp_data in user space, as the kernel
// does (tests use it to prove what this kernel cannot show live, such as x32 calls). Returns
// the SECCOMP_RET_* value; an invalid program or an out-of-bounds load yields
// SECCOMP_RET_KILL_PROCESS, as the kernel's checker would have refused it. When `executed` is
// not null it receives the number of instructions run (the cost the kernel pays for the call).
uint32_t EvaluateBpf(const std::vector<sock_filter>& program, uint32_t arch, int number,
                     uint64_t instruction_pointer, const uint64_t args[6],
                     size_t* executed = nullptr);

// "file:line:col" of a span, or "(linux-sim)" for rules without one.
std::string Where(const policy::SourceSet& sources, const Origin& origin);

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_SECCOMP_H_
