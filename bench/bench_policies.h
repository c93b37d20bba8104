// SPDX-License-Identifier: BSD-2-Clause
// The policies the micro benchmarks measure: the examples and bench/policies from the source
// tree, and generated ones (N-rule filters, 1,000 argument conditions), each checked like a
// file on disk before it is used.

#ifndef STOCKADE_BENCH_BENCH_POLICIES_H_
#define STOCKADE_BENCH_BENCH_POLICIES_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::bench {

struct NamedPolicy {
  std::string name;  // "examples/nginx.yaml", "generated/1000-conditions"
  std::string path;  // the file name diagnostics would show
  std::string text;
};

// The source tree this binary was configured from (STOCKADE_SOURCE_DIR), or the environment
// variable STOCKADE_SOURCE_DIR when set.
std::filesystem::path SourceDir();

// examples/*.yaml, sorted by name.
std::vector<NamedPolicy> ExamplePolicies();
// bench/policies/*.yaml (the launch rows), sorted by name.
std::vector<NamedPolicy> LaunchPolicies();

// The syscalls a filter-cost child needs itself (always allowed, never conditional).
inline constexpr std::string_view kChildSyscalls[] = {"read", "write", "exit_group",
                                                      "clock_gettime", "getppid"};
// Calls that do nothing harmful when made with six zero arguments, spread over the number
// range; the filter-cost benchmark times one of them as "a call near the end of the rules".
inline constexpr std::string_view kHarmlessCalls[] = {"gettid", "getcpu", "membarrier",
                                                      "futex_waitv", "futex_wake"};

// A policy of `rules` allow rules on as many distinct syscalls (default kill): the child's own
// calls and the harmless calls first, then syscalls in number order that check does not warn
// about. With `conditions`, every rule but the child's own has an argument condition; the
// harmless calls' conditions hold for zero arguments ("arg0 == 0"). rules >= 10.
NamedPolicy RulePolicy(int rules, bool conditions);

// `rules` allow rules with argument conditions over ten syscalls, as an ioctl and socket option
// allow-list would have them, plus a dozen unconditional ones that none of the ten is among (an
// unconditional allow would make the conditions of its syscall moot).
NamedPolicy ConditionPolicy(int rules = 1000);

// Checks `policy` into `sources`; exits with the diagnostics when it has errors, or warnings
// unless `warnings_ok` (a benchmark of a policy that is not clean would measure the wrong
// thing; the examples belong to other people and may carry a warning for a while).
policy::Policy CheckOrDie(const NamedPolicy& policy, policy::SourceSet& sources,
                          bool warnings_ok = false);

}  // namespace stockade::bench

#endif  // STOCKADE_BENCH_BENCH_POLICIES_H_
