// SPDX-License-Identifier: BSD-2-Clause
// Diagnostics renderers: text (with the source line and a caret), JSON, SARIF 2.1.0.

#ifndef STOCKADE_POLICY_RENDER_H_
#define STOCKADE_POLICY_RENDER_H_

#include <string>
#include <vector>

#include "stockade/policy/diagnostic.h"
#include "stockade/policy/source.h"

namespace stockade::policy {

struct TextStyle {
  bool color = false;   // ANSI colours; the CLI turns this on for terminals only
  bool snippet = true;  // the source line and caret after the first line
};

// One diagnostic per block: the first line stands alone
// ("path:line:col: error[name]: message; expected"), then the source line with a caret under
// the span, then notes. Ends with "too many errors; stopping after 50" when errors were dropped.
std::string RenderText(const Diagnostics& diags, const SourceSet& sources,
                       const TextStyle& style = {});

// {"diagnostics":[{"severity","name","file","line","column","end_line","end_column",
//   "message","expected","notes":[...]}], "errors":N, "warnings":N}
std::string RenderJson(const Diagnostics& diags, const SourceSet& sources);

// A SARIF 2.1.0 log with one run; rule ids are the diagnostic names.
std::string RenderSarif(const Diagnostics& diags, const SourceSet& sources,
                        std::string_view tool_version);

// The first line alone, as RenderText writes it (for tests and the report of 'run').
std::string FormatHeadline(const Diagnostic& diag, const SourceSet& sources);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_RENDER_H_
