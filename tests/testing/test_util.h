// SPDX-License-Identifier: BSD-2-Clause
// Test helpers shared by every test binary: paths, temporary directories, reference tables.

#ifndef STOCKADE_TESTS_TESTING_TEST_UTIL_H_
#define STOCKADE_TESTS_TESTING_TEST_UTIL_H_

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stockade::testing {

// The source tree (STOCKADE_SOURCE_DIR, set by CTest; falls back to this file's tree).
std::filesystem::path SourceDir();
// The build tree (STOCKADE_BINARY_DIR).
std::filesystem::path BinaryDir();

// ../shared/reference next to the source tree, or STOCKADE_REFERENCE_DIR when set. nullopt
// when it does not exist: a fresh clone has no ../shared, and reference tests then skip with
// GTEST_SKIP() saying so.
std::optional<std::filesystem::path> ReferenceDir();

// A tab-separated reference table: '#' lines are comments, the first other line is the header.
struct Table {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};
Table ReadTsv(const std::filesystem::path& path);

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to path()/name (creating parent directories) and returns the full path.
  std::filesystem::path Write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& path);

// What a program run by RunProgram() did.
struct ProgramResult {
  int exit_code = -1;  // the exit status, or 128 + the signal number if a signal killed it
  std::string out;     // everything it wrote to stdout
  std::string err;     // everything it wrote to stderr
};

// Runs argv[0] (a path, not searched in $PATH) with `argv` in directory `cwd`, stdin from
// /dev/null, and waits for it. Output is collected through temporary files, so a program that
// writes a lot to both streams cannot deadlock against the test. Throws std::runtime_error if
// the program cannot be started.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

// Starts argv[0] (a path) with stdin, stdout and stderr on /dev/null and returns its pid without
// waiting; -1 when fork fails. The caller reaps it.
pid_t StartQuietly(const std::vector<std::string>& argv);

// The command line of process `pid` (a /proc entry name), its arguments joined by spaces; empty
// when the process is gone, which may happen while it is read.
std::string CommandLineOf(const std::string& pid);

}  // namespace stockade::testing

// Skips the current test unless the shared reference tables exist, saying why.
#define STOCKADE_REQUIRE_REFERENCE(var)                                                 \
  const std::optional<std::filesystem::path> var = ::stockade::testing::ReferenceDir(); \
  if (!var)                                                                             \
  GTEST_SKIP() << "skipped: ../shared/reference is not present in this checkout "       \
                  "(set STOCKADE_REFERENCE_DIR to compare with the reference tables)"

#endif  // STOCKADE_TESTS_TESTING_TEST_UTIL_H_
