// SPDX-License-Identifier: BSD-2-Clause
// Syntax tree lookups.

#include "stockade/policy/document.h"

namespace stockade::policy {

const MapEntry* Node::FindEntry(std::string_view key) const {
  if (kind != Kind::kMapping) return nullptr;
  for (const MapEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

const Node* Node::Find(std::string_view key) const {
  const MapEntry* entry = FindEntry(key);
  return entry ? &entry->value : nullptr;
}

std::string_view Node::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "nothing";
    case Kind::kScalar:
      return quoted ? "a quoted string" : "a scalar";
    case Kind::kSequence:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
  }
  return "nothing";
}

}  // namespace stockade::policy
