// SPDX-License-Identifier: BSD-2-Clause
// How exactly the FreeBSD backend enforces each clause of a policy. The table lives next to the
// generator (freebsd/src/fidelity.cc) and says what compile.h produces for each clause, so that
// 'explain --target freebsd' cannot claim what the generated artifacts do not do.

#ifndef STOCKADE_FREEBSD_FIDELITY_H_
#define STOCKADE_FREEBSD_FIDELITY_H_

#include <string>
#include <vector>

#include "stockade/enforce/fidelity.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/names.h"

namespace stockade::freebsd {

// One ClauseFidelity per clause `policy` contains (policy::ClausesOf, in that order), for
// `release`. The main rules:
//  - jail parameters (securelevel, enforce_statfs, children.max, devfs_ruleset, sysv*, allow.*,
//    pass-through parameters, hostname) are exact; a parameter FreeBSD 14 lacks is not enforced
//    on a 14 target;
//  - 'syscalls': FreeBSD has no seccomp. Without capability_mode it is not enforced. With it,
//    capability mode's fixed set (policy::FreeBsdCapabilityModeAllowed) decides: exact only when
//    the policy allows exactly that set, has no argument conditions, denies every other call the
//    same way (capability mode answers them all with ECAPMODE; the how says so when the policy's
//    one action is another) and logs nothing; otherwise approximated, naming the syscalls the
//    policy allows that capability mode forbids and those it forbids that capability mode
//    allows. A syscall a rule names that the release does not have makes it not enforced;
//  - 'descriptors' with rights the release lacks is not enforced;
//  - 'mac.portacl' is host-wide: approximated; 'exec.timeout' is approximated (see the how).
enforce::Assessment Assess(const policy::Policy& policy, policy::FreeBsdRelease release);

// The policy's FreeBSD syscall decisions compared with capability mode, for explain and tests.
struct CapabilityModeComparison {
  std::vector<std::string> allowed_but_forbidden;  // the policy allows, capability mode forbids
  std::vector<std::string> forbidden_but_allowed;  // the policy forbids, capability mode allows
  std::vector<std::string> conditional;            // the policy decides on arguments
  std::vector<std::string> unknown;  // named by a rule, absent from the release (sorted)
  // The distinct actions of the calls the policy denies: "kill", "trap", "errno EPERM" (sorted).
  std::vector<std::string> deny_actions;
  bool logged = false;  // some allowed call is to be logged (default: log)
};
CapabilityModeComparison CompareWithCapabilityMode(const policy::Policy& policy,
                                                   policy::FreeBsdRelease release);

}  // namespace stockade::freebsd

#endif  // STOCKADE_FREEBSD_FIDELITY_H_
