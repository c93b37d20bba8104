// SPDX-License-Identifier: BSD-2-Clause
// The linux-sim parts of the CLI that need no sandbox: 'check' refuses a syscall filter the
// kernel would refuse, and 'explain --target linux' reports fidelity from linux-sim's table.

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

#include "testing/sandbox_util.h"
#include "testing/test_util.h"

namespace stockade::testing {
namespace {

std::string ConditionPolicy(int rules) {
  std::string text = "version: 1\nname: big\nsyscalls:\n  default: kill\n  linux:\n    allow:\n";
  for (int i = 0; i < rules; ++i) {
    text += "      - {name: ioctl, when: \"arg1 == " + std::to_string(0x5400 + i) + "\"}\n";
  }
  return text;
}

TEST(LinuxCheckTest, FilterBeyondBpfLimitIsRefusedByCheck) {
  TempDir dir;
  const auto policy = dir.Write("big.yaml", ConditionPolicy(5000));
  ProgramResult result =
      RunProgram({StockadePath(), "check", "--color", "never", policy}, dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find(policy.string() + ":4:3: error[filter-too-large]: the syscall filter "
                                              "needs "),
            std::string::npos)
      << result.err;
}

TEST(LinuxCheckTest, ThousandConditionRulesFit) {
  TempDir dir;
  const auto policy = dir.Write("big.yaml", ConditionPolicy(1000));
  ProgramResult result = RunProgram({StockadePath(), "check", policy}, dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST(LinuxExplainTest, ReportsFidelityAndHostFacts) {
  ProgramResult result = RunProgram(
      {StockadePath(), "explain", (SourceDir() / "examples" / "python-runner.yaml").string()},
      SourceDir());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("This host\n  - kernel "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("linux-sim [syscalls]: exact"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("linux-sim [limits.memoryuse]: approximated"), std::string::npos);
  EXPECT_NE(result.out.find("    accepted: an OOM kill"), std::string::npos);
}

TEST(LinuxExplainTest, JsonCarriesHostFactsAndFidelity) {
  ProgramResult result = RunProgram({StockadePath(), "explain", "--format", "json",
                                     (SourceDir() / "examples" / "python-runner.yaml").string()},
                                    SourceDir());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("\"host\": [\n    \"kernel "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"backend\": \"linux-sim\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"enforceable\": true"), std::string::npos) << result.out;
}

TEST(LinuxExplainTest, RefusalExitsThree) {
  TempDir dir;
  const auto policy = dir.Write("p.yaml", "version: 1\nname: p\njail:\n  securelevel: 2\n");
  ProgramResult result =
      RunProgram({StockadePath(), "explain", "--color", "never", policy}, dir.path());
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.out.find("refused: not accepted for linux"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("error[approximated]: 'securelevel'"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace stockade::testing

namespace stockade::testing {
namespace {

// Every example accepts, with a justification, what linux-sim only approximates on a host like
// this one (root, cgroup controllers, Landlock): `explain --target linux` finds nothing to
// refuse. What a host lacks is the exception, and then the refusal must say so.
TEST(LinuxExamplesTest, ExamplesAcceptTheirLinuxApproximations) {
  if (geteuid() != 0) GTEST_SKIP() << "skipped: the examples' cgroup limits need root";
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ProgramResult result = RunProgram(
        {StockadePath(), "explain", "--color", "never", entry.path().string()}, SourceDir());
    const std::string name = entry.path().stem().string();
    if (name == "dns-resolver" && getpwnam("unbound") == nullptr) {
      EXPECT_EQ(result.exit_code, 3);
      EXPECT_NE(result.err.find("user 'unbound' does not exist on this host"), std::string::npos)
          << result.err;
      // And that is the only refusal: everything else is accepted.
      size_t errors = 0;
      for (size_t at = result.err.find("error["); at != std::string::npos;
           at = result.err.find("error[", at + 1)) {
        ++errors;
      }
      EXPECT_EQ(errors, 1u) << result.err;
      continue;
    }
    EXPECT_EQ(result.exit_code, 0) << result.err;
  }
}

}  // namespace
}  // namespace stockade::testing
