// SPDX-License-Identifier: BSD-2-Clause
// The policy checker: file -> extends chain -> merged syntax tree -> resolved, validated IR.

#ifndef STOCKADE_POLICY_CHECK_H_
#define STOCKADE_POLICY_CHECK_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/load.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

struct CheckOptions {
  LoadLimits limits;
};

// Checks the policy in `path` and everything it extends. Every problem goes to `diags`
// (errors and warnings, several per run). Returns the IR only when there are no errors.
// Returns an Error (and no IR) when `path` itself cannot be read as a policy file (missing,
// unreadable, a directory): the CLI maps that to exit code 2. A file named by 'extends' that
// cannot be read is a diagnostic, located at the 'extends' entry.
Expected<std::optional<Policy>> CheckFile(const std::filesystem::path& path, SourceSet& sources,
                                          Diagnostics& diags, const CheckOptions& options = {});

// Checks policy text already in `sources` as buffer `file`, with no file system access for the
// root (extends entries are still read relative to the buffer's path). Used by fuzzers and tests.
std::optional<Policy> CheckBuffer(SourceSet& sources, FileId file, Diagnostics& diags,
                                  const CheckOptions& options = {});

// Checks a syntax tree that is already merged (no 'extends' left). Resolution and validation
// only; exposed for tests and the plan fuzzer.
std::optional<Policy> CheckDocument(const Node& root, const SourceSet& sources, Diagnostics& diags);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_CHECK_H_
