// SPDX-License-Identifier: BSD-2-Clause
// The refusal rule every backend shares (enforce/fidelity.h): what accept_approximate accepts,
// at which fidelity, and what is refused with which diagnostic.

#include "stockade/enforce/fidelity.h"

#include <gtest/gtest.h>

#include <string>

#include "stockade/policy/check.h"

namespace stockade::enforce {
namespace {

// A policy with a memory limit and the given accept_approximate entries.
policy::Policy PolicyAccepting(policy::SourceSet& sources, const std::string& entries) {
  policy::Diagnostics diags;
  const policy::FileId file =
      sources.Add("p.yaml", "version: 1\nname: t\nlimits:\n  memoryuse: 64M\n  maxproc: 10\n" +
                                (entries.empty() ? "" : "accept_approximate:\n" + entries));
  std::optional<policy::Policy> checked = policy::CheckBuffer(sources, file, diags);
  EXPECT_TRUE(checked.has_value());
  return checked ? *checked : policy::Policy{};
}

Assessment Linux(Fidelity memoryuse, Fidelity maxproc) {
  Assessment a;
  a.family = BackendFamily::kLinux;
  a.backend = "linux-sim";
  a.clauses.push_back({"limits.memoryuse", {}, memoryuse, "how memoryuse is done"});
  a.clauses.push_back({"limits.maxproc", {}, maxproc, "how maxproc is done"});
  return a;
}

TEST(RefusalRuleTest, ExactNeedsNoAcceptance) {
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(sources, "");
  policy::Diagnostics diags;
  EXPECT_TRUE(CheckEnforceable(Linux(Fidelity::kExact, Fidelity::kExact), policy, true, diags));
  EXPECT_TRUE(diags.all().empty());
}

TEST(RefusalRuleTest, ApproximationsNeedAnAcceptanceForTheBackend) {
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(
      sources, "  - {clause: limits.memoryuse, backend: freebsd, justification: w}\n");
  policy::Diagnostics diags;
  EXPECT_FALSE(
      CheckEnforceable(Linux(Fidelity::kApproximated, Fidelity::kExact), policy, false, diags));
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].name, "approximated");
  EXPECT_NE(diags.all()[0].expected.find("backend: linux, justification"), std::string::npos)
      << diags.all()[0].expected;
}

TEST(RefusalRuleTest, AnApproximationAcceptanceDoesNotCoverNoEnforcementAtAll) {
  // Written for a host with the memory controller; on one without it the limit would not
  // apply at all, and the same entry must not let the program run without it.
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(
      sources, "  - {clause: limits.memoryuse, backend: linux, justification: w}\n");
  policy::Diagnostics ok;
  EXPECT_TRUE(
      CheckEnforceable(Linux(Fidelity::kApproximated, Fidelity::kExact), policy, false, ok));
  policy::Diagnostics diags;
  EXPECT_FALSE(
      CheckEnforceable(Linux(Fidelity::kNotEnforced, Fidelity::kExact), policy, false, diags));
  ASSERT_EQ(diags.all().size(), 1u);
  const policy::Diagnostic& d = diags.all()[0];
  EXPECT_EQ(d.name, "not-enforced");
  EXPECT_EQ(d.message, "'limits.memoryuse' is not enforced by linux-sim: how memoryuse is done");
  EXPECT_EQ(d.expected,
            "'fidelity: not-enforced' in its accept_approximate entry to run without it");
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "accepted here as an approximation only, not as unenforced");
  EXPECT_TRUE(d.notes[0].span.valid());
}

TEST(RefusalRuleTest, FidelityNotEnforcedAcceptsBoth) {
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(
      sources,
      "  - {clause: limits.memoryuse, fidelity: not-enforced, justification: w}\n"
      "  - {clause: limits.maxproc, backend: linux, fidelity: not-enforced, justification: w}\n");
  policy::Diagnostics diags;
  EXPECT_TRUE(CheckEnforceable(Linux(Fidelity::kNotEnforced, Fidelity::kApproximated), policy,
                               false, diags));
  EXPECT_TRUE(diags.all().empty());
  // --strict refuses every accepted clause that is not exact, saying so.
  EXPECT_FALSE(CheckEnforceable(Linux(Fidelity::kNotEnforced, Fidelity::kApproximated), policy,
                                true, diags));
  ASSERT_EQ(diags.all().size(), 2u);
  EXPECT_EQ(diags.all()[0].expected, "no approximations at all under --strict");
}

TEST(RefusalRuleTest, UnacceptedNotEnforcedSuggestsTheFidelityKey) {
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(sources, "");
  policy::Diagnostics diags;
  EXPECT_FALSE(
      CheckEnforceable(Linux(Fidelity::kExact, Fidelity::kNotEnforced), policy, false, diags));
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].expected,
            "accept_approximate: [{clause: limits.maxproc, backend: linux, fidelity: "
            "not-enforced, justification: \"why this is acceptable\"}] to run it anyway");
}

TEST(RefusalRuleTest, ABackendSpecificEntryWinsOverAGeneralOne) {
  policy::SourceSet sources;
  const policy::Policy policy = PolicyAccepting(
      sources,
      "  - {clause: limits.memoryuse, fidelity: not-enforced, justification: general}\n"
      "  - {clause: limits.memoryuse, backend: linux, justification: specific}\n");
  const policy::Acceptance* entry =
      FindAcceptance(policy, "limits.memoryuse", BackendFamily::kLinux);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->justification, "specific");
  EXPECT_FALSE(Covers(entry, Fidelity::kNotEnforced));
  EXPECT_TRUE(Covers(entry, Fidelity::kApproximated));
  const policy::Acceptance* bsd =
      FindAcceptance(policy, "limits.memoryuse", BackendFamily::kFreeBsd);
  ASSERT_NE(bsd, nullptr);
  EXPECT_EQ(bsd->justification, "general");
  EXPECT_FALSE(Covers(nullptr, Fidelity::kApproximated));
}

}  // namespace
}  // namespace stockade::enforce
