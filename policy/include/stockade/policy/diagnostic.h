// SPDX-License-Identifier: BSD-2-Clause
// Diagnostics: how every stage reports a policy author's mistakes. Stages append to one
// Diagnostics sink and keep going; the CLI renders (render.h). A stage does not run when an
// earlier stage reported errors.

#ifndef STOCKADE_POLICY_DIAGNOSTIC_H_
#define STOCKADE_POLICY_DIAGNOSTIC_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stockade/policy/source.h"

namespace stockade::policy {

enum class Severity { kError, kWarning, kNote };

struct DiagnosticNote {
  SourceSpan span;
  std::string message;

  bool operator==(const DiagnosticNote&) const = default;
};

struct Diagnostic {
  Severity severity = Severity::kError;
  // Stable kebab-case name, documented in docs/diagnostics.md ("unknown-syscall"). Tests match
  // on it, not on the prose.
  std::string name;
  SourceSpan span;       // the smallest culprit: the bad value, not its mapping
  std::string message;   // what is wrong, quoting the token
  std::string expected;  // what would be valid, with a suggestion where one is near
  std::vector<DiagnosticNote> notes;

  Diagnostic& AddNote(SourceSpan span, std::string message) {
    notes.push_back({span, std::move(message)});
    return *this;
  }
};

// The sink. Not thread-safe; one per check.
class Diagnostics {
 public:
  // At most this many errors are kept; later ones are counted, and the renderer says
  // "too many errors; stopping after 50".
  static constexpr size_t kMaxErrors = 50;

  Diagnostic& AddError(std::string_view name, SourceSpan span, std::string message,
                       std::string expected);
  Diagnostic& AddWarning(std::string_view name, SourceSpan span, std::string message,
                         std::string expected);

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  size_t warning_count() const { return warning_count_; }
  // Errors that were counted but not kept because of kMaxErrors.
  size_t dropped_errors() const { return dropped_; }

  // Returns the diagnostics sorted by file (in the order files were added to the SourceSet;
  // spans without a file last), line and column, with exact duplicates removed. Diagnostics
  // whose headlines are equal (span, severity, name, message, expected) but whose notes differ
  // are merged into the first one reported, which gains the notes it lacked, in order.
  std::vector<Diagnostic> Sorted() const;
  const std::vector<Diagnostic>& all() const { return diagnostics_; }
  // For passes that annotate what earlier passes reported (the extends chain adds notes).
  std::vector<Diagnostic>& mutable_all() { return diagnostics_; }

 private:
  Diagnostic& Add(Severity severity, std::string_view name, SourceSpan span, std::string message,
                  std::string expected);
  std::vector<Diagnostic> diagnostics_;
  Diagnostic overflow_;  // receives notes for errors beyond kMaxErrors
  size_t error_count_ = 0;
  size_t warning_count_ = 0;
  size_t dropped_ = 0;
};

// Returns the closest of `candidates` to `word` (Levenshtein distance, case-insensitive), or
// an empty view if none is close enough to be a plausible typo.
std::string_view NearestName(std::string_view word,
                             const std::vector<std::string_view>& candidates);

// " (did you mean 'x'?)" when a near name exists, else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace stockade::policy

#endif  // STOCKADE_POLICY_DIAGNOSTIC_H_
