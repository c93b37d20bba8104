// SPDX-License-Identifier: BSD-2-Clause
// docs/diagnostics.md against the checker: it documents exactly the diagnostic names that
// policy/src can emit, and each section embeds its golden example pair verbatim,
// tests/golden/docs/<name>.bad.yaml (a golden file: its diagnostics are pinned by
// golden_test) and <name>.good.yaml (checks clean). STOCKADE_UPDATE_GOLDEN=1 regenerates the
// embedded blocks; the prose around them is written by hand.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "golden/golden.h"
#include "testing/test_util.h"

namespace stockade::testing::golden {
namespace {

namespace fs = std::filesystem;

const fs::path kDoc = "docs/diagnostics.md";
const fs::path kExamples = "tests/golden/docs";

// Every name passed to AddError("...") / AddWarning("...") in policy/src, whatever the line
// breaks between the call and the string.
std::set<std::string> EmittedNames() {
  static const std::regex kCall(R"re(Add(Error|Warning)\(\s*"([^"]+)")re");
  std::set<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(SourceDir() / "policy/src")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    const std::string text = ReadBytes(entry.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kCall);
         it != std::sregex_iterator(); ++it) {
      names.insert((*it)[2]);
    }
  }
  return names;
}

// The "## name" headings of the doc, in order.
std::vector<std::string> Headings(const std::string& doc) {
  static const std::regex kHeading(R"(^## (.+)$)", std::regex::multiline);
  std::vector<std::string> headings;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), kHeading);
       it != std::sregex_iterator(); ++it) {
    headings.push_back((*it)[1]);
  }
  return headings;
}

