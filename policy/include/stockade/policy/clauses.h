// SPDX-License-Identifier: BSD-2-Clause
// Clause ids: the names by which 'accept_approximate:', 'explain' and the fidelity tables refer
// to one part of a policy ("securelevel", "syscalls", "limits.pcpu", "allow.raw_sockets").

#ifndef STOCKADE_POLICY_CLAUSES_H_
#define STOCKADE_POLICY_CLAUSES_H_

#include <string>
#include <string_view>
#include <vector>

#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

struct ClauseRef {
  std::string id;
  SourceSpan span;  // where the policy writes it
};

// Every clause id the language has: the fixed ones ("syscalls", "capability_mode", ...),
// "limits.<resource>" for each rctl resource, and every settable jail parameter name.
std::vector<std::string_view> AllClauseIds();
bool IsClauseId(std::string_view id);

// The clauses `policy` actually contains (written, not defaulted), in source order.
std::vector<ClauseRef> ClausesOf(const Policy& policy);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_CLAUSES_H_
