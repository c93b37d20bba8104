// SPDX-License-Identifier: BSD-2-Clause
// Golden diagnostic files (STYLE.md §3.7, WABT style): discovery, the expectation comments a
// policy file carries, running the real `stockade check` on it, and rewriting expectations.

#ifndef STOCKADE_TESTS_GOLDEN_GOLDEN_H_
#define STOCKADE_TESTS_GOLDEN_GOLDEN_H_

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace stockade::testing::golden {

// What a golden file is held to.
enum class Kind {
  kValid,    // checks clean: exit 0 and no diagnostics, unless its directives say otherwise
  kInvalid,  // must declare '# expect-exit:' and at least one '# expect:' line
  kExample,  // examples/*.yaml: exit 0 and no diagnostics at all, no directives allowed
};

struct Case {
  std::string name;            // a gtest-safe name: "invalid_unknown_key_nested"
  std::filesystem::path path;  // relative to the source tree: tests/golden/invalid/x.yaml
  Kind kind;
};
// gtest prints parameters in test listings and failures; show the path, not bytes.
void PrintTo(const Case& c, std::ostream* out);

// Every golden file under `source_dir`, sorted by path: tests/golden/valid/*.yaml and
// tests/golden/docs/*.good.yaml (kValid), tests/golden/invalid/*.yaml and
// tests/golden/docs/*.bad.yaml (kInvalid), examples/*.yaml (kExample). Only files directly in
// those folders count: subfolders (bases/) hold files that others extend.
std::vector<Case> DiscoverCases(const std::filesystem::path& source_dir);

// One line of diagnostics output, with the checked file's path written as {file} and its
// folder as {dir}.
struct Record {
  bool note = false;  // "path:line:col: note: ..." lines
  std::string text;
  bool operator==(const Record&) const = default;
};

// The directives in a golden file's leading comment block (the '#' and blank lines before the
// first other line):
//   # expect-exit: 1           the exit code of `stockade check`
//   # args: --werror           extra arguments, before the file name
//   # expect: {file}:5:7: error[unknown-right]: ...     one headline, in output order
//   # expect-note: {file}:3:1: note: ...                 one note, after its headline
struct Expectations {
  std::optional<int> exit_code;
  std::vector<std::string> args;
  std::vector<Record> records;
  bool has_directives = false;
  // Number of leading lines that are all directives (the docs examples keep every directive
  // there, so the doc can show the policy without them).
  size_t directive_prefix = 0;
  std::vector<std::string> problems;  // malformed directives, e.g. "# expects: ..."
};
Expectations ParseExpectations(std::string_view text);

// What `stockade check --color never ARGS FILE` did, run in `source_dir`.
struct Outcome {
  int exit_code = -1;
  std::vector<Record> records;  // every stderr line that is not part of a source snippet
  std::string err;              // the whole stderr, for failure messages
};
Outcome RunCheck(const std::filesystem::path& source_dir, const std::filesystem::path& file,
                 const std::vector<std::string>& args);

// The path of the `stockade` binary: $STOCKADE_CLI, or the one this build made.
std::string CliPath();

// `text` with its expectation directives replaced by ones describing `outcome` (the '# args:'
// line and every other comment stay where they are). The new directives go where the first
// old one was, or at the top.
std::string Rewrite(std::string_view text, const Outcome& outcome);

// The lines as they would appear in a golden file ("# expect: ..."), one per line.
std::string FormatRecords(const std::vector<Record>& records);

// True when STOCKADE_UPDATE_GOLDEN=1: tests rewrite what they compare against.
bool UpdateMode();

// Reads and writes whole files as bytes.
std::string ReadBytes(const std::filesystem::path& path);
void WriteBytes(const std::filesystem::path& path, std::string_view bytes);

}  // namespace stockade::testing::golden

#endif  // STOCKADE_TESTS_GOLDEN_GOLDEN_H_
