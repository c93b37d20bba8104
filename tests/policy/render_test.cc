// SPDX-License-Identifier: BSD-2-Clause
// The diagnostic renderers (text, JSON, SARIF) and the order Diagnostics::Sorted() gives them.

#include "stockade/policy/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace stockade::policy {
namespace {

using nlohmann::json;

// The span of the `nth` occurrence (0-based) of `token` in `file`; fails the test if absent.
SourceSpan Find(const SourceSet& sources, FileId file, std::string_view token, int nth = 0) {
  const std::string_view text = sources.text(file);
  size_t at = text.find(token);
  for (int i = 0; i < nth && at != std::string_view::npos; ++i) at = text.find(token, at + 1);
  EXPECT_NE(at, std::string_view::npos) << "'" << token << "' not in " << sources.path(file);
  if (at == std::string_view::npos) return {file, 0, 0};
  return {file, static_cast<uint32_t>(at), static_cast<uint32_t>(at + token.size())};
}

SourceSpan Point(FileId file, uint32_t offset) { return {file, offset, offset}; }

class RenderTest : public ::testing::Test {
 protected:
  std::string Text(TextStyle style = {}) const { return RenderText(diags_, sources_, style); }
  json Json() const { return json::parse(RenderJson(diags_, sources_)); }
  json Sarif() const { return json::parse(RenderSarif(diags_, sources_, "0.1.0")); }

