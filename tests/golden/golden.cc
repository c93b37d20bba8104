// SPDX-License-Identifier: BSD-2-Clause
// Golden diagnostic files: discovery, expectation directives, running the CLI, rebasing.

#include "golden/golden.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "testing/test_util.h"

namespace stockade::testing::golden {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kExitPrefix = "# expect-exit: ";
constexpr std::string_view kArgsPrefix = "# args: ";
constexpr std::string_view kExpectPrefix = "# expect: ";
constexpr std::string_view kNotePrefix = "# expect-note: ";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Splits on '\n'; a final line without a newline is kept, the empty tail after a final
// newline is not.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string_view WithoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// A UTF-8 byte order mark is not part of the first line's text.
size_t BomLength(std::string_view text) { return StartsWith(text, "\xEF\xBB\xBF") ? 3 : 0; }

// Number of leading lines that belong to the comment block: '#' lines and blank lines.
size_t LeadingBlock(const std::vector<std::string_view>& lines) {
  size_t i = 0;
  for (; i < lines.size(); ++i) {
    std::string_view line = WithoutCr(lines[i]);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (line[0] != '#') break;
  }
  return i;
}

enum class Directive { kNone, kExit, kArgs, kExpect, kNote, kUnknown };

Directive Classify(std::string_view line) {
  if (StartsWith(line, kExitPrefix)) return Directive::kExit;
  if (StartsWith(line, kArgsPrefix)) return Directive::kArgs;
  if (StartsWith(line, kExpectPrefix)) return Directive::kExpect;
  if (StartsWith(line, kNotePrefix)) return Directive::kNote;
  // A misspelt directive must not silently become a comment that asserts nothing.
  static const std::regex kLooksLikeDirective(R"(^#\s*(expect|args)[-a-z]*\s*:.*)");
  if (std::regex_match(std::string(line), kLooksLikeDirective)) return Directive::kUnknown;
  return Directive::kNone;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

void AddCases(const fs::path& source_dir, const fs::path& folder, std::string_view suffix,
              Kind kind, std::vector<Case>& cases) {
  std::error_code ec;
  if (!fs::is_directory(source_dir / folder, ec)) return;
  for (const fs::directory_entry& entry : fs::directory_iterator(source_dir / folder)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || file.size() <= suffix.size() ||
        file.substr(file.size() - suffix.size()) != suffix) {
      continue;
    }
    Case c;
    c.path = folder / file;
    c.kind = kind;
    // "tests/golden/invalid/a-b.yaml" -> "invalid_a_b"; "examples/x.yaml" -> "examples_x".
    const fs::path short_folder =
        folder.parent_path() == "tests/golden" ? folder.filename() : folder;
    for (char ch : (short_folder / entry.path().stem()).string()) {
      const bool plain =
          (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      c.name += plain ? ch : '_';
    }
    cases.push_back(std::move(c));
  }
}

}  // namespace

void PrintTo(const Case& c, std::ostream* out) { *out << c.path.string(); }

std::vector<Case> DiscoverCases(const fs::path& source_dir) {
  std::vector<Case> cases;
  AddCases(source_dir, "tests/golden/valid", ".yaml", Kind::kValid, cases);
  AddCases(source_dir, "tests/golden/invalid", ".yaml", Kind::kInvalid, cases);
  AddCases(source_dir, "tests/golden/docs", ".good.yaml", Kind::kValid, cases);
  AddCases(source_dir, "tests/golden/docs", ".bad.yaml", Kind::kInvalid, cases);
  AddCases(source_dir, "examples", ".yaml", Kind::kExample, cases);
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.path < b.path; });
  // "a-b.yaml" and "a_b.yaml" would get one test name; gtest would then refuse to run at all.
  std::set<std::string> names;
  for (Case& c : cases) {
    if (!names.insert(c.name).second) {
      throw std::runtime_error("two golden files map to the test name " + c.name + ": rename " +
                               c.path.string());
    }
  }
  return cases;
}

