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

const policy::Acceptance* FindAcceptance(const policy::Policy& policy, std::string_view clause,
                                         BackendFamily family) {
  const policy::Acceptance* any_backend = nullptr;
  for (const policy::Acceptance& acceptance : policy.accept_approximate) {
    if (acceptance.clause != clause) continue;
    if (acceptance.backend == BackendFamilyName(family)) return &acceptance;
    if (acceptance.backend.empty() && !any_backend) any_backend = &acceptance;
  }
  return any_backend;
}

bool Covers(const policy::Acceptance* acceptance, Fidelity fidelity) {
  if (fidelity == Fidelity::kExact) return true;
  if (!acceptance) return false;
  return fidelity == Fidelity::kApproximated || acceptance->not_enforced;
}

bool CheckEnforceable(const Assessment& assessment, const policy::Policy& policy, bool strict,
                      policy::Diagnostics& diags) {
  bool enforceable = true;
  const std::string family(BackendFamilyName(assessment.family));
  for (const ClauseFidelity& clause : assessment.clauses) {
    if (clause.fidelity == Fidelity::kExact) continue;
    const policy::Acceptance* acceptance = FindAcceptance(policy, clause.clause, assessment.family);
    const bool accepted = Covers(acceptance, clause.fidelity);
    if (accepted && !strict && clause.acceptable) continue;
    enforceable = false;
    const bool approximated = clause.fidelity == Fidelity::kApproximated;
    std::string message = "'" + clause.clause + "' is " +
                          (approximated ? "only approximated" : "not enforced") + " by " +
                          assessment.backend + ": " + clause.how;
    std::string expected;
    if (!clause.acceptable) {
      expected = "nothing to accept: " + assessment.backend + " cannot set this clause up here";
    } else if (accepted) {
      expected = "no approximations at all under --strict";
    } else if (acceptance) {
      expected = "'fidelity: not-enforced' in its accept_approximate entry to run without it";
    } else {
      expected = "accept_approximate: [{clause: " + clause.clause + ", backend: " + family +
                 (approximated ? "" : ", fidelity: not-enforced") +
                 ", justification: \"why this is acceptable\"}] to run it anyway";
    }
    policy::Diagnostic& d = diags.AddError(approximated ? "approximated" : "not-enforced",
                                           clause.span, std::move(message), std::move(expected));
    if (acceptance && !accepted && clause.acceptable) {
      d.notes.push_back(policy::DiagnosticNote{
          acceptance->span, "accepted here as an approximation only, not as unenforced"});
    }
  }
  return enforceable;
}

}  // namespace stockade::enforce