  SourceSet sources_;
  Diagnostics diags_;
};

TEST_F(RenderTest, SimpleError) {
  const FileId file = sources_.Add("p.yaml", "version: 1\nsyscalls:\n  allow:\n    - opennat\n");
  diags_.AddError("unknown-syscall", Find(sources_, file, "opennat"),
                  "unknown syscall 'opennat' for linux/x86_64",
                  "expected a libseccomp syscall name (did you mean 'openat'?)");
  EXPECT_EQ(Text(),
            "p.yaml:4:7: error[unknown-syscall]: unknown syscall 'opennat' for linux/x86_64; "
            "expected a libseccomp syscall name (did you mean 'openat'?)\n"
            "    4 |     - opennat\n"
            "      |       ^~~~~~~\n");
  EXPECT_EQ(FormatHeadline(diags_.all()[0], sources_),
            "p.yaml:4:7: error[unknown-syscall]: unknown syscall 'opennat' for linux/x86_64; "
            "expected a libseccomp syscall name (did you mean 'openat'?)");
}

TEST_F(RenderTest, WarningWithoutExpected) {
  const FileId file = sources_.Add("p.yaml", "allow:\n  mount: true\n");
  diags_.AddWarning("dangerous-grant", Find(sources_, file, "mount"),
                    "'allow.mount' lets the program mount file systems", "");
  EXPECT_EQ(Text(),
            "p.yaml:2:3: warning[dangerous-grant]: 'allow.mount' lets the program mount file "
            "systems\n"
            "    2 |   mount: true\n"
            "      |   ^~~~~\n");
}

TEST_F(RenderTest, NoteFollowsSnippet) {
  const FileId file = sources_.Add("p.yaml", "network: none\nname: x\nnetwork: host\n");
  diags_
      .AddError("duplicate-key", Find(sources_, file, "network", 1), "duplicate key 'network'",
                "each key may appear once in a mapping")
      .AddNote(Find(sources_, file, "network"), "first defined here");
  EXPECT_EQ(Text(),
            "p.yaml:3:1: error[duplicate-key]: duplicate key 'network'; each key may appear once "
            "in a mapping\n"
            "    3 | network: host\n"
            "      | ^~~~~~~\n"
            "p.yaml:1:1: note: first defined here\n");
}

TEST_F(RenderTest, NonAsciiLineCountsCodePoints) {
  // "allow: [rëad, " is 14 code points but 15 bytes; "wrïte" is 5 code points, 6 bytes.
  const FileId file = sources_.Add("p.yaml", "name: ünï\nallow: [rëad, wrïte]\n");
  diags_.AddError("unknown-syscall", Find(sources_, file, "wrïte"), "unknown syscall 'wrïte'",
                  "a syscall name");
  EXPECT_EQ(Text(),
            "p.yaml:2:15: error[unknown-syscall]: unknown syscall 'wrïte'; a syscall name\n"
            "    2 | allow: [rëad, wrïte]\n"
            "      |               ^~~~~\n");
}

TEST_F(RenderTest, TabsExpandInBothLines) {
  // The headline counts a tab as one column (1:8); the snippet expands tabs to 8-column stops
  // in the source line and the caret line alike.
  const FileId file = sources_.Add("p.yaml", "a:\t[x,\tbad]\n");
  diags_.AddError("unknown-syscall", Find(sources_, file, "bad"), "unknown syscall 'bad'", "");
  diags_.AddWarning("spread", Find(sources_, file, "x,\tbad"), "a span holding a tab", "");
  EXPECT_EQ(Text(),
            "p.yaml:1:5: warning[spread]: a span holding a tab\n"
            "    1 | a:      [x,     bad]\n"
            "      |          ^~~~~~~~~~\n"
            "\n"
            "p.yaml:1:8: error[unknown-syscall]: unknown syscall 'bad'\n"
            "    1 | a:      [x,     bad]\n"
            "      |                 ^~~\n");
}

TEST_F(RenderTest, SpanPastEndOfLineIsClipped) {
  const FileId file = sources_.Add("p.yaml", "mode: strictt\nnext: 1\n");
  const uint32_t begin = Find(sources_, file, "strictt").begin;
  // Runs into the next line, and past the buffer's end.
  diags_.AddError("bad-mode", {file, begin, begin + 12}, "unknown mode 'strictt'", "'strict'");
  diags_.AddError("bad-mode", {file, begin, 5000}, "unknown mode", "");
  EXPECT_EQ(Text(),
            "p.yaml:1:7: error[bad-mode]: unknown mode 'strictt'; 'strict'\n"
            "    1 | mode: strictt\n"
            "      |       ^~~~~~~\n"
            "\n"
            "p.yaml:1:7: error[bad-mode]: unknown mode\n"
            "    1 | mode: strictt\n"
            "      |       ^~~~~~~\n");
  // JSON reports the real end: inside line 2, and clipped to the buffer (line 3, after the
  // last "\n").
  const json out = Json();
  EXPECT_EQ(out["diagnostics"][0]["end_line"], 2);
  EXPECT_EQ(out["diagnostics"][0]["end_column"], 5);
  EXPECT_EQ(out["diagnostics"][1]["end_line"], 3);
  EXPECT_EQ(out["diagnostics"][1]["end_column"], 1);
}

TEST_F(RenderTest, SpanBeyondBufferPointsAtItsEnd) {
  const FileId file = sources_.Add("p.yaml", "a: 1\nb: 2");
  diags_.AddError("truncated", {file, 900, 1000}, "unexpected end of file", "");
  EXPECT_EQ(Text(),
            "p.yaml:2:5: error[truncated]: unexpected end of file\n"
            "    2 | b: 2\n"
            "      |     ^\n");
}

TEST_F(RenderTest, ZeroWidthSpanGetsOneCaret) {
  const FileId file = sources_.Add("p.yaml", "limits:\n  cpu: 2\n");
  const uint32_t colon = Find(sources_, file, "cpu:").begin + 3;
  diags_.AddError("missing-value", Point(file, colon), "missing value", "");
  // A point on the newline: the caret sits just after the line's last character.
  diags_.AddError("missing-key", Point(file, Find(sources_, file, "limits:").end),
                  "in 'limits': missing required key 'memory'", "");
  EXPECT_EQ(Text(),
            "p.yaml:1:8: error[missing-key]: in 'limits': missing required key 'memory'\n"
            "    1 | limits:\n"
            "      |        ^\n"
            "\n"
            "p.yaml:2:6: error[missing-value]: missing value\n"
            "    2 |   cpu: 2\n"
            "      |      ^\n");
}

TEST_F(RenderTest, EmptyFile) {
  const FileId file = sources_.Add("empty.yaml", "");
  diags_.AddError("empty-file", {file, 0, 0}, "the policy file is empty", "a policy");
  diags_.AddError("empty-file", {file, 0, 1}, "one byte past an empty buffer", "");
  EXPECT_EQ(Text(),
            "empty.yaml:1:1: error[empty-file]: the policy file is empty; a policy\n"
            "    1 |\n"
            "      | ^\n"
            "\n"
            "empty.yaml:1:1: error[empty-file]: one byte past an empty buffer\n"
            "    1 |\n"
            "      | ^\n");
}

TEST_F(RenderTest, SecondFileAndNotesNamingAnotherFile) {
  const FileId main = sources_.Add("web.yaml", "extends: base.yaml\nname: web\n");
  const FileId base = sources_.Add("lib/base.yaml", "syscalls:\n  allow: [opennat]\n");
  // Reported in reverse order: the output is sorted by file (in SourceSet order), then position.
  diags_
      .AddError("unknown-syscall", Find(sources_, base, "opennat"), "unknown syscall 'opennat'",
                "a syscall name")
      .AddNote(Find(sources_, main, "base.yaml"),
               "this policy extends 'base.yaml', which is checked first");
  diags_.AddWarning("unused-name", Find(sources_, main, "web"), "'name' is not used", "");
  EXPECT_EQ(Text(),
            "web.yaml:2:7: warning[unused-name]: 'name' is not used\n"
            "    2 | name: web\n"
            "      |       ^~~\n"
            "\n"
            "lib/base.yaml:2:11: error[unknown-syscall]: unknown syscall 'opennat'; a syscall "
            "name\n"
            "    2 |   allow: [opennat]\n"
            "      |           ^~~~~~~\n"
            "web.yaml:1:10: note: this policy extends 'base.yaml', which is checked first\n");
}

TEST_F(RenderTest, CrlfLineEndings) {
  const FileId file = sources_.Add("win.yaml", "a: 1\r\nmode: x\r\nb: 2\r\n");
  const SourceSpan x = Find(sources_, file, "x");
  diags_.AddError("bad-mode", x, "unknown mode 'x'", "");
  // A span that takes in the "\r" must not underline or print it.
  diags_.AddError("bad-mode", {file, x.begin, x.end + 2}, "with the line ending", "");
  // A point on the "\r" itself.
  diags_.AddError("missing-value", Point(file, x.end), "at the line ending", "");
  const std::string text = Text();
  EXPECT_EQ(text,
            "win.yaml:2:7: error[bad-mode]: unknown mode 'x'\n"
            "    2 | mode: x\n"
            "      |       ^\n"
            "\n"
            "win.yaml:2:7: error[bad-mode]: with the line ending\n"
            "    2 | mode: x\n"
            "      |       ^\n"
            "\n"
            "win.yaml:2:8: error[missing-value]: at the line ending\n"
            "    2 | mode: x\n"
            "      |        ^\n");
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST_F(RenderTest, TooManyErrors) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "k" + std::to_string(i) + ": v\n";
  const FileId file = sources_.Add("p.yaml", text);
  for (uint32_t line = 1; line <= 60; ++line) {
    diags_.AddError("bad-key", Point(file, sources_.LineStart(file, line)), "bad", "");
  }
  std::string expected;
  for (int line = 1; line <= 50; ++line) {
    expected += "p.yaml:" + std::to_string(line) + ":1: error[bad-key]: bad\n";
  }
  expected += "too many errors; stopping after 50\n";
  EXPECT_EQ(Text({.color = false, .snippet = false}), expected);
  // With snippets the cap line is a block of its own.
  const std::string with_snippets = Text();
  const std::string tail = "   50 | k49: v\n      | ^\n\ntoo many errors; stopping after 50\n";
  ASSERT_GE(with_snippets.size(), tail.size());
  EXPECT_EQ(with_snippets.substr(with_snippets.size() - tail.size()), tail);
  const json out = Json();
  EXPECT_EQ(out["diagnostics"].size(), 50u);
  EXPECT_EQ(out["errors"], 60);
  EXPECT_EQ(out["dropped_errors"], 10);
}

TEST_F(RenderTest, NoFileDiagnostics) {
  const FileId file = sources_.Add("p.yaml", "name: x\n");
  diags_
      .AddError("no-backend", SourceSpan{}, "no backend can enforce this policy",
                "one of linux-sim, freebsd")
      .AddNote(SourceSpan{}, "the host is neither Linux nor FreeBSD")
      .AddNote(Find(sources_, file, "name"), "named here");
  diags_.AddWarning("unused-name", Find(sources_, file, "x"), "'name' is not used", "");
  // Spans without a file sort last and print without position or snippet.
  EXPECT_EQ(Text(),
            "p.yaml:1:7: warning[unused-name]: 'name' is not used\n"
            "    1 | name: x\n"
            "      |       ^\n"
            "\n"
            "stockade: error[no-backend]: no backend can enforce this policy; one of linux-sim, "
            "freebsd\n"
            "stockade: note: the host is neither Linux nor FreeBSD\n"
            "p.yaml:1:1: note: named here\n");
}

TEST_F(RenderTest, WithoutSnippets) {
  const FileId file = sources_.Add("p.yaml", "a: 1\nb: 2\n");
  diags_.AddError("e1", Find(sources_, file, "1"), "one", "").AddNote(Point(file, 0), "n");
  diags_.AddWarning("w2", Find(sources_, file, "2"), "two", "x");
  EXPECT_EQ(Text({.color = false, .snippet = false}),
            "p.yaml:1:4: error[e1]: one\n"
            "p.yaml:1:1: note: n\n"
            "p.yaml:2:4: warning[w2]: two; x\n");
}

TEST_F(RenderTest, Colour) {
  const FileId file = sources_.Add("p.yaml", "a: bad\n");
  diags_.AddWarning("w", Find(sources_, file, "bad"), "msg", "exp").AddNote(Point(file, 0), "see");
  EXPECT_EQ(Text({.color = true, .snippet = true}),
            "\x1b[1mp.yaml:1:4:\x1b[0m \x1b[1;33mwarning[w]:\x1b[0m \x1b[1mmsg; exp\x1b[0m\n"
            "    1 | a: bad\n"
            "      |    \x1b[1;32m^~~\x1b[0m\n"
            "\x1b[1mp.yaml:1:1:\x1b[0m \x1b[1;36mnote:\x1b[0m see\n");
  // The default style has no escapes at all.
  EXPECT_EQ(Text().find('\x1b'), std::string::npos);
}

TEST_F(RenderTest, ColourOfErrorsAndCap) {
  const FileId file = sources_.Add("p.yaml", "a\n");
  for (size_t i = 0; i <= Diagnostics::kMaxErrors; ++i) {
    diags_.AddError("e", Point(file, 0), "m" + std::to_string(i % 2), "");
  }
  const std::string text = Text({.color = true, .snippet = false});
  EXPECT_EQ(text,
            "\x1b[1mp.yaml:1:1:\x1b[0m \x1b[1;31merror[e]:\x1b[0m \x1b[1mm0\x1b[0m\n"
            "\x1b[1mp.yaml:1:1:\x1b[0m \x1b[1;31merror[e]:\x1b[0m \x1b[1mm1\x1b[0m\n"
            "\x1b[1;31mtoo many errors; stopping after 50\x1b[0m\n");
}

TEST_F(RenderTest, ControlAndBidiCharactersAreShownNotSent) {
  // An ESC in the line and the message, and a right-to-left override (CVE-2021-42574), must
  // not reach the terminal; the caret still lines up with their visible forms.
  const FileId file = sources_.Add("p\x1b.yaml", "a: \"\x1b[2J\" \xe2\x80\xae bad\n");
  diags_.AddError("bad", Find(sources_, file, "bad"), "value '\x1b[2J'\nsecond line", "");
  EXPECT_EQ(Text(),
            "p<U+001B>.yaml:1:13: error[bad]: value '<U+001B>[2J'<U+000A>second line\n"
            "    1 | a: \"<U+001B>[2J\" <U+202E> bad\n"
            "      |                           ^~~\n");
}

// fuzz/regressions/policy_load_fuzzer/arabic-letter-mark-is-a-bidi-control: a file of nothing but
// U+061C drew "a policy must be a mapping" with the mark sent raw in the snippet.
TEST_F(RenderTest, ArabicLetterMarkIsShownNotSent) {
  const FileId file = sources_.Add("p.yaml", "a \xd8\x9c b\n");
  diags_.AddError("bad", Find(sources_, file, "b"), "mark '\xd8\x9c'", "");
  EXPECT_EQ(Text(),
            "p.yaml:1:5: error[bad]: mark '<U+061C>'\n"
            "    1 | a <U+061C> b\n"
            "      |            ^\n");
}

TEST_F(RenderTest, InvalidUtf8IsShownAsBytes) {
  // The loader reports "invalid-utf8" pointing at the bad byte; its snippet shows "<FF>".
  const FileId file = sources_.Add("p.yaml", "a: x\xff y\n");
  diags_.AddError("invalid-utf8", {file, 4, 5}, "byte 0xff is not valid UTF-8", "");
  diags_.AddError("bad", Find(sources_, file, "y"), "after it", "");
  EXPECT_EQ(Text(),
            "p.yaml:1:5: error[invalid-utf8]: byte 0xff is not valid UTF-8\n"
            "    1 | a: x<FF> y\n"
            "      |     ^~~~\n"
            "\n"
            "p.yaml:1:7: error[bad]: after it\n"
            "    1 | a: x<FF> y\n"
            "      |          ^\n");
  // JSON must not throw on the byte (quoted from the file into the message).
  diags_.AddError("bad", Point(file, 0), "quoted \xff", "");
  const json out = Json();
  EXPECT_EQ(out["diagnostics"][0]["message"], "quoted \xef\xbf\xbd");
}

TEST_F(RenderTest, LongLineIsCutAroundTheCaret) {
  std::string line = "allow: [";
  for (int i = 0; i < 40; ++i) line += "read, ";
  line += "opennat";
  for (int i = 0; i < 40; ++i) line += ", write";
  line += "]";
  const FileId file = sources_.Add("p.yaml", line + "\n");
  diags_.AddError("unknown-syscall", Find(sources_, file, "opennat"), "unknown", "");
  // "opennat" starts at column 249 (0-based 248); the window shows cells [218, 318).
  const std::string shown = line.substr(218, 100);
  EXPECT_EQ(Text(),
            "p.yaml:1:249: error[unknown-syscall]: unknown\n"
            "    1 | ..." +
                shown +
                "...\n"
                "      |    " +
                std::string(30, ' ') + "^~~~~~~\n");
  EXPECT_EQ(shown.substr(30, 7), "opennat");
}

TEST_F(RenderTest, LongSpanIsUnderlinedToTheCut) {
  const std::string line = std::string(150, 'x');
  const FileId file = sources_.Add("p.yaml", line + "\n");
  diags_.AddError("long", {file, 0, 150}, "long", "");
  EXPECT_EQ(Text(), "p.yaml:1:1: error[long]: long\n    1 | " + line.substr(0, 100) +
                        "...\n      | ^" + std::string(99, '~') + "\n");
}

TEST_F(RenderTest, GutterGrowsPastFiveDigits) {
  const FileId file = sources_.Add("p.yaml", std::string(123456, '\n') + "bad: 1\n");
  diags_.AddError("bad", Find(sources_, file, "bad"), "bad", "");
  EXPECT_EQ(Text(),
            "p.yaml:123457:1: error[bad]: bad\n"
            "123457 | bad: 1\n"
            "       | ^~~\n");
}

TEST_F(RenderTest, JsonHasEveryField) {
  const FileId main = sources_.Add("web.yaml", "extends: base.yaml\nname: wëb\n");
  const FileId base = sources_.Add("base.yaml", "allow: [opennat]\n");
  diags_
      .AddError("unknown-syscall", Find(sources_, base, "opennat"), "unknown syscall 'opennat'",
                "a syscall name")
      .AddNote(Find(sources_, main, "base.yaml"), "extended from here");
  diags_.AddWarning("unused-name", Find(sources_, main, "wëb"), "'name' is not used", "");
  diags_.AddError("no-backend", SourceSpan{}, "no backend", "");
  const std::string rendered = RenderJson(diags_, sources_);
  ASSERT_TRUE(json::accept(rendered)) << rendered;
  const json out = json::parse(rendered);
  const json expected = json::parse(R"({
    "diagnostics": [
      {"severity": "warning", "name": "unused-name", "file": "web.yaml", "line": 2,
       "column": 7, "end_line": 2, "end_column": 10, "message": "'name' is not used",
       "expected": "", "notes": []},
      {"severity": "error", "name": "unknown-syscall", "file": "base.yaml", "line": 1,
       "column": 9, "end_line": 1, "end_column": 16, "message": "unknown syscall 'opennat'",
       "expected": "a syscall name",
       "notes": [{"file": "web.yaml", "line": 1, "column": 10,
                  "message": "extended from here"}]},
      {"severity": "error", "name": "no-backend", "file": null, "line": null, "column": null,
       "end_line": null, "end_column": null, "message": "no backend", "expected": "",
       "notes": []}
    ],
    "errors": 2, "warnings": 1, "dropped_errors": 0})");
  EXPECT_EQ(out, expected) << rendered;
  // Keys come in the documented order.
  EXPECT_LT(rendered.find("\"severity\""), rendered.find("\"name\""));
  EXPECT_LT(rendered.find("\"end_column\""), rendered.find("\"message\""));
  EXPECT_LT(rendered.find("\"errors\""), rendered.find("\"dropped_errors\""));
  EXPECT_EQ(rendered.back(), '\n');
}