Expectations ParseExpectations(std::string_view text) {
  Expectations e;
  text.remove_prefix(BomLength(text));
  const std::vector<std::string_view> lines = Lines(text);
  const size_t block = LeadingBlock(lines);
  bool prefix = true;
  for (size_t i = 0; i < block; ++i) {
    const std::string_view line = WithoutCr(lines[i]);
    const Directive directive = Classify(line);
    if (directive == Directive::kNone) {
      prefix = false;
      continue;
    }
    e.has_directives = true;
    if (prefix) e.directive_prefix = i + 1;
    switch (directive) {
      case Directive::kExit: {
        const std::string value(line.substr(kExitPrefix.size()));
        if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
          e.problems.push_back("line " + std::to_string(i + 1) + ": bad exit code '" + value + "'");
        } else if (e.exit_code) {
          e.problems.push_back("line " + std::to_string(i + 1) + ": a second '# expect-exit:'");
        } else {
          e.exit_code = std::stoi(value);
        }
        break;
      }
      case Directive::kArgs: {
        std::istringstream words{std::string(line.substr(kArgsPrefix.size()))};
        for (std::string word; words >> word;) e.args.push_back(word);
        break;
      }
      case Directive::kExpect:
        e.records.push_back({false, std::string(line.substr(kExpectPrefix.size()))});
        break;
      case Directive::kNote:
        e.records.push_back({true, std::string(line.substr(kNotePrefix.size()))});
        break;
      case Directive::kUnknown:
        e.problems.push_back("line " + std::to_string(i + 1) + ": unknown directive '" +
                             std::string(line) +
                             "' (expected '# expect-exit:', '# args:', '# expect:' or "
                             "'# expect-note:')");
        break;
      case Directive::kNone:
        break;
    }
  }
  return e;
}

std::string CliPath() {
  if (const char* cli = std::getenv("STOCKADE_CLI")) return cli;
  return STOCKADE_CLI_PATH;
}

Outcome RunCheck(const fs::path& source_dir, const fs::path& file,
                 const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CliPath(), "check", "--color", "never"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(file.string());
  const ProgramResult result = RunProgram(argv, source_dir);
  Outcome outcome;
  outcome.exit_code = result.exit_code;
  outcome.err = result.err;
  static const std::regex kNote(R"(^\S.*:[0-9]+:[0-9]+: note: .*)");
  // Snippet lines start with the gutter's blanks and blocks end with an empty line; every
  // other line is a headline, a note, or the "too many errors" trailer.
  for (std::string_view line : Lines(result.err)) {
    if (line.empty() || line[0] == ' ') continue;
    std::string text(line);
    ReplaceAll(text, file.string(), "{file}");
    if (file.has_parent_path()) ReplaceAll(text, file.parent_path().string(), "{dir}");
    const bool note = std::regex_match(text, kNote);
    outcome.records.push_back({note, std::move(text)});
  }
  return outcome;
}

std::string FormatRecords(const std::vector<Record>& records) {
  std::string out;
  for (const Record& record : records) {
    out += std::string(record.note ? kNotePrefix : kExpectPrefix) + record.text + "\n";
  }
  return out;
}

std::string Rewrite(std::string_view text, const Outcome& outcome) {
  const size_t bom = BomLength(text);
  const std::vector<std::string_view> lines = Lines(text.substr(bom));
  const std::string newline =
      !lines.empty() && !lines[0].empty() && lines[0].back() == '\r' ? "\r\n" : "\n";
  const size_t block = LeadingBlock(lines);
  std::vector<std::string> kept;
  std::optional<size_t> insert_at;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Directive directive = i < block ? Classify(WithoutCr(lines[i])) : Directive::kNone;
    if (directive == Directive::kExit || directive == Directive::kExpect ||
        directive == Directive::kNote || directive == Directive::kUnknown) {
      if (!insert_at) insert_at = kept.size();
      continue;
    }
    kept.emplace_back(lines[i]);
  }
  std::vector<std::string> fresh = {std::string(kExitPrefix) + std::to_string(outcome.exit_code) +
                                    (newline == "\r\n" ? "\r" : "")};
  for (const Record& record : outcome.records) {
    fresh.push_back(std::string(record.note ? kNotePrefix : kExpectPrefix) + record.text +
                    (newline == "\r\n" ? "\r" : ""));
  }
  kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(insert_at.value_or(0)), fresh.begin(),
              fresh.end());
  std::string out(text.substr(0, bom));
  for (const std::string& line : kept) out += line + "\n";
  // Keep a missing final newline missing: the file's last byte can matter to a test.
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

bool UpdateMode() {
  const char* update = std::getenv("STOCKADE_UPDATE_GOLDEN");
  return update != nullptr && std::string_view(update) == "1";
}

std::string ReadBytes(const fs::path& path) { return ReadFile(path); }

void WriteBytes(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace stockade::testing::golden
