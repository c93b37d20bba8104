// SPDX-License-Identifier: BSD-2-Clause
// What a checked policy grants, clause by clause, in plain words (the body of 'explain').
// Backend fidelity is added by enforce/ (fidelity.h); this layer only says what is granted.

#ifndef STOCKADE_POLICY_DESCRIBE_H_
#define STOCKADE_POLICY_DESCRIBE_H_

#include <string>
#include <vector>

#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

struct ClauseDescription {
  std::string clause;  // clause id (clauses.h), "syscalls", "descriptors", "limits.memoryuse"
  std::string title;   // "System calls (linux)"
  SourceSpan span;     // where the clause is written; invalid for a default
  std::vector<std::string> lines;  // plain-word statements, one grant or denial each
};

// Describes every clause of `policy`, defaults included (a default is described as such), for
// one target (syscall sets and constant values differ per target).
std::vector<ClauseDescription> DescribePolicy(const Policy& policy, Target target);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_DESCRIBE_H_
