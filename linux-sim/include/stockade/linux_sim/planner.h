// SPDX-License-Identifier: BSD-2-Clause
// From a checked policy to a linux-sim sandbox plan, and the fidelity of each clause on this
// host. Both read the same tables (capabilities.cc, limits.cc, seccomp.cc), so what 'explain'
// says is what 'run' does.

#ifndef STOCKADE_LINUX_SIM_PLANNER_H_
#define STOCKADE_LINUX_SIM_PLANNER_H_

#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/plan.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::linux_sim {

struct PlanOptions {
  std::vector<std::string> command;  // empty: the policy's exec.command
  std::string staging;               // where the new root is assembled; see DefaultStaging()
};

// /run/stockade/root as root, $XDG_RUNTIME_DIR/stockade/root or /tmp/stockade-UID/root
// otherwise. The directory only ever serves as a mount point inside the sandbox's own mount
// namespace; the host's copy stays empty.
std::string DefaultStaging(const HostFacts& host);

// Builds the plan. Fails (naming the clause and its file:line) when a clause cannot be set up
// on this host: a missing mount source, a program user that does not exist, a filter larger
// than BPF allows, a limit whose cgroup controller is missing. Does not check fidelity: call
// Assess and enforce::CheckEnforceable first.
Expected<SandboxPlan> PlanSandbox(const policy::Policy& policy, const policy::SourceSet& sources,
                                  const HostFacts& host, const PlanOptions& options);

// How exactly linux-sim enforces each clause of `policy` on this host.
enforce::Assessment Assess(const policy::Policy& policy, const HostFacts& host);

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_PLANNER_H_
