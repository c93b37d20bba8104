// SPDX-License-Identifier: BSD-2-Clause
// The fidelity model: how exactly a backend enforces each clause of a policy, and the rule
// that refuses what is not enforced exactly unless the policy accepts it.
//
// Each backend assesses a policy with its own table, the one that drives its enforcement
// (freebsd/fidelity.h, linux_sim/fidelity.h), so that 'explain' cannot claim what the backend
// does not do. This file holds what every backend shares: the vocabulary and the refusal rule.

#ifndef STOCKADE_ENFORCE_FIDELITY_H_
#define STOCKADE_ENFORCE_FIDELITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"

namespace stockade::enforce {

enum class Fidelity : uint8_t {
  kExact,         // enforced as the policy says
  kApproximated,  // enforced by other means that differ in ways `how` states
  kNotEnforced,   // not enforced at all on this backend
};
std::string_view FidelityName(Fidelity fidelity);  // "exact", "approximated", "not enforced"

// The backends as accept_approximate names them: "linux" or "freebsd" (both releases).
enum class BackendFamily : uint8_t { kLinux, kFreeBsd };
std::string_view BackendFamilyName(BackendFamily family);

struct ClauseFidelity {
  std::string clause;  // clause id (policy/clauses.h)
  policy::SourceSpan span;
  Fidelity fidelity = Fidelity::kExact;
  std::string how;  // the mechanism, or what differs, or why it is not enforced
  // False when the backend cannot set the clause up at all on this host (linux-sim's vnet in
  // user-namespace mode): accepting it would not make it run, so it is refused either way.
  bool acceptable = true;
};

struct Assessment {
  BackendFamily family = BackendFamily::kLinux;
  std::string backend;  // "linux-sim", "freebsd14", "freebsd15"
  std::vector<ClauseFidelity> clauses;
  // Facts about where the assessment was made that matter to a reader ("Landlock ABI 7",
  // "cgroup v1 memory controller"); empty for code generation.
  std::vector<std::string> host_facts;
};

// True when `clause` is accepted for `family` by one of the policy's accept_approximate entries,
// at any fidelity.
bool IsAccepted(const policy::Policy& policy, std::string_view clause, BackendFamily family);

// The accept_approximate entry that names `clause` for `family` (an entry for that backend
// before one for every backend), or nullptr.
const policy::Acceptance* FindAcceptance(const policy::Policy& policy, std::string_view clause,
                                         BackendFamily family);

// Whether `acceptance` (possibly nullptr) accepts a clause enforced with `fidelity`: every
// entry accepts an approximation; only 'fidelity: not-enforced' accepts no enforcement at all.
bool Covers(const policy::Acceptance* acceptance, Fidelity fidelity);

// Reports, as errors in `diags`, every clause of `assessment` that is not exact and is not
// accepted at its fidelity (see Covers; with `strict`, every clause that is not exact; and
// every clause that is not acceptable at all): "approximated" or "not-enforced", located at the
// clause, saying how it differs and what to write to accept it, with a note at an entry that
// accepts only an approximation. Returns true when nothing was refused (the CLI then proceeds;
// otherwise exit code 3).
bool CheckEnforceable(const Assessment& assessment, const policy::Policy& policy, bool strict,
                      policy::Diagnostics& diags);

}  // namespace stockade::enforce

#endif  // STOCKADE_ENFORCE_FIDELITY_H_
