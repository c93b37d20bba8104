// SPDX-License-Identifier: BSD-2-Clause
// Runs the real `stockade check` on every golden file and every example, and compares the exit
// code and every diagnostic headline and note with the file's expectation comments.
// STOCKADE_UPDATE_GOLDEN=1 rewrites the expectations from the actual output instead.

#include "golden/golden.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/test_util.h"

namespace stockade::testing::golden {
namespace {

std::string Describe(const Outcome& outcome) {
  return "stockade exited with " + std::to_string(outcome.exit_code) + "; its stderr was:\n" +
         outcome.err;
}

class GoldenTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenTest, Check) {
  const Case& c = GetParam();
  const std::filesystem::path source = SourceDir();
  const std::filesystem::path full = source / c.path;
  std::string text = ReadBytes(full);
  Expectations expected = ParseExpectations(text);
  for (const std::string& problem : expected.problems) ADD_FAILURE() << c.path << ": " << problem;
  if (c.kind == Kind::kExample) {
    ASSERT_FALSE(expected.has_directives)
        << c.path << ": examples must check clean and carry no '# expect' directives";
  }
  Outcome outcome = RunCheck(source, c.path, expected.args);

  // Rebasing can move lines (the directive block may grow or shrink), so rewrite until the
  // output no longer changes. Valid files are only rebased when they already declare
  // diagnostics: a valid policy that starts failing must fail, not be blessed.
  const bool rebase =
      c.kind == Kind::kInvalid || (c.kind == Kind::kValid && expected.has_directives);
  if (UpdateMode() && rebase) {
    for (int round = 0; round < 4; ++round) {
      const std::string rewritten = Rewrite(text, outcome);
      if (rewritten == text) break;
      WriteBytes(full, rewritten);
      text = rewritten;
      expected = ParseExpectations(text);
      outcome = RunCheck(source, c.path, expected.args);
    }
  }

  if (c.kind == Kind::kInvalid) {
    ASSERT_TRUE(expected.exit_code.has_value())
        << c.path << " has no '# expect-exit:' line (STOCKADE_UPDATE_GOLDEN=1 writes one)\n"
        << Describe(outcome);
    EXPECT_FALSE(expected.records.empty())
        << c.path << " expects no diagnostic; an invalid file must expect at least one";
  }
  if (c.kind != Kind::kInvalid) {
    // A valid file may declare warnings it expects, never errors or a failing exit code.
    EXPECT_EQ(expected.exit_code.value_or(0), 0) << c.path << " is a valid policy: exit 0";
    for (const Record& record : expected.records) {
      EXPECT_EQ(record.text.find(": error["), std::string::npos)
          << c.path << " is a valid policy but expects an error; move it to invalid/";
    }
  }
  EXPECT_EQ(outcome.exit_code, expected.exit_code.value_or(0)) << c.path << "\n"
                                                               << Describe(outcome);
  EXPECT_EQ(FormatRecords(outcome.records), FormatRecords(expected.records))
      << c.path << ": the diagnostics differ from the expectation comments (left: actual; "
      << "STOCKADE_UPDATE_GOLDEN=1 rewrites them)";
}

std::string CaseName(const ::testing::TestParamInfo<Case>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Files, GoldenTest, ::testing::ValuesIn(DiscoverCases(SourceDir())),
                         CaseName);

// Without this, a wrong source path would discover nothing and every run would pass.
TEST(GoldenDiscoveryTest, FindsEveryKindOfFile) {
  size_t valid = 0, invalid = 0, examples = 0;
  for (const Case& c : DiscoverCases(SourceDir())) {
    valid += c.kind == Kind::kValid;
    invalid += c.kind == Kind::kInvalid;
    examples += c.kind == Kind::kExample;
  }
  EXPECT_GT(valid, 0u);
  EXPECT_GT(invalid, 0u);
  EXPECT_GT(examples, 0u);
}

// Issue 3's example set: the six realistic policies, each with a top-level 'syscalls:' clause
// (that they check clean is GoldenTest.Check on each of them).
TEST(GoldenDiscoveryTest, TheSixExamplesEachHaveASyscallsClause) {
  for (const char* name :
       {"python-runner", "nginx", "postgresql", "ci-build", "dns-resolver", "static-service"}) {
    SCOPED_TRACE(name);
    const std::string text = ReadBytes(SourceDir() / "examples" / (std::string(name) + ".yaml"));
    EXPECT_TRUE(text.rfind("syscalls:", 0) == 0 || text.find("\nsyscalls:") != std::string::npos)
        << "no top-level syscalls clause";
  }
}

TEST(GoldenFormatTest, ParsesDirectivesOfTheLeadingBlockOnly) {
  const Expectations e = ParseExpectations(
      "# expect-exit: 1\n# args: --werror\n# A comment.\n"
      "# expect: {file}:5:3: error[x]: y\n# expect-note: {file}:4:1: note: z\n\n"
      "version: 1\n# expect: ignored, not in the leading block\n");
  EXPECT_TRUE(e.problems.empty());
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(e.args, std::vector<std::string>{"--werror"});
  ASSERT_EQ(e.records.size(), 2u);
  EXPECT_EQ(e.records[0], (Record{false, "{file}:5:3: error[x]: y"}));
  EXPECT_EQ(e.records[1], (Record{true, "{file}:4:1: note: z"}));
  EXPECT_EQ(e.directive_prefix, 2u);
}

TEST(GoldenFormatTest, MisspeltDirectivesAreProblems) {
  EXPECT_EQ(ParseExpectations("# expects: {file}:1:1: error[x]: y\nversion: 1\n").problems.size(),
            1u);
  EXPECT_EQ(ParseExpectations("# expect-exit: one\nversion: 1\n").problems.size(), 1u);
  EXPECT_EQ(ParseExpectations("# expect-exit: 1\n# expect-exit: 2\n").problems.size(), 1u);
}

TEST(GoldenFormatTest, RewriteReplacesDirectivesInPlaceAndKeepsTheRest) {
  Outcome outcome;
  outcome.exit_code = 1;
  outcome.records = {{false, "{file}:3:1: error[a]: b"}, {true, "{file}:2:1: note: c"}};
  EXPECT_EQ(Rewrite("# Why this file exists.\n# expect-exit: 0\n# args: --werror\n"
                    "# expect: old\nversion: 1\n",
                    outcome),
            "# Why this file exists.\n# expect-exit: 1\n# expect: {file}:3:1: error[a]: b\n"
            "# expect-note: {file}:2:1: note: c\n# args: --werror\nversion: 1\n");
  // No directives yet: they go on top. CRLF files stay CRLF; a missing final newline stays.
  EXPECT_EQ(Rewrite("version: 1\r\nname: x", outcome),
            "# expect-exit: 1\r\n# expect: {file}:3:1: error[a]: b\r\n"
            "# expect-note: {file}:2:1: note: c\r\nversion: 1\r\nname: x");
}

}  // namespace
}  // namespace stockade::testing::golden
