// SPDX-License-Identifier: BSD-2-Clause
// The diagnostic renderers (text, JSON, SARIF) and the order Diagnostics::Sorted() gives them.

#include <gtest/gtest.h>

#include <vector>

#include "stockade/policy/diagnostic.h"

namespace stockade::policy {
namespace {

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
