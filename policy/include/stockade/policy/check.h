// SPDX-License-Identifier: BSD-2-Clause
// The policy checker: file -> extends chain -> merged syntax tree -> resolved, validated IR.

#ifndef STOCKADE_POLICY_CHECK_H_
#define STOCKADE_POLICY_CHECK_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/load.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

// Reads the file an 'extends' entry names: `path` is the entry joined to the extending file's
// directory and lexically normalised. Returns the text, or an Error that becomes an
// "extends-not-found" diagnostic at the entry.
using ReadBaseFunction =
    std::function<Expected<std::string>(const std::filesystem::path& path, const LoadLimits&)>;

struct CheckOptions {
  LoadLimits limits;
  // Empty: bases are read from the file system (ReadPolicyFile) and a chain is compared by
  // canonical paths (symlinks resolved). Set: every base comes from this function and paths
  // are compared lexically, so a check touches no file at all (the fuzzers' in-memory files).
  ReadBaseFunction read_base;
};

// Checks the policy in `path` and everything it extends. Every problem goes to `diags`
// (errors and warnings, several per run). Returns the IR only when there are no errors.
// Returns an Error (and no IR) when `path` itself cannot be read as a policy file (missing,
// unreadable, a directory): the CLI maps that to exit code 2. A file named by 'extends' that
// cannot be read is a diagnostic, located at the 'extends' entry.
Expected<std::optional<Policy>> CheckFile(const std::filesystem::path& path, SourceSet& sources,
                                          Diagnostics& diags, const CheckOptions& options = {});

// Checks policy text already in `sources` as buffer `file`, with no file system access for the
// root (extends entries are still read relative to the buffer's path, through
// options.read_base when set). Used by fuzzers and tests.
std::optional<Policy> CheckBuffer(SourceSet& sources, FileId file, Diagnostics& diags,
                                  const CheckOptions& options = {});

// Checks a syntax tree that is already merged (no 'extends' left). Resolution and validation
// only; exposed for tests and the plan fuzzer.
std::optional<Policy> CheckDocument(const Node& root, const SourceSet& sources, Diagnostics& diags);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_CHECK_H_