// `text` as a terminal-safe Markdown block shows it, the way the text renderer shows source
// lines: a byte that is not UTF-8 becomes "<E9>", an invisible control or bidirectional
// character "<U+202E>". Only invalid-utf8 and unsafe-character examples contain either.
std::string Visible(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    size_t length = b0 < 0x80             ? 1
                    : (b0 & 0xE0) == 0xC0 ? 2
                    : (b0 & 0xF0) == 0xE0 ? 3
                    : (b0 & 0xF8) == 0xF0 ? 4
                                          : 0;
    uint32_t cp = length == 1 ? b0 : length == 2 ? b0 & 0x1F : length == 3 ? b0 & 0x0F : b0 & 0x07;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      valid = (b & 0xC0) == 0x80;
      cp = cp << 6 | (b & 0x3F);
    }
    if (!valid) {
      out += std::string("<") + kHex[b0 >> 4] + kHex[b0 & 15] + ">";
      ++i;
      continue;
    }
    const bool bidi = cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                      (cp >= 0x2066 && cp <= 0x2069);
    if (bidi || (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F) {
      char code[16];
      std::snprintf(code, sizeof(code), "<U+%04X>", cp);
      out += code;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

// The example without its leading directive lines.
std::string Body(const std::string& text, const Expectations& e) {
  size_t at = 0;
  for (size_t i = 0; i < e.directive_prefix; ++i) at = text.find('\n', at) + 1;
  return text.substr(at);
}

// A golden record as the reader of the doc would see it: {file} is the example's file name,
// {dir}/ is gone, and lines in the example move up by the directive lines the doc leaves out.
std::string Shown(const Record& record, const std::string& file, size_t shift) {
  std::string text = record.text;
  static const std::regex kAt(R"(\{file\}:([0-9]+):)");
  std::smatch match;
  std::string out;
  while (std::regex_search(text, match, kAt)) {
    size_t line = std::stoul(match[1]);
    if (line > shift) line -= shift;  // 1:1 (a file-level diagnostic) stays 1:1
    out += match.prefix().str() + file + ":" + std::to_string(line) + ":";
    text = match.suffix();
  }
  out += text;
  for (size_t at = out.find("{dir}/"); at != std::string::npos; at = out.find("{dir}/")) {
    out.erase(at, 6);
  }
  return out;
}

std::string Fence(std::string_view language, const std::string& text) {
  return "```" + std::string(language) + "\n" + text +
         (text.empty() || text.back() == '\n' ? "" : "\n") + "```\n";
}

// The generated block of `name`'s section.
std::string Generate(const std::string& name) {
  const fs::path dir = SourceDir() / kExamples;
  const std::string bad_file = name + ".bad.yaml";
  const std::string good_file = name + ".good.yaml";
  const std::string bad = ReadBytes(dir / bad_file);
  const Expectations e = ParseExpectations(bad);
  std::string out = "<!-- golden: " + name + " (generated from " + (kExamples / bad_file).string() +
                    " and " + good_file + "; STOCKADE_UPDATE_GOLDEN=1 rewrites it) -->\n\n";
  out += "Fails (`" + bad_file + "`):\n\n" + Fence("yaml", Visible(Body(bad, e)));
  // A diagnostic located in a base file: show that file too.
  std::set<std::string> shown;
  for (const Record& record : e.records) {
    if (record.note || record.text.rfind("{dir}/", 0) != 0) continue;
    const std::string base = record.text.substr(6, record.text.find(':') - 6);
    if (!shown.insert(base).second) continue;
    out += "\n`" + base + "`:\n\n" + Fence("yaml", Visible(ReadBytes(dir / base)));
  }
  std::string lines;
  for (const Record& record : e.records) {
    lines += Shown(record, bad_file, e.directive_prefix) + "\n";
  }
  out += "\n`stockade check " + bad_file + "` exits with " +
         std::to_string(e.exit_code.value_or(-1)) +
         (e.exit_code == 0 ? " (1 with `--werror`)" : "") + ":\n\n" + Fence("text", lines);
  out += "\nFixed (`" + good_file + "`):\n\n" + Fence("yaml", Visible(ReadBytes(dir / good_file)));
  out += "\n<!-- end golden -->";
  return out;
}

struct Section {
  size_t begin = 0;  // the heading
  size_t end = 0;    // the next heading, or the end of the doc
};

std::map<std::string, Section> Sections(const std::string& doc) {
  static const std::regex kHeading(R"(^## (.+)$)", std::regex::multiline);
  std::map<std::string, Section> sections;
  std::string previous;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), kHeading);
       it != std::sregex_iterator(); ++it) {
    const size_t at = static_cast<size_t>(it->position());
    if (!previous.empty()) sections[previous].end = at;
    previous = (*it)[1];
    sections[previous] = {at, doc.size()};
  }
  return sections;
}

TEST(DiagnosticsDocTest, DocumentsExactlyTheNamesTheCheckerEmits) {
  const std::set<std::string> emitted = EmittedNames();
  ASSERT_GT(emitted.size(), 40u) << "the grep of policy/src found too few names";
  const std::vector<std::string> headings = Headings(ReadBytes(SourceDir() / kDoc));
  const std::set<std::string> documented(headings.begin(), headings.end());
  for (const std::string& name : emitted) {
    EXPECT_TRUE(documented.count(name))
        << name << " is emitted by policy/src but has no '## " << name << "' in " << kDoc;
  }
  for (const std::string& name : documented) {
    EXPECT_TRUE(emitted.count(name))
        << kDoc << " documents '" << name << "', which no AddError/AddWarning in policy/src emits";
  }
  EXPECT_EQ(headings.size(), documented.size()) << "a heading appears twice";
  EXPECT_TRUE(std::is_sorted(headings.begin(), headings.end())) << "sections are alphabetical";
}

