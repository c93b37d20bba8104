// SPDX-License-Identifier: BSD-2-Clause
// Internal: typed reading of syntax-tree values with diagnostics, shared by the section
// resolvers (resolve_*.cc). Every reader reports its own error against the smallest culprit
// and returns nullopt; the caller just skips the value.

#ifndef STOCKADE_POLICY_SRC_RESOLVER_H_
#define STOCKADE_POLICY_SRC_RESOLVER_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "stockade/policy/diagnostic.h"
#include "stockade/policy/document.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::policy::detail {

// A value that may carry a justification: either `X` or `{value: X, justification: "..."}`
// (for syscall rules the mapping key is `name`, handled there).
struct Granted {
  const Node* value = nullptr;
  bool justified = false;
};

class Resolver {
 public:
  Resolver(const SourceSet& sources, Diagnostics& diags) : sources_(sources), diags_(diags) {}

  Diagnostics& diags() { return diags_; }
  const SourceSet& sources() const { return sources_; }

  // Reports every key of mapping `node` that is not in `allowed` ("unknown-key", with a
  // suggestion). `where` names the mapping in messages ("in 'exec'").
  void CheckKeys(const Node& node, std::initializer_list<std::string_view> allowed,
                 std::string_view where);

  // Kind checks; each reports "wrong-type" ("'exec' must be a mapping, found a list").
  bool ExpectMapping(const Node& node, std::string_view what);
  bool ExpectSequence(const Node& node, std::string_view what);

  // A string: any scalar (quoted or not). Null and collections are "wrong-type". An empty
  // string is refused unless `allow_empty`.
  std::optional<std::string> String(const Node& node, std::string_view what,
                                    bool allow_empty = false);
  // true/false only (YAML 1.1's yes/no/on/off are refused with a hint).
  std::optional<bool> Bool(const Node& node, std::string_view what);
  // A plain (unquoted) integer: decimal, 0x hex or 0o octal, optionally negative, within
  // [min, max] ("value-out-of-range" names the range).
  std::optional<int64_t> Int(const Node& node, std::string_view what, int64_t min, int64_t max);
  // A size in bytes: an integer with an optional k/m/g/t/p/e suffix (powers of 1024).
  std::optional<uint64_t> Size(const Node& node, std::string_view what);
  // A duration in milliseconds: integer seconds, or with ms/s/m/h/d.
  std::optional<uint64_t> DurationMs(const Node& node, std::string_view what);
  // An absolute, normalised path: starts with '/', no '.', '..' or empty components, no NUL,
  // at most 1023 bytes (FreeBSD's MAXPATHLEN).
  std::optional<std::string> AbsolutePath(const Node& node, std::string_view what);
  // One of `choices` (a plain scalar), with a suggestion when it is near one.
  std::optional<std::string> Choice(const Node& node, std::string_view what,
                                    std::initializer_list<std::string_view> choices);

  // Splits `X` / `{value: X, justification: "..."}`. Reports unknown keys and an empty
  // justification. Returns a null `value` when the mapping form has no 'value'.
  Granted ReadGranted(const Node& node, std::string_view what,
                      std::string_view value_key = "value");

  // Span of a string inside a scalar node: bytes [offset, offset+length) of its value, mapped
  // back to the source when the scalar is plain or quoted without escapes; otherwise the whole
  // scalar.
  SourceSpan SubSpan(const Node& scalar, size_t offset, size_t length) const;

 private:
  const SourceSet& sources_;
  Diagnostics& diags_;
};

// Parses an unsigned or negative integer literal (decimal, 0x, 0o). Negative values are
// returned as their two's-complement 64-bit pattern with `negative` set. nullopt if malformed.
struct IntLiteral {
  uint64_t magnitude = 0;
  bool negative = false;
};
std::optional<IntLiteral> ParseIntLiteral(std::string_view text);

// True for 'root' and uid 0 in any spelling ("0", "0x0").
bool IsRootUser(std::string_view user);

// Section resolvers. Each reads one top-level key of the merged tree into `policy` and reports
// problems; none of them reads another section. Cross-section rules live in validate.cc.
void ResolveExec(const Node& node, Resolver& r, Policy& policy);
void ResolveSyscalls(const Node& node, Resolver& r, Policy& policy);
void ResolveDescriptors(const Node& node, Resolver& r, Policy& policy);
void ResolveCapabilityMode(const Node& node, Resolver& r, Policy& policy);
void ResolveIpc(const Node& node, Resolver& r, Policy& policy);
void ResolveJail(const Node& node, Resolver& r, Policy& policy);
void ResolveFilesystem(const Node& node, Resolver& r, Policy& policy);
void ResolveNetwork(const Node& node, Resolver& r, Policy& policy);
void ResolveLimits(const Node& node, Resolver& r, Policy& policy);
void ResolveMac(const Node& node, Resolver& r, Policy& policy);
void ResolveAcceptApproximate(const Node& node, Resolver& r, Policy& policy);

// Rules that span sections (contradictions, dangerous grants, unused acceptances).
void ValidatePolicy(Resolver& r, Policy& policy);

}  // namespace stockade::policy::detail

#endif  // STOCKADE_POLICY_SRC_RESOLVER_H_
