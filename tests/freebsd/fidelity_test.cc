// SPDX-License-Identifier: BSD-2-Clause
// FreeBSD fidelity: capability mode against the policy's syscall set, the 14/15 differences,
// host-wide MAC rules, and the refusal rule with accepted approximations and --strict.

#include "stockade/freebsd/fidelity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "freebsd_test_util.h"
#include "stockade/freebsd/compile.h"
#include "stockade/policy/clauses.h"
#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::freebsd {
namespace {

using enforce::Fidelity;
using policy::FreeBsdRelease;

policy::Policy Check(const std::string& yaml) {
  std::string problems;
  auto policy = testing::CheckYaml(yaml, &problems);
  EXPECT_TRUE(policy) << problems << yaml.substr(0, 400);
  return policy ? *policy : policy::Policy{};
}

const enforce::ClauseFidelity* Clause(const enforce::Assessment& a, const std::string& id) {
  for (const auto& c : a.clauses) {
    if (c.clause == id) return &c;
  }
  return nullptr;
}

// The verdict on one clause, by value (an Assessment is a temporary in most checks).
enforce::ClauseFidelity Verdict(const policy::Policy& p, FreeBsdRelease release,
                                const std::string& id) {
  const enforce::Assessment a = Assess(p, release);
  const enforce::ClauseFidelity* c = Clause(a, id);
  EXPECT_TRUE(c) << "no verdict on " << id;
  return c ? *c : enforce::ClauseFidelity{"<missing>", {}, Fidelity::kNotEnforced, ""};
}

const std::string kHead = "version: 1\nname: t\nexec:\n  command: [/bin/true]\n";

// Every syscall capability mode allows on `release`.
std::vector<std::string> CapabilityModeSet(FreeBsdRelease release) {
  std::vector<std::string> out;
  for (const policy::SyscallInfo& info : policy::Syscalls(policy::Target::kFreeBsd)) {
    if (policy::FreeBsdCapabilityModeAllowed(release, info.name).value_or(false)) {
      out.emplace_back(info.name);
    }
  }
  return out;
}

std::string CapabilityModePolicy(const std::vector<std::string>& allow,
                                 const std::string& extra = "") {
  std::string list;
  for (const std::string& name : allow) list += (list.empty() ? "" : ", ") + name;
  return kHead + "capability_mode: true\nsyscalls:\n  default: kill\n" + extra +
         "  freebsd:\n    allow: [" + list + "]\n";
}

TEST(SyscallFidelityTest, NotEnforcedWithoutCapabilityMode) {
  const policy::Policy p = Check(kHead + "syscalls: {default: kill, allow: [read]}\n");
  for (FreeBsdRelease release : {FreeBsdRelease::k14, FreeBsdRelease::k15}) {
    const enforce::ClauseFidelity c = Verdict(p, release, "syscalls");
    EXPECT_EQ(c.fidelity, Fidelity::kNotEnforced);
    EXPECT_NE(c.how.find("capability_mode: true"), std::string::npos) << c.how;
  }
}

TEST(SyscallFidelityTest, ExactWhenThePolicyIsCapabilityModesSet) {
  const std::vector<std::string> set15 = CapabilityModeSet(FreeBsdRelease::k15);
  ASSERT_GT(set15.size(), 100u);
  const policy::Policy p = Check(CapabilityModePolicy(set15));
  const enforce::ClauseFidelity c = Verdict(p, FreeBsdRelease::k15, "syscalls");
  EXPECT_EQ(c.fidelity, Fidelity::kExact) << c.how;
  EXPECT_NE(c.how.find("fail with ECAPMODE where the policy says kill"), std::string::npos);

  // FreeBSD 14 lacks some of these syscalls altogether: a rule naming one is not enforced.
  std::vector<std::string> unknown_on_14;
  for (const std::string& name : set15) {
    if (!policy::FreeBsdCapabilityModeAllowed(FreeBsdRelease::k14, name)) {
      unknown_on_14.push_back(name);
    }
  }
  ASSERT_FALSE(unknown_on_14.empty());
  const enforce::ClauseFidelity c14 = Verdict(p, FreeBsdRelease::k14, "syscalls");
  EXPECT_EQ(c14.fidelity, Fidelity::kNotEnforced);
  for (const std::string& name : unknown_on_14) {
    EXPECT_NE(c14.how.find(name), std::string::npos) << name << " in " << c14.how;
  }
}

TEST(SyscallFidelityTest, FreeBsd14DiffersOnWait4VforkRfork) {
  // The 15 set without what 14 lacks: 14's capability mode forbids wait4, vfork and rfork.
  std::vector<std::string> allow;
  for (const std::string& name : CapabilityModeSet(FreeBsdRelease::k15)) {
    if (policy::FreeBsdCapabilityModeAllowed(FreeBsdRelease::k14, name)) allow.push_back(name);
  }
  const policy::Policy p = Check(CapabilityModePolicy(allow));
  const CapabilityModeComparison c14 = CompareWithCapabilityMode(p, FreeBsdRelease::k14);
  EXPECT_EQ(c14.allowed_but_forbidden, (std::vector<std::string>{"rfork", "vfork", "wait4"}));
  EXPECT_TRUE(c14.forbidden_but_allowed.empty());
  const enforce::ClauseFidelity f14 = Verdict(p, FreeBsdRelease::k14, "syscalls");
  EXPECT_EQ(f14.fidelity, Fidelity::kApproximated);
  EXPECT_NE(f14.how.find("it forbids 3 the policy allows (rfork, vfork, wait4)"), std::string::npos)
      << f14.how;
  // On 15 the same policy lacks what only 15 has, which 15's capability mode allows.
  const CapabilityModeComparison c15 = CompareWithCapabilityMode(p, FreeBsdRelease::k15);
  EXPECT_TRUE(c15.allowed_but_forbidden.empty());
  EXPECT_FALSE(c15.forbidden_but_allowed.empty());
  for (const std::string& name : c15.forbidden_but_allowed) {
    EXPECT_FALSE(policy::FreeBsdCapabilityModeAllowed(FreeBsdRelease::k14, name)) << name;
  }
}

TEST(SyscallFidelityTest, ApproximatedNamesWhatDiffers) {
  std::vector<std::string> allow = CapabilityModeSet(FreeBsdRelease::k15);
  allow.erase(std::find(allow.begin(), allow.end(), "close"));
  allow.push_back("open");  // capability mode forbids it: no global namespace
  const policy::Policy p = Check(CapabilityModePolicy(allow));
  const CapabilityModeComparison c = CompareWithCapabilityMode(p, FreeBsdRelease::k15);
  EXPECT_EQ(c.allowed_but_forbidden, std::vector<std::string>{"open"});
  EXPECT_EQ(c.forbidden_but_allowed, std::vector<std::string>{"close"});
  const enforce::ClauseFidelity f = Verdict(p, FreeBsdRelease::k15, "syscalls");
  EXPECT_EQ(f.fidelity, Fidelity::kApproximated);
  EXPECT_NE(f.how.find("it forbids 1 the policy allows (open)"), std::string::npos) << f.how;
  EXPECT_NE(f.how.find("it allows 1 the policy forbids (close)"), std::string::npos) << f.how;
}

TEST(SyscallFidelityTest, ConditionsAndSeveralDenyActionsAreApproximated) {
  const std::vector<std::string> set = CapabilityModeSet(FreeBsdRelease::k15);
  std::vector<std::string> allow;
  for (const std::string& name : set) {
    if (name != "socket" && name != "kill") allow.push_back(name);
  }
  const policy::Policy p =
      Check(CapabilityModePolicy(allow,
                                 "  allow:\n    - {name: socket, when: \"arg0 == AF_UNIX\"}\n"
                                 "  deny:\n    - {name: kill, action: {errno: EPERM}}\n"));
  const CapabilityModeComparison c = CompareWithCapabilityMode(p, FreeBsdRelease::k15);
  EXPECT_EQ(c.conditional, std::vector<std::string>{"socket"});
  EXPECT_EQ(c.forbidden_but_allowed, std::vector<std::string>{"kill"});
  EXPECT_EQ(c.deny_actions, (std::vector<std::string>{"errno EPERM", "kill"}));
  const enforce::ClauseFidelity f = Verdict(p, FreeBsdRelease::k15, "syscalls");
  EXPECT_EQ(f.fidelity, Fidelity::kApproximated);
  EXPECT_NE(f.how.find("argument conditions are not checked (socket)"), std::string::npos);
  EXPECT_NE(f.how.find("where the policy uses errno EPERM, kill"), std::string::npos) << f.how;
}

TEST(FidelityTest, FreeBsd15OnlyRightsAndParameters) {
  const policy::Policy p =
      Check(kHead +
            "capability_mode: true\n"
            "descriptors:\n  - {path: /d, fd: 3, type: directory, rights: [CAP_LOOKUP, "
            "CAP_FCHROOT]}\n"
            "jail:\n  allow.routing: {value: true, justification: test}\n"
            "  host.domainname: example\n");
  const enforce::Assessment a14 = Assess(p, FreeBsdRelease::k14);
  const enforce::Assessment a15 = Assess(p, FreeBsdRelease::k15);
  EXPECT_EQ(a14.backend, "freebsd14");
  EXPECT_EQ(Clause(a14, "descriptors")->fidelity, Fidelity::kNotEnforced);
  EXPECT_NE(Clause(a14, "descriptors")->how.find("CAP_FCHROOT (fd 3)"), std::string::npos);
  EXPECT_EQ(Clause(a15, "descriptors")->fidelity, Fidelity::kExact);
  EXPECT_EQ(Clause(a14, "allow.routing")->fidelity, Fidelity::kNotEnforced);
  EXPECT_EQ(Clause(a15, "allow.routing")->fidelity, Fidelity::kExact);
  EXPECT_EQ(Clause(a15, "allow.routing")->how, "jail parameter allow.routing = true");
  EXPECT_EQ(Clause(a14, "host.domainname")->fidelity, Fidelity::kExact);
  EXPECT_EQ(Clause(a15, "capability_mode")->fidelity, Fidelity::kExact);
}

TEST(FidelityTest, MacRules) {
  const policy::Policy numeric =
      Check(kHead +
            "mac:\n  bsdextended: [\"subject uid 1000 object gid 5:7 mode rs\"]\n"
            "  portacl: [uid:80:tcp:80]\n");
  const enforce::Assessment a = Assess(numeric, FreeBsdRelease::k15);
  EXPECT_EQ(Clause(a, "mac.bsdextended")->fidelity, Fidelity::kExact);
  EXPECT_EQ(Clause(a, "mac.portacl")->fidelity, Fidelity::kApproximated);
  EXPECT_NE(Clause(a, "mac.portacl")->how.find("host-wide"), std::string::npos);
  const policy::Policy named =
      Check(kHead + "mac:\n  bsdextended: [\"subject uid www object mode rs\"]\n");
  const enforce::ClauseFidelity c = Verdict(named, FreeBsdRelease::k15, "mac.bsdextended");
  EXPECT_EQ(c.fidelity, Fidelity::kApproximated);
  EXPECT_NE(c.how.find("names www are looked up in the host's"), std::string::npos) << c.how;
}

TEST(FidelityTest, AcceptedUnlessStrict) {
  const std::string yaml = kHead + "mac: {portacl: [uid:80:tcp:80]}\n";
  const policy::Policy refused = Check(yaml);
  policy::Diagnostics diags;
  EXPECT_FALSE(
      enforce::CheckEnforceable(Assess(refused, FreeBsdRelease::k15), refused, false, diags));
  ASSERT_EQ(diags.all().size(), 1u);
  EXPECT_EQ(diags.all()[0].name, "approximated");

  const policy::Policy accepted =
      Check(yaml +
            "accept_approximate:\n  - {clause: mac.portacl, backend: freebsd, "
            "justification: \"only this jail runs as uid 80\"}\n");
  policy::Diagnostics none;
  EXPECT_TRUE(
      enforce::CheckEnforceable(Assess(accepted, FreeBsdRelease::k15), accepted, false, none));
  EXPECT_TRUE(none.all().empty());
  policy::Diagnostics strict;
  EXPECT_FALSE(
      enforce::CheckEnforceable(Assess(accepted, FreeBsdRelease::k15), accepted, true, strict));
  ASSERT_EQ(strict.all().size(), 1u);

  // An acceptance for linux does not cover freebsd.
  const policy::Policy other =
      Check(yaml +
            "accept_approximate:\n  - {clause: mac.portacl, backend: linux, "
            "justification: \"x\"}\n");
  policy::Diagnostics diags_other;
  EXPECT_FALSE(
      enforce::CheckEnforceable(Assess(other, FreeBsdRelease::k15), other, false, diags_other));
}

TEST(FidelityTest, ExamplesHaveOneVerdictPerClauseAndAcceptTheirApproximations) {
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    std::string problems;
    auto p = testing::CheckPath(entry.path().string(), &problems);
    ASSERT_TRUE(p) << problems;
    const std::vector<policy::ClauseRef> clauses = policy::ClausesOf(*p);
    for (FreeBsdRelease release : {FreeBsdRelease::k14, FreeBsdRelease::k15}) {
      const enforce::Assessment a = Assess(*p, release);
      ASSERT_EQ(a.clauses.size(), clauses.size()) << entry.path();
      bool approximated = false;
      for (size_t i = 0; i < clauses.size(); ++i) {
        EXPECT_EQ(a.clauses[i].clause, clauses[i].id);
        EXPECT_FALSE(a.clauses[i].how.empty()) << clauses[i].id;
        approximated |= a.clauses[i].fidelity != Fidelity::kExact;
      }
      policy::Diagnostics diags;
      EXPECT_TRUE(enforce::CheckEnforceable(a, *p, false, diags))
          << entry.path() << " " << a.backend << ": "
          << (diags.all().empty() ? "" : diags.all()[0].message);
      policy::Diagnostics strict;
      EXPECT_EQ(enforce::CheckEnforceable(a, *p, true, strict), !approximated);
    }
  }
}

}  // namespace
}  // namespace stockade::freebsd
