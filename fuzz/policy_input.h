// SPDX-License-Identifier: BSD-2-Clause
// One fuzz input as a small set of in-memory policy files, checked without touching the file
// system; shared by the fuzzers that start from policy text (policy_load, plan).
//
// Format: the bytes up to the first line that starts with "#@ " are /fuzz/policy.yaml; each
// such line "#@ NAME" starts the file /fuzz/NAME (at most kMaxFiles in all). "#@" lines are
// YAML comments, so a plain policy is an input as it is, and a policy with its bases is one
// file the fuzzer can mutate as a whole. 'extends' reaches only these files.

#ifndef STOCKADE_FUZZ_POLICY_INPUT_H_
#define STOCKADE_FUZZ_POLICY_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "stockade/policy/check.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::fuzz {

inline constexpr size_t kMaxFiles = 8;
inline constexpr char kRootPath[] = "/fuzz/policy.yaml";

struct CheckedInput {
  std::map<std::string, std::string> files;  // path -> text; kRootPath first in the chain
  policy::SourceSet sources;
  policy::Diagnostics diags;
  std::optional<policy::Policy> policy;
};

// Splits the input into files (above) and checks kRootPath with an in-memory 'extends'.
std::unique_ptr<CheckedInput> CheckInput(const uint8_t* data, size_t size);

}  // namespace stockade::fuzz

#endif  // STOCKADE_FUZZ_POLICY_INPUT_H_
