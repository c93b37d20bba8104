// SPDX-License-Identifier: BSD-2-Clause
// Diagnostics renderers: text with a source snippet for people, JSON and SARIF 2.1.0 for CI.

#include "stockade/policy/render.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "utf8.h"

namespace stockade::policy {
namespace {

using detail::DecodeUtf8;
using detail::IsBidiControl;
using detail::Utf8Char;

using nlohmann::ordered_json;

// ANSI SGR sequences in clang's palette.
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kBoldRed = "\x1b[1;31m";
constexpr std::string_view kBoldGreen = "\x1b[1;32m";
constexpr std::string_view kBoldYellow = "\x1b[1;33m";
constexpr std::string_view kBoldCyan = "\x1b[1;36m";

// Tabs in a snippet are expanded to spaces, so the caret lines up whatever the terminal's tab
// width, and golden files hold no tabs. 8 is clang's and the terminals' default.
constexpr uint32_t kTabStop = 8;
// A snippet shows at most this many display cells of a line, starting this many cells before
// the caret: a policy written as one long flow line must not print megabytes per diagnostic.
constexpr uint32_t kSnippetWidth = 100;
constexpr uint32_t kSnippetContext = 30;
constexpr std::string_view kEllipsis = "...";

std::string_view SeverityWord(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

std::string_view SeverityColor(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return kBoldRed;
    case Severity::kWarning:
      return kBoldYellow;
    case Severity::kNote:
      return kBoldCyan;
  }
  return kBoldRed;
}

bool IsUnsafe(uint32_t cp) { return detail::IsUnsafeCodePoint(cp); }

void AppendHex(std::string& out, uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
}

// clang's visible forms: "<U+001B>" for an unsafe code point, "<FF>" for a byte that is not
// UTF-8. Otherwise appends the bytes unchanged. Returns the display cells appended.
uint32_t AppendVisible(std::string& out, std::string_view text, size_t i, Utf8Char d) {
  if (d.code_point < 0) {
    const size_t before = out.size();
    out += '<';
    AppendHex(out, static_cast<unsigned char>(text[i]), 2);
    out += '>';
    return static_cast<uint32_t>(out.size() - before);
  }
  const auto cp = static_cast<uint32_t>(d.code_point);
  if (IsUnsafe(cp)) {
    const size_t before = out.size();
    out += "<U+";
    AppendHex(out, cp, cp > 0xFFFF ? 6 : 4);
    out += '>';
    return static_cast<uint32_t>(out.size() - before);
  }
  out.append(text.substr(i, d.length));
  return 1;  // one code point, one column: the same rule as SourceSet::Position
}

// `text` with every unsafe code point and stray byte made visible, so a message, note or path
// stays on one line and cannot carry terminal escapes.
void AppendPrintable(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const Utf8Char d = DecodeUtf8(text, i);
    AppendVisible(out, text, i, d);
    i += d.length;
  }
}

// Calls visit(begin, end, column, width, shown) for each code point of a source line: its byte
// range, its first display cell (0-based), its width in cells and what to print for it.
template <typename Visit>
void ForEachGlyph(std::string_view line, Visit&& visit) {
  std::string shown;
  uint32_t column = 0;
  for (size_t i = 0; i < line.size();) {
    const Utf8Char d = DecodeUtf8(line, i);
    shown.clear();
    uint32_t width;
    if (d.code_point == '\t') {
      width = kTabStop - column % kTabStop;
      shown.assign(width, ' ');
    } else {
      width = AppendVisible(shown, line, i, d);
    }
    visit(static_cast<uint32_t>(i), static_cast<uint32_t>(i + d.length), column, width,
          std::string_view(shown));
    column += width;
    i += d.length;
  }
}

void AppendLocation(std::string& out, SourceSpan span, const SourceSet& sources) {
  if (!span.valid()) {
    // Nothing in a file to point at: name the tool, as compilers do for command-line errors.
    out += "stockade";
    return;
  }
  const LineColumn at = sources.Position(span.file, span.begin);
  AppendPrintable(out, sources.path(span.file));
  out += ':' + std::to_string(at.line) + ':' + std::to_string(at.column);
}

void AppendHeadline(std::string& out, const Diagnostic& diag, const SourceSet& sources,
                    bool color) {
  if (color) out += kBold;
  AppendLocation(out, diag.span, sources);
  out += ':';
  if (color) out += kReset;
  out += ' ';
  if (color) out += SeverityColor(diag.severity);
  out += SeverityWord(diag.severity);
  if (!diag.name.empty()) {
    out += '[';
    AppendPrintable(out, diag.name);
    out += ']';
  }
  out += ':';
  if (color) out += kReset;
  out += ' ';
  if (color) out += kBold;
  AppendPrintable(out, diag.message);
  if (!diag.expected.empty()) {
    out += "; ";
    AppendPrintable(out, diag.expected);
  }
  if (color) out += kReset;
}

void AppendNote(std::string& out, const DiagnosticNote& note, const SourceSet& sources,
                bool color) {
  if (color) out += kBold;
  AppendLocation(out, note.span, sources);
  out += ':';
  if (color) out += kReset;
  out += ' ';
  if (color) out += kBoldCyan;
  out += "note:";
  if (color) out += kReset;
  out += ' ';
  AppendPrintable(out, note.message);
  out += '\n';
}

// The line holding span.begin and a caret line under the span, clipped to that line:
//    14 |       - opennat
//       |         ^~~~~~~
void AppendSnippet(std::string& out, SourceSpan span, const SourceSet& sources, bool color) {
  const uint32_t line_number = sources.Position(span.file, span.begin).line;
  // Line() drops the "\r" of a CRLF ending, so the clipping below never underlines it.
  const std::string_view line = sources.Line(span.file, line_number);
  const uint32_t line_start = sources.LineStart(span.file, line_number);
  const auto length = static_cast<uint32_t>(line.size());
  // Byte offsets within the line. Spans past the line or past the buffer are clipped; a span
  // whose end precedes its begin counts as a point.
  const uint32_t begin = std::clamp(span.begin, line_start, line_start + length) - line_start;
  const uint32_t end =
      std::clamp(std::max(span.begin, span.end), line_start, line_start + length) - line_start;

  // Pass 1: display cells of the caret and of the whole line.
  uint32_t caret_begin = UINT32_MAX;
  uint32_t caret_end = 0;
  uint32_t total = 0;
  ForEachGlyph(line,
               [&](uint32_t b, uint32_t e, uint32_t column, uint32_t width, std::string_view) {
                 if (b <= begin && begin < e) caret_begin = column;
                 if (b < end) caret_end = column + width;
                 total = column + width;
               });
  if (caret_begin == UINT32_MAX) caret_begin = total;  // the span starts at the line's end
  // An empty span, or one clipped to nothing, still gets a single '^'.
  if (end <= begin) caret_end = caret_begin + 1;

  // The window of cells to show; the whole line unless it is too long.
  uint32_t window_begin = 0;
  uint32_t window_end = UINT32_MAX;
  if (std::max(total, caret_end) > kSnippetWidth) {
    window_begin = caret_begin > kSnippetContext ? caret_begin - kSnippetContext : 0;
    window_end = window_begin + kSnippetWidth;
  }

  // Pass 2: the glyphs that fit the window entirely.
  std::string shown_text;
  uint32_t shown_begin = UINT32_MAX;
  uint32_t shown_end = 0;
  ForEachGlyph(line,
               [&](uint32_t, uint32_t, uint32_t column, uint32_t width, std::string_view shown) {
                 if (column < window_begin || column + width > window_end) return;
                 if (shown_begin == UINT32_MAX) shown_begin = column;
                 shown_end = column + width;
                 shown_text += shown;
               });
  if (shown_begin == UINT32_MAX) shown_begin = shown_end = std::min(caret_begin, total);
  const bool cut_left = shown_begin > 0;
  const bool cut_right = shown_end < total;

  const std::string number = std::to_string(line_number);
  // The gutter keeps clang's width of 5 digits and grows for longer numbers, so both lines
  // always have the same prefix width.
  const size_t gutter = std::max<size_t>(5, number.size());
  out.append(gutter - number.size(), ' ');
  out += number;
  out += " |";
  if (!shown_text.empty() || cut_left) {
    // No trailing blank after '|' on an empty line: golden files must survive editors that
    // strip trailing whitespace.
    out += ' ';
    if (cut_left) out += kEllipsis;
    out += shown_text;
    if (cut_right) out += kEllipsis;
  }
  out += '\n';

  out.append(gutter, ' ');
  out += " | ";
  if (cut_left) out.append(kEllipsis.size(), ' ');
  out.append(caret_begin - shown_begin, ' ');
  if (color) out += kBoldGreen;
  out += '^';
  // Underline to the span's end, but not past the shown text (a caret just after the line
  // end is allowed: it marks "at the end of the line").
  const uint32_t underline_end = std::min(caret_end, std::max(shown_end, caret_begin + 1));
  if (underline_end > caret_begin + 1) out.append(underline_end - caret_begin - 1, '~');
  if (color) out += kReset;
  out += '\n';
}

// SARIF wants a URI reference. Paths normally pass through unchanged; bytes that a URI may not
// hold (spaces, '%', '#', '?', ':' which would read as a scheme, non-ASCII) are
// percent-encoded as RFC 3986 asks, so odd paths still give a valid log.
std::string UriOfPath(std::string_view path) {
  std::string uri;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                       (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                       byte == '~' || byte == '/';
    if (plain) {
      uri += c;
    } else {
      uri += '%';
      AppendHex(uri, byte, 2);
    }
  }
  return uri;
}

struct Range {
  LineColumn begin;
  LineColumn end;  // exclusive: the position just after the span
};

Range RangeOf(SourceSpan span, const SourceSet& sources) {
  return {sources.Position(span.file, span.begin),
          sources.Position(span.file, std::max(span.begin, span.end))};
}

std::string FullMessage(const Diagnostic& diag) {
  if (diag.expected.empty()) return diag.message;
  return diag.message + "; " + diag.expected;
}

std::string TooManyErrors() {
  return "too many errors; stopping after " + std::to_string(Diagnostics::kMaxErrors);
}

// nlohmann throws on strings that are not UTF-8 (messages quote policy text, paths are bytes);
// no exception may leave the library, so such bytes become U+FFFD instead.
std::string Dump(const ordered_json& json) {
  return json.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

ordered_json JsonNote(const DiagnosticNote& note, const SourceSet& sources) {
  ordered_json json = ordered_json::object();
  if (note.span.valid()) {
    const LineColumn at = sources.Position(note.span.file, note.span.begin);
    json["file"] = sources.path(note.span.file);
    json["line"] = at.line;
    json["column"] = at.column;
  } else {
    json["file"] = nullptr;
    json["line"] = nullptr;
    json["column"] = nullptr;
  }
  json["message"] = note.message;
  return json;
}

ordered_json JsonDiagnostic(const Diagnostic& diag, const SourceSet& sources) {
  ordered_json json = ordered_json::object();
  json["severity"] = SeverityWord(diag.severity);
  json["name"] = diag.name;
  if (diag.span.valid()) {
    const Range range = RangeOf(diag.span, sources);
    json["file"] = sources.path(diag.span.file);
    json["line"] = range.begin.line;
    json["column"] = range.begin.column;
    json["end_line"] = range.end.line;
    json["end_column"] = range.end.column;
  } else {
    for (const char* key : {"file", "line", "column", "end_line", "end_column"}) {
      json[key] = nullptr;
    }
  }
  json["message"] = diag.message;
  json["expected"] = diag.expected;
  json["notes"] = ordered_json::array();
  for (const DiagnosticNote& note : diag.notes) json["notes"].push_back(JsonNote(note, sources));
  return json;
}

// A SARIF physicalLocation. Columns are our display columns (code points, a tab is one), which
// is SARIF's "unicodeCodePoints" column kind, declared on the run; endColumn is exclusive in
// both.
ordered_json SarifLocation(SourceSpan span, const SourceSet& sources) {
  const Range range = RangeOf(span, sources);
  ordered_json location;
  location["physicalLocation"]["artifactLocation"]["uri"] = UriOfPath(sources.path(span.file));
  ordered_json& region = location["physicalLocation"]["region"];
  region["startLine"] = range.begin.line;
  region["startColumn"] = range.begin.column;
  region["endLine"] = range.end.line;
  region["endColumn"] = range.end.column;
  return location;
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendPrintable(out, text);
  return out;
}

std::string FormatHeadline(const Diagnostic& diag, const SourceSet& sources) {
  std::string out;
  AppendHeadline(out, diag, sources, /*color=*/false);
  return out;
}

std::string RenderText(const Diagnostics& diags, const SourceSet& sources, const TextStyle& style) {
  std::string out;
  bool first = true;
  // Blocks with snippets are separated by a blank line; without snippets every line is a
  // headline or a note, and the output stays one line per record, as in STYLE §3.4.
  auto separate = [&] {
    if (!first && style.snippet) out += '\n';
    first = false;
  };
  for (const Diagnostic& diag : diags.Sorted()) {
    separate();
    AppendHeadline(out, diag, sources, style.color);
    out += '\n';
    if (style.snippet && diag.span.valid()) AppendSnippet(out, diag.span, sources, style.color);
    for (const DiagnosticNote& note : diag.notes) AppendNote(out, note, sources, style.color);
  }
  if (diags.dropped_errors() > 0) {
    separate();
    if (style.color) out += kBoldRed;
    out += TooManyErrors();
    if (style.color) out += kReset;
    out += '\n';
  }
  return out;
}

std::string RenderJson(const Diagnostics& diags, const SourceSet& sources) {
  ordered_json json;
  json["diagnostics"] = ordered_json::array();
  for (const Diagnostic& diag : diags.Sorted()) {
    json["diagnostics"].push_back(JsonDiagnostic(diag, sources));
  }
  json["errors"] = diags.error_count();
  json["warnings"] = diags.warning_count();
  json["dropped_errors"] = diags.dropped_errors();
  return Dump(json);
}

std::string RenderSarif(const Diagnostics& diags, const SourceSet& sources,
                        std::string_view tool_version) {
  const std::vector<Diagnostic> sorted = diags.Sorted();

  // One rule per distinct name, in name order; results refer to them by id and index.
  std::map<std::string, size_t, std::less<>> rule_index;
  for (const Diagnostic& diag : sorted) rule_index.emplace(diag.name, 0);
  ordered_json rules = ordered_json::array();
  for (auto& [name, index] : rule_index) {
    index = rules.size();
    rules.push_back({{"id", name}});
  }

  ordered_json results = ordered_json::array();
  for (const Diagnostic& diag : sorted) {
    ordered_json result;
    result["ruleId"] = diag.name;
    result["ruleIndex"] = rule_index.find(diag.name)->second;
    result["level"] = SeverityWord(diag.severity);
    result["message"]["text"] = FullMessage(diag);
    if (diag.span.valid()) {
      result["locations"] = ordered_json::array({SarifLocation(diag.span, sources)});
    }
    if (!diag.notes.empty()) {
      ordered_json related = ordered_json::array();
      for (const DiagnosticNote& note : diag.notes) {
        ordered_json location =
            note.span.valid() ? SarifLocation(note.span, sources) : ordered_json::object();
        location["message"]["text"] = note.message;
        related.push_back(std::move(location));
      }
      result["relatedLocations"] = std::move(related);
    }
    results.push_back(std::move(result));
  }

  ordered_json driver;
  driver["name"] = "stockade";
  if (!tool_version.empty()) driver["version"] = tool_version;
  driver["rules"] = std::move(rules);

  ordered_json run;
  run["tool"]["driver"] = std::move(driver);
  run["columnKind"] = "unicodeCodePoints";
  if (diags.dropped_errors() > 0) {
    // The results are incomplete; SARIF's place to say so is a tool execution notification.
    ordered_json notification;
    notification["level"] = "warning";
    notification["message"]["text"] = TooManyErrors();
    ordered_json invocation;
    invocation["executionSuccessful"] = true;
    invocation["toolExecutionNotifications"] = ordered_json::array({std::move(notification)});
    run["invocations"] = ordered_json::array({std::move(invocation)});
  }
  run["results"] = std::move(results);

  ordered_json log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = ordered_json::array({std::move(run)});
  return Dump(log);
}

}  // namespace stockade::policy
