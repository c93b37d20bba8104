// SPDX-License-Identifier: BSD-2-Clause
// Diagnostics renderers: text (with the source line and a caret), JSON, SARIF 2.1.0.

#ifndef STOCKADE_POLICY_RENDER_H_
#define STOCKADE_POLICY_RENDER_H_

#include <string>
#include <string_view>

#include "stockade/policy/diagnostic.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

struct TextStyle {
  bool color = false;   // ANSI colours; the CLI turns this on for terminals only
  bool snippet = true;  // the source line and caret after the first line
};

// All renderers take the diagnostics from diags.Sorted() (sorted, deduplicated), clip spans
// that run past their line or their buffer, and never throw. A span's file must be kNoFile or
// a file of `sources` (anything else is a bug and aborts through STOCKADE_CHECK).
//
// Columns everywhere are SourceSet::Position's display columns: 1-based, one per code point, a
// tab is one column. End positions are exclusive (the position just after the span).

// One diagnostic per block: the first line stands alone
// ("path:line:col: error[name]: message; expected", or "stockade: error[name]: ..." when the
// span names no file), then the source line with a caret under the span, then one line per note
// ("path:line:col: note: message"). Blocks are separated by a blank line. Ends with
// "too many errors; stopping after 50" when errors were dropped.
// In the snippet, tabs are expanded to 8-column stops, lines longer than 100 columns are cut
// around the caret with "...", and control characters, bidirectional controls and bytes that
// are not UTF-8 are shown as "<U+001B>" / "<FF>"; these also apply to messages and paths, so
// every record stays on its lines and no terminal escape gets through. With snippet = false:
// headlines and notes only, no blank lines.
std::string RenderText(const Diagnostics& diags, const SourceSet& sources,
                       const TextStyle& style = {});

// {"diagnostics":[{"severity","name","file","line","column","end_line","end_column",
//   "message","expected","notes":[{"file","line","column","message"}]}],
//  "errors":N,"warnings":N,"dropped_errors":N}
// Keys appear in this order. "file" and the positions are null for a span without a file.
// "errors" counts dropped errors too. Pretty-printed, ending with a newline.
std::string RenderJson(const Diagnostics& diags, const SourceSet& sources);

// A SARIF 2.1.0 log with one run; rule ids are the diagnostic names (one rule per distinct
// name, sorted), run.columnKind is "unicodeCodePoints", notes become relatedLocations, and
// dropped errors are reported as a tool execution notification. `tool_version` is omitted
// when empty.
std::string RenderSarif(const Diagnostics& diags, const SourceSet& sources,
                        std::string_view tool_version);

// `text` as the renderers show it: every control, bidirectional or invisible code point as
// "<U+001B>" and every byte that is not UTF-8 as "<FF>", so that it stays on one line and no
// terminal escape gets through. For any other output that quotes policy text (explain).
std::string Printable(std::string_view text);

// The first line alone, without colour or newline, as RenderText writes it (for tests and the
// report of 'run').
std::string FormatHeadline(const Diagnostic& diag, const SourceSet& sources);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_RENDER_H_
