// SPDX-License-Identifier: BSD-2-Clause
// The refusal rule shared by every backend.

#include "stockade/enforce/fidelity.h"

namespace stockade::enforce {

std::string_view FidelityName(Fidelity fidelity) {
  switch (fidelity) {
    case Fidelity::kExact:
      return "exact";
    case Fidelity::kApproximated:
      return "approximated";
    case Fidelity::kNotEnforced:
      return "not enforced";
  }
  return "not enforced";
}

std::string_view BackendFamilyName(BackendFamily family) {
  return family == BackendFamily::kLinux ? "linux" : "freebsd";
}

bool IsAccepted(const policy::Policy& policy, std::string_view clause, BackendFamily family) {
  for (const policy::Acceptance& acceptance : policy.accept_approximate) {
    if (acceptance.clause != clause) continue;
    if (acceptance.backend.empty() || acceptance.backend == BackendFamilyName(family)) return true;
  }
  return false;
}

bool CheckEnforceable(const Assessment& assessment, const policy::Policy& policy, bool strict,
                      policy::Diagnostics& diags) {
  bool enforceable = true;
  const std::string family(BackendFamilyName(assessment.family));
  for (const ClauseFidelity& clause : assessment.clauses) {
    if (clause.fidelity == Fidelity::kExact) continue;
    const bool accepted = IsAccepted(policy, clause.clause, assessment.family);
    if (accepted && !strict && clause.acceptable) continue;
    enforceable = false;
    const bool approximated = clause.fidelity == Fidelity::kApproximated;
    std::string message = "'" + clause.clause + "' is " +
                          (approximated ? "only approximated" : "not enforced") + " by " +
                          assessment.backend + ": " + clause.how;
    std::string expected =
        !clause.acceptable
            ? "nothing to accept: " + assessment.backend + " cannot set this clause up here"
        : accepted ? "no approximations at all under --strict"
                   : "accept_approximate: [{clause: " + clause.clause + ", backend: " + family +
                         ", justification: \"why this is acceptable\"}] to run it anyway";
    diags.AddError(approximated ? "approximated" : "not-enforced", clause.span, std::move(message),
                   std::move(expected));
  }
  return enforceable;
}

}  // namespace stockade::enforce
