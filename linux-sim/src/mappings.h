// SPDX-License-Identifier: BSD-2-Clause
// Internal: the tables that map policy clauses onto Linux mechanisms. The planner builds the
// plan from them and Assess() reports fidelity from them, so the two cannot disagree.

#ifndef STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_
#define STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_

#include <sys/types.h>

#include <string_view>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/plan.h"
#include "stockade/policy/ir.h"

namespace stockade::linux_sim::detail {

// ---- privileges: securelevel and allow.* -> capabilities (capabilities.cc) ----------------

// One row of the privilege table: what a jail permission (or the base of jailed root) stands
// for on Linux.
struct CapabilityRow {
  std::string_view flag;  // "allow.raw_sockets", or "(jailed root)" for the base set
  int capability;         // CAP_* number, or -1 when no capability stands for it
  enforce::Fidelity fidelity;
  std::string_view reason;
};
std::vector<CapabilityRow> CapabilityTable();

// The capability set of a program running as `uid` (inside the sandbox) under `policy`.
CapsPlan PlanCapabilities(const policy::Policy& policy, uid_t uid);

// Fidelity of securelevel and each allow.* flag the policy writes.
void AssessPrivileges(const policy::Policy& policy, std::vector<enforce::ClauseFidelity>& out);

// Whether the sandbox gets a private IPC namespace (planner.cc): when any SysV kind asks for
// 'new', or none asks for the host's ('inherit').
bool OwnIpcNamespace(const policy::Ipc& ipc);

// ---- limits: rctl resources -> rlimits, cgroups, sysctls, the supervisor (limits.cc) -------

Expected<LimitsPlan> PlanLimits(const policy::Policy& policy, const HostFacts& host);
void AssessLimits(const policy::Policy& policy, const HostFacts& host,
                  std::vector<enforce::ClauseFidelity>& out);

// ---- Capsicum: descriptor rights and capability mode (capsicum_planner.cc) ----------------

// Lays out the manifest's limited descriptors, compiles the emulation's filters and attaches
// them to plan.seccomp (docs/capsicum-linux.md); in capability mode, also binds the preopen
// library into the sandbox and preloads it. Needs the manifest, the filesystem steps, the
// limits and the seccomp plan already planned.
Status PlanCapsicum(const policy::Policy& policy, const HostFacts& host, SandboxPlan& plan);
// Fidelity of the clause 'descriptors' or 'capability_mode' (`clause`, at `span`).
enforce::ClauseFidelity AssessCapsicum(const std::string& clause, policy::SourceSpan span,
                                       const policy::Policy& policy, const HostFacts& host);

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_