TEST(DiagnosticsDocTest, EverySectionEmbedsItsGoldenExamples) {
  const fs::path doc_path = SourceDir() / kDoc;
  std::string doc = ReadBytes(doc_path);
  const std::string original = doc;
  const std::set<std::string> emitted = EmittedNames();
  for (const std::string& name : emitted) {
    const fs::path bad = SourceDir() / kExamples / (name + ".bad.yaml");
    const fs::path good = SourceDir() / kExamples / (name + ".good.yaml");
    if (!fs::exists(bad) || !fs::exists(good)) {
      ADD_FAILURE() << name << " needs " << bad << " and " << good;
      continue;
    }
    const Expectations e = ParseExpectations(ReadBytes(bad));
    size_t directives = 0;
    bool names_it = false;
    for (const Record& record : e.records) {
      names_it = names_it || record.text.find("[" + name + "]:") != std::string::npos;
    }
    directives = e.records.size() + (e.exit_code ? 1 : 0) + (e.args.empty() ? 0 : 1);
    EXPECT_TRUE(names_it) << bad << " does not expect a diagnostic named " << name;
    EXPECT_EQ(e.directive_prefix, directives)
        << bad << ": keep every directive at the top, so the doc can leave them out";
    EXPECT_FALSE(ParseExpectations(ReadBytes(good)).has_directives)
        << good << " must check clean, without directives";

    const std::map<std::string, Section> sections = Sections(doc);
    const auto section = sections.find(name);
    if (section == sections.end()) continue;  // reported by the test above
    const std::string begin = "<!-- golden: " + name + " ";
    const std::string end = "<!-- end golden -->";
    const size_t at = doc.find(begin, section->second.begin);
    const size_t stop = at == std::string::npos ? std::string::npos : doc.find(end, at);
    if (at == std::string::npos || stop == std::string::npos || stop > section->second.end) {
      if (UpdateMode()) {
        // A new section: the prose is written by hand, the examples go after it.
        size_t insert = section->second.end;
        while (insert > 0 && doc[insert - 1] == '\n') --insert;
        doc.insert(insert, "\n\n" + Generate(name) + (insert == doc.size() ? "\n" : ""));
        continue;
      }
      ADD_FAILURE() << kDoc << ": section " << name << " has no '" << begin << "...' block"
                    << " (write the prose, then STOCKADE_UPDATE_GOLDEN=1 adds it)";
      continue;
    }
    const std::string block = doc.substr(at, stop + end.size() - at);
    const std::string generated = Generate(name);
    if (UpdateMode()) {
      doc.replace(at, block.size(), generated);
    } else {
      EXPECT_EQ(block, generated) << kDoc << ", section " << name
                                  << ", differs from its examples (STOCKADE_UPDATE_GOLDEN=1 "
                                     "rewrites it)";
    }
  }
  if (UpdateMode() && doc != original) WriteBytes(doc_path, doc);
}

TEST(DiagnosticsDocTest, NoExampleWithoutADiagnostic) {
  const std::set<std::string> emitted = EmittedNames();
  for (const fs::directory_entry& entry : fs::directory_iterator(SourceDir() / kExamples)) {
    if (!entry.is_regular_file()) continue;
    std::string file = entry.path().filename().string();
    for (std::string_view suffix : {".bad.yaml", ".good.yaml"}) {
      if (file.size() > suffix.size() && file.substr(file.size() - suffix.size()) == suffix) {
        file.resize(file.size() - suffix.size());
        EXPECT_TRUE(emitted.count(file)) << entry.path() << " is the example of no diagnostic";
        break;
      }
    }
  }
}

// Deliverable of the golden suite: every name is asserted, with its position, by at least
// one golden file that the runner checks.
TEST(GoldenCoverageTest, EveryNameIsAssertedByAGoldenFile) {
  std::set<std::string> asserted;
  static const std::regex kName(R"(:[0-9]+:[0-9]+: (error|warning)\[([a-z0-9-]+)\]:)");
  for (const Case& c : DiscoverCases(SourceDir())) {
    if (c.kind != Kind::kInvalid) continue;
    for (const Record& record : ParseExpectations(ReadBytes(SourceDir() / c.path)).records) {
      std::smatch match;
      if (std::regex_search(record.text, match, kName)) asserted.insert(match[2]);
    }
  }
  for (const std::string& name : EmittedNames()) {
    EXPECT_TRUE(asserted.count(name)) << "no golden file expects " << name;
  }
}

}  // namespace
}  // namespace stockade::testing::golden
