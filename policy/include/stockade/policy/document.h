// SPDX-License-Identifier: BSD-2-Clause
// The syntax tree: a YAML document as plain data with a source span on every node. The loader
// (load.h) builds it from yaml-cpp's events; later passes never see yaml-cpp.

#ifndef STOCKADE_POLICY_DOCUMENT_H_
#define STOCKADE_POLICY_DOCUMENT_H_

#include <string>
#include <string_view>
#include <vector>

#include "stockade/policy/source.h"

namespace stockade::policy {

struct Node;

struct MapEntry;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMapping };

  Kind kind = Kind::kNull;
  SourceSpan span;          // the node's own text: a scalar's token, a collection's first token
  std::string scalar;       // kScalar only: the value after YAML unquoting
  bool quoted = false;      // kScalar only: written in quotes, so "true" and "42" stay strings
  std::vector<Node> items;  // kSequence only
  std::vector<MapEntry> entries;  // kMapping only, in source order, duplicates included

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_mapping() const { return kind == Kind::kMapping; }

  // Mapping lookup by key; nullptr when absent (or when this is not a mapping). With duplicate
  // keys (already reported by the loader) the first entry wins.
  const Node* Find(std::string_view key) const;
  const MapEntry* FindEntry(std::string_view key) const;

  // "a mapping", "a list", "a string", "null": for "expected X, found Y" messages.
  std::string_view KindName() const;
};

struct MapEntry {
  std::string key;
  SourceSpan key_span;
  Node value;
};

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_DOCUMENT_H_
