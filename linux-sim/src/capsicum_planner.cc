// SPDX-License-Identifier: BSD-2-Clause
// Planning the Capsicum emulation for a sandbox, and its fidelity.

#include <sys/resource.h>

#include <string>

#include "mappings.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/linux_sim/seccomp.h"

namespace stockade::linux_sim::detail {
namespace {

// The program's RLIMIT_NOFILE soft limit at exec: the policy's, else the one it inherits.
uint64_t DescriptorLimit(const SandboxPlan& plan) {
  for (const RlimitStep& step : plan.limits.rlimits) {
    if (step.resource == RLIMIT_NOFILE) return step.soft;
  }
  struct rlimit own {};
  getrlimit(RLIMIT_NOFILE, &own);
  return own.rlim_cur;
}

bool AnyLimit(const policy::Policy& policy) {
  for (const policy::Descriptor& d : policy.descriptors) {
    if (d.rights || d.ioctls || d.fcntls) return true;
  }
  return false;
}

}  // namespace

Status PlanCapsicum(const HostFacts& host, SandboxPlan& plan) {
  STOCKADE_ASSIGN_OR_RETURN(CapsicumLayout layout,
                            LayoutCapsicum(plan.manifest, DescriptorLimit(plan)));
  if (layout.capability_mode) {
    return Error(ErrorCode::kUnsupported, "capability mode is not enforced by linux-sim yet");
  }
  if (!layout.enabled()) return {};
  if (!host.seccomp_filter || !host.seccomp_user_notif) {
    return Error(ErrorCode::kUnsupported,
                 "descriptor rights need seccomp filters with user notification, which this "
                 "kernel lacks");
  }
  STOCKADE_ASSIGN_OR_RETURN(plan.capsicum, CompileCapsicum(layout));
  return AttachCapsicum(plan.capsicum, plan.seccomp);
}

enforce::ClauseFidelity AssessCapsicum(const std::string& clause, policy::SourceSpan span,
                                       const policy::Policy& policy, const HostFacts& host) {
  using enforce::Fidelity;
  const bool mechanism = host.seccomp_filter && host.seccomp_user_notif;
  if (clause == "capability_mode") {
    return {clause, span, Fidelity::kNotEnforced,
            "Capsicum capability mode is not emulated by linux-sim yet"};
  }
  if (!AnyLimit(policy)) {
    return {clause, span, Fidelity::kExact, "opened by the launcher before exec, on their numbers"};
  }
  if (!mechanism) {
    return {clause, span, Fidelity::kNotEnforced,
            "Capsicum rights need seccomp filters with user notification, which this kernel "
            "lacks"};
  }
  return {clause, span, Fidelity::kApproximated,
          "rights are checked per descriptor number by a seccomp filter (ENOTCAPABLE), and "
          "copies made by dup, dup2, dup3 and F_DUPFD keep them (in a block of numbers at the "
          "top of the table); but lookups beneath a limited directory are refused, a limited "
          "descriptor passed over SCM_RIGHTS arrives without its limits, poll and select do "
          "not check CAP_EVENT, and mprotect can raise a shared mapping up to the file's open "
          "mode (docs/capsicum-linux.md lists every difference)"};
}

}  // namespace stockade::linux_sim::detail
