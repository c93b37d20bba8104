// SPDX-License-Identifier: BSD-2-Clause
// Reading policy files: bytes to syntax tree, with a pre-scan that guards yaml-cpp.

#ifndef STOCKADE_POLICY_LOAD_H_
#define STOCKADE_POLICY_LOAD_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "stockade/base/expected.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/document.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

// Documented limits (docs/policy-language.md, "Limits"). Debian's yaml-cpp 0.7 cannot be
// patched, so the pre-scan refuses input beyond these before yaml-cpp sees it.
struct LoadLimits {
  size_t max_file_bytes = 1 << 20;     // 1 MiB per file
  size_t max_scalar_bytes = 64 << 10;  // 64 KiB per scalar value
  size_t max_depth = 32;               // nested mappings and lists
  size_t max_nodes = 100000;           // nodes in one document
  size_t max_extends_depth = 16;       // files in one extends chain
};

// Reads a file for checking. Fails (no diagnostics) when the path cannot be read as a policy:
// missing, unreadable, a directory or something other than a regular file, larger than
// limits.max_file_bytes. Those map to exit code 2 in the CLI; problems inside a readable file
// are diagnostics (exit code 1).
Expected<std::string> ReadPolicyFile(const std::filesystem::path& path, const LoadLimits& limits);

// Parses buffer `file` of `sources` into a syntax tree. Reports, as diagnostics: an empty file,
// invalid UTF-8, NUL bytes, nesting or size beyond the limits, malformed YAML, several documents,
// anchors, aliases, tags, and duplicate keys. Returns nullopt when the document cannot be used.
// Never throws; never crashes on any input (fuzzed by fuzz/policy_load_fuzzer.cc).
std::optional<Node> LoadDocument(const SourceSet& sources, FileId file, Diagnostics& diags,
                                 const LoadLimits& limits = {});

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_LOAD_H_