TEST_F(RenderTest, JsonOfNothing) {
  EXPECT_EQ(Json(), json::parse(R"({"diagnostics": [], "errors": 0, "warnings": 0,
                                    "dropped_errors": 0})"));
  EXPECT_EQ(Text(), "");
}

TEST_F(RenderTest, SarifLog) {
  const FileId main = sources_.Add("policies/web.yaml", "extends: base.yaml\nname: wëb\n");
  const FileId base = sources_.Add("my base#1.yaml", "allow: [opennat, \tfoo]\n");
  diags_
      .AddError("unknown-syscall", Find(sources_, base, "opennat"), "unknown syscall 'opennat'",
                "a syscall name")
      .AddNote(Find(sources_, main, "base.yaml"), "extended from here");
  diags_.AddError("unknown-syscall", Find(sources_, base, "foo"), "unknown syscall 'foo'", "");
  diags_.AddWarning("unused-name", Find(sources_, main, "wëb"), "'name' is not used", "");
  diags_.AddError("no-backend", SourceSpan{}, "no backend", "linux-sim");
  const std::string rendered = RenderSarif(diags_, sources_, "0.1.0");
  ASSERT_TRUE(json::accept(rendered)) << rendered;
  const json log = json::parse(rendered);
  EXPECT_EQ(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  EXPECT_EQ(log["version"], "2.1.0");
  ASSERT_EQ(log["runs"].size(), 1u);
  const json& run = log["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "stockade");
  EXPECT_EQ(run["tool"]["driver"]["version"], "0.1.0");
  EXPECT_EQ(run["tool"]["driver"]["rules"],
            json::parse(R"([{"id": "no-backend"}, {"id": "unknown-syscall"},
                            {"id": "unused-name"}])"));
  EXPECT_EQ(run["columnKind"], "unicodeCodePoints");
  EXPECT_FALSE(run.contains("invocations"));
  const json expected_results = json::parse(R"([
    {"ruleId": "unused-name", "ruleIndex": 2, "level": "warning",
     "message": {"text": "'name' is not used"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "policies/web.yaml"},
       "region": {"startLine": 2, "startColumn": 7, "endLine": 2, "endColumn": 10}}}]},
    {"ruleId": "unknown-syscall", "ruleIndex": 1, "level": "error",
     "message": {"text": "unknown syscall 'opennat'; a syscall name"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "my%20base%231.yaml"},
       "region": {"startLine": 1, "startColumn": 9, "endLine": 1, "endColumn": 16}}}],
     "relatedLocations": [{"physicalLocation": {
       "artifactLocation": {"uri": "policies/web.yaml"},
       "region": {"startLine": 1, "startColumn": 10, "endLine": 1, "endColumn": 19}},
       "message": {"text": "extended from here"}}]},
    {"ruleId": "unknown-syscall", "ruleIndex": 1, "level": "error",
     "message": {"text": "unknown syscall 'foo'"},
     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "my%20base%231.yaml"},
       "region": {"startLine": 1, "startColumn": 19, "endLine": 1, "endColumn": 22}}}]},
    {"ruleId": "no-backend", "ruleIndex": 0, "level": "error",
     "message": {"text": "no backend; linux-sim"}}
  ])");
  EXPECT_EQ(run["results"], expected_results) << rendered;
}

