// SPDX-License-Identifier: BSD-2-Clause
// explain's plain-word descriptions (policy/describe.h): what they quote from the policy.

#include "stockade/policy/describe.h"

#include <gtest/gtest.h>

#include <string>

#include "stockade/policy/check.h"

namespace stockade::policy {
namespace {

// Found by fuzz/policy_load_fuzzer.cc (regression zero-width-no-break-space-mid-file): a quoted
// YAML scalar may hold any code point through its escapes, and explain printed the values it
// quotes raw, terminal escapes included. It shows them as the diagnostics do.
TEST(DescribeTest, QuotedValuesAreShownNotSent) {
  SourceSet sources;
  Diagnostics diags;
  const FileId file = sources.Add(
      "p.yaml",
      "version: 1\nname: t\nexec:\n  command: [\"/bin/echo\", \"\\e[2J\\u202e\\ufeffx\"]\n");
  const std::optional<Policy> policy = CheckBuffer(sources, file, diags);
  ASSERT_TRUE(policy.has_value());
  ASSERT_EQ(policy->exec.command.at(1), "\x1b[2J\xe2\x80\xae\xef\xbb\xbfx");
  bool quoted = false;
  for (const ClauseDescription& clause : DescribePolicy(*policy, Target::kLinux)) {
    for (const std::string& line : clause.lines) {
      for (char c : line) EXPECT_NE(c, '\x1b') << clause.clause << ": " << line;
      EXPECT_EQ(line.find("\xe2\x80\xae"), std::string::npos) << line;
      quoted |= line.find("<U+001B>[2J<U+202E><U+FEFF>x") != std::string::npos;
    }
  }
  EXPECT_TRUE(quoted) << "explain no longer quotes the command";
}

}  // namespace
}  // namespace stockade::policy
