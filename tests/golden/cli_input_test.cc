// SPDX-License-Identifier: BSD-2-Clause
// `stockade check` on inputs that cannot live in the source tree: paths that are not readable
// policy files (exit code 2) and inputs too big to commit (generated here).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "golden/golden.h"
#include "testing/test_util.h"

namespace stockade::testing::golden {
namespace {

// The headline and note lines of a run, joined for readable failures.
std::string Records(const Outcome& outcome) { return FormatRecords(outcome.records); }

ProgramResult RunCli(const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  std::vector<std::string> argv = {CliPath(), "check", "--color", "never"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, cwd);
}

// ---- paths that are not readable policy files: exit code 2 ---------------------------------

TEST(CliInputTest, DirectoryIsUsageError) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "policy.yaml");
  const ProgramResult result = RunCli({"policy.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stockade: error: cannot read policy 'policy.yaml': it is a directory; expected a "
            "policy file\n");
}

TEST(CliInputTest, MissingFileIsUsageError) {
  TempDir dir;
  const ProgramResult result = RunCli({"nope.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stockade: error: cannot read policy 'nope.yaml': No such file or directory\n");
}

TEST(CliInputTest, FileWithoutReadPermissionIsUsageError) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root, which reads mode-000 files anyway; "
                    "UnreadableEvenForRoot covers an unreadable file for root";
  }
  TempDir dir;
  const std::filesystem::path file = dir.Write("secret.yaml", "version: 1\nname: t\n");
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  const ProgramResult result = RunCli({"secret.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stockade: error: cannot read policy 'secret.yaml': Permission denied\n");
}

TEST(CliInputTest, UnreadableEvenForRoot) {
  // A regular file whose read(2) fails for everyone, root included: the process's own memory
  // at offset 0 is never mapped, so reading /proc/self/mem there fails with EIO.
  TempDir dir;
  const ProgramResult result = RunCli({"/proc/self/mem"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stockade: error: cannot read policy '/proc/self/mem': Input/output error\n");
}

TEST(CliInputTest, SymlinkLoopAndFifoAreUsageErrors) {
  TempDir dir;
  std::filesystem::create_symlink("b.yaml", dir.path() / "a.yaml");
  std::filesystem::create_symlink("a.yaml", dir.path() / "b.yaml");
  const ProgramResult loop = RunCli({"a.yaml"}, dir.path());
  EXPECT_EQ(loop.exit_code, 2);
  EXPECT_EQ(loop.err,
            "stockade: error: cannot read policy 'a.yaml': Too many levels of symbolic links\n");
  ASSERT_EQ(::mkfifo((dir.path() / "fifo.yaml").c_str(), 0600), 0);
  const ProgramResult fifo = RunCli({"fifo.yaml"}, dir.path());
  EXPECT_EQ(fifo.exit_code, 2);
  EXPECT_EQ(fifo.err,
            "stockade: error: cannot read policy 'fifo.yaml': not a regular file; expected a "
            "policy file\n");
}

TEST(CliInputTest, FileOverOneMebibyteIsUsageError) {
  TempDir dir;
  dir.Write("big.yaml", "version: 1\nname: t\n#" + std::string(1 << 20, 'x') + "\n");
  const ProgramResult result = RunCli({"big.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stockade: error: cannot read policy 'big.yaml': 1048597 bytes is larger than the "
            "limit of 1048576 bytes\n");
  // Exactly at the limit it is read (and checked).
  std::string exact = "version: 1\nname: t\n#";
  exact += std::string((1 << 20) - exact.size() - 1, 'x') + "\n";
  dir.Write("exact.yaml", exact);
  EXPECT_EQ(RunCli({"exact.yaml"}, dir.path()).exit_code, 0);
}

TEST(CliInputTest, OneUnreadableFileAmongSeveral) {
  // The readable ones are still checked and reported; the exit code says a path was unusable.
  TempDir dir;
  dir.Write("bad.yaml", "version: 1\nname: t\nsycalls: {}\n");
  const ProgramResult result = RunCli({"bad.yaml", "missing.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("stockade: error: cannot read policy 'missing.yaml'"),
            std::string::npos);
  EXPECT_NE(result.err.find("bad.yaml:3:1: error[unknown-key]"), std::string::npos);
}

// ---- generated inputs: too big to commit -------------------------------------------------

TEST(CliInputTest, HugeScalarIsTooLarge) {
  TempDir dir;
  dir.Write("p.yaml", "version: 1\nname: " + std::string(70000, 'a') + "\n");
  const Outcome outcome = RunCheck(dir.path(), "p.yaml", {});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(Records(outcome),
            "# expect: {file}:2:7: error[too-large]: a value of 70000 bytes is too large; values "
            "of at most 65536 bytes\n");
}

TEST(CliInputTest, TooManyNodesIsTooLarge) {
  TempDir dir;
  std::string text = "version: 1\nname: t\nx: [";
  for (int i = 0; i < 100001; ++i) text += "1,";
  dir.Write("p.yaml", text + "1]\n");
  const Outcome outcome = RunCheck(dir.path(), "p.yaml", {});
  EXPECT_EQ(outcome.exit_code, 1);
  // The root mapping, three keys, two values and the list are 7 nodes, so node 100,001 is the
  // 99,994th item, at column 4 + 2 * 99,994 - 1.
  EXPECT_EQ(Records(outcome),
            "# expect: {file}:3:199991: error[too-large]: the document has more than 100000 "
            "values; at most 100000 values in one policy\n");
}

TEST(CliInputTest, DeepNestingIsRefusedQuickly) {
  TempDir dir;
  dir.Write("p.yaml", "version: 1\nname: t\nx: " + std::string(100000, '[') +
                          std::string(100000, ']') + "\n");
  const Outcome outcome = RunCheck(dir.path(), "p.yaml", {});
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(Records(outcome),
            "# expect: {file}:3:35: error[too-deep]: mappings and lists are nested more than 32 "
            "levels deep; at most 32 levels of nesting\n");
}

TEST(CliInputTest, EmptyWhitespaceAndNul) {
  TempDir dir;
  dir.Write("empty.yaml", "");
  dir.Write("blank.yaml", " \n\t\n\r\n");
  dir.Write("nul.yaml", std::string("version: 1\nname: t\0x\n", 20));
  for (const char* file : {"empty.yaml", "blank.yaml"}) {
    const Outcome outcome = RunCheck(dir.path(), file, {});
    EXPECT_EQ(outcome.exit_code, 1) << file;
    EXPECT_EQ(Records(outcome),
              "# expect: {file}:1:1: error[empty-file]: the policy file is empty; a YAML mapping "
              "starting with 'version: 1'\n")
        << file;
  }
  const Outcome nul = RunCheck(dir.path(), "nul.yaml", {});
  EXPECT_EQ(nul.exit_code, 1);
  EXPECT_EQ(Records(nul),
            "# expect: {file}:2:8: error[invalid-utf8]: the file contains a NUL byte; a text "
            "file in UTF-8\n");
}

}  // namespace
}  // namespace stockade::testing::golden