TEST_F(RenderTest, SarifNotesLevelsAndCap) {
  const FileId file = sources_.Add("p.yaml", "a: 1\n");
  for (size_t i = 0; i < Diagnostics::kMaxErrors + 3; ++i) {
    diags_.AddError("e", Point(file, 0), "m" + std::to_string(i), "");
  }
  diags_.AddWarning("w", Point(file, 3), "warn", "");
  const json log = json::parse(RenderSarif(diags_, sources_, ""));
  const json& run = log["runs"][0];
  EXPECT_FALSE(run["tool"]["driver"].contains("version"));
  EXPECT_EQ(run["results"].size(), Diagnostics::kMaxErrors + 1);
  EXPECT_EQ(run["results"][Diagnostics::kMaxErrors]["level"], "warning");
  EXPECT_EQ(run["results"][Diagnostics::kMaxErrors]["locations"][0]["physicalLocation"]["region"],
            json::parse(R"({"startLine": 1, "startColumn": 4, "endLine": 1, "endColumn": 4})"));
  EXPECT_EQ(run["invocations"], json::parse(R"([{"executionSuccessful": true,
    "toolExecutionNotifications": [{"level": "warning",
      "message": {"text": "too many errors; stopping after 50"}}]}])"));
}

TEST(SortedTest, RemovesDuplicatesThatAreNotAdjacent) {
  // Two equal errors reported around one that differs only in `expected`: a sort key without
  // `expected` leaves them apart and the duplicate survives.
  Diagnostics diags;
  const SourceSpan span{0, 3, 5};
  diags.AddError("e", span, "m", "x");
  diags.AddError("e", span, "m", "y");
  diags.AddError("e", span, "m", "x");
  const std::vector<Diagnostic> sorted = diags.Sorted();
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(sorted[0].expected, "x");
  EXPECT_EQ(sorted[1].expected, "y");
}

