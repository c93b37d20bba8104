// SPDX-License-Identifier: BSD-2-Clause
// The Diagnostics sink and "did you mean" suggestions.

#include "stockade/policy/diagnostic.h"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace stockade::policy {

Diagnostic& Diagnostics::Add(Severity severity, std::string_view name, SourceSpan span,
                             std::string message, std::string expected) {
  if (severity == Severity::kError) {
    ++error_count_;
    if (error_count_ > kMaxErrors) {
      ++dropped_;
      overflow_ = Diagnostic{};
      return overflow_;
    }
  } else {
    ++warning_count_;
  }
  diagnostics_.push_back(
      Diagnostic{severity, std::string(name), span, std::move(message), std::move(expected), {}});
  return diagnostics_.back();
}

Diagnostic& Diagnostics::AddError(std::string_view name, SourceSpan span, std::string message,
                                  std::string expected) {
  return Add(Severity::kError, name, span, std::move(message), std::move(expected));
}

Diagnostic& Diagnostics::AddWarning(std::string_view name, SourceSpan span, std::string message,
                                    std::string expected) {
  return Add(Severity::kWarning, name, span, std::move(message), std::move(expected));
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  // The key holds every headline field, `expected` included: with a shorter key, equal
  // diagnostics separated by one that differs only in `expected` would never become adjacent,
  // and the duplicate would survive.
  auto key = [](const Diagnostic& d) {
    return std::tie(d.span.file, d.span.begin, d.span.end, d.severity, d.name, d.message,
                    d.expected);
  };
  std::vector<Diagnostic> sorted = diagnostics_;
  // Stable, so equal keys keep the order the passes reported them in.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  // Equal headlines are one problem reached twice (for example through two 'extends' chains):
  // print it once, but keep every distinct note so no chain is lost.
  std::vector<Diagnostic> unique;
  unique.reserve(sorted.size());
  for (Diagnostic& d : sorted) {
    if (unique.empty() || key(unique.back()) != key(d)) {
      unique.push_back(std::move(d));
      continue;
    }
    std::vector<DiagnosticNote>& notes = unique.back().notes;
    for (DiagnosticNote& note : d.notes) {
      if (std::find(notes.begin(), notes.end(), note) == notes.end()) {
        notes.push_back(std::move(note));
      }
    }
  }
  return unique;
}

namespace {

// Optimal string alignment distance, case-insensitive: insertions, deletions, substitutions
// and swaps of two neighbours ("raed" -> "read") each cost one.
size_t EditDistance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  std::vector<size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string_view NearestName(std::string_view word,
                             const std::vector<std::string_view>& candidates) {
  if (word.empty() || word.size() > 256) return {};
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view candidate : candidates) {
    if (candidate.size() > word.size() + 4 || word.size() > candidate.size() + 4) continue;
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // A plausible typo changes at most a third of the word (and at least one character).
  const size_t allowed = std::max<size_t>(1, word.size() / 3);
  return best_distance <= allowed ? best : std::string_view{};
}

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view nearest = NearestName(word, candidates);
  if (nearest.empty()) return "";
  return " (did you mean '" + std::string(nearest) + "'?)";
}

}  // namespace stockade::policy