TEST(SortedTest, MergesNotesOfEqualHeadlines) {
  Diagnostics diags;
  const SourceSpan span{1, 3, 5};
  diags.AddError("e", span, "m", "").AddNote({0, 1, 2}, "via a.yaml");
  diags.AddError("e", span, "m", "").AddNote({0, 1, 2}, "via a.yaml").AddNote({0, 4, 5}, "b");
  diags.AddError("e", span, "m", "").AddNote({0, 1, 2}, "via c.yaml");
  const std::vector<Diagnostic> sorted = diags.Sorted();
  ASSERT_EQ(sorted.size(), 1u);
  ASSERT_EQ(sorted[0].notes.size(), 3u);
  EXPECT_EQ(sorted[0].notes[0].message, "via a.yaml");
  EXPECT_EQ(sorted[0].notes[1].message, "b");
  EXPECT_EQ(sorted[0].notes[2].message, "via c.yaml");
}

TEST(SortedTest, OrdersByFileThenPositionThenSeverity) {
  Diagnostics diags;
  diags.AddWarning("w", {1, 0, 1}, "m", "");
  diags.AddError("e", SourceSpan{}, "m", "");
  diags.AddWarning("w", {0, 7, 8}, "m", "");
  diags.AddError("e", {0, 7, 8}, "m", "");
  diags.AddError("e", {0, 2, 3}, "m", "");
  const std::vector<Diagnostic> sorted = diags.Sorted();
  ASSERT_EQ(sorted.size(), 5u);
  EXPECT_EQ(sorted[0].span, (SourceSpan{0, 2, 3}));
  EXPECT_EQ(sorted[1].span, (SourceSpan{0, 7, 8}));
  EXPECT_EQ(sorted[1].severity, Severity::kError);
  EXPECT_EQ(sorted[2].severity, Severity::kWarning);
  EXPECT_EQ(sorted[3].span, (SourceSpan{1, 0, 1}));
  EXPECT_FALSE(sorted[4].span.valid());
}

}  // namespace
}  // namespace stockade::policy
