// SPDX-License-Identifier: BSD-2-Clause
// The MAC rules as Landlock plans and fidelity, without a sandbox: what Assess says and what
// PlanSandbox builds, on hosts with every Landlock ABI (the host facts are made up here; the
// sandbox tests prove the ABI of this machine).

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "stockade/linux_sim/planner.h"
#include "stockade/policy/check.h"
#include "testing/test_util.h"

namespace stockade::linux_sim {
namespace {

using enforce::ClauseFidelity;
using enforce::Fidelity;

constexpr uint64_t kReadDir = 1ull << 3;
constexpr uint64_t kWriteFile = 1ull << 1;
constexpr uint64_t kReadFile = 1ull << 2;
constexpr uint64_t kMakeReg = 1ull << 8;
constexpr uint64_t kRefer = 1ull << 13;

HostFacts Host(int abi) {
  HostFacts host;
  host.root = true;
  host.landlock_abi = abi;
  host.seccomp_filter = true;
  host.seccomp_user_notif = true;
  return host;
}

class MacPlanTest : public ::testing::Test {
 protected:
  const policy::Policy& Check(const std::string& body) {
    policy::Diagnostics diags;
    const policy::FileId file =
        sources_.Add((dir_.path() / "policy.yaml").string(), "version: 1\nname: p\n" + body);
    auto policy = policy::CheckBuffer(sources_, file, diags);
    std::string problems;
    for (const policy::Diagnostic& d : diags.all()) problems += d.name + ": " + d.message + "\n";
    EXPECT_TRUE(policy) << problems;
    policies_.push_back(policy.value_or(policy::Policy{}));
    return policies_.back();
  }

  std::vector<ClauseFidelity> Entries(const policy::Policy& policy, const HostFacts& host,
                                      const std::string& clause) {
    std::vector<ClauseFidelity> out;
    for (const ClauseFidelity& c : Assess(policy, host).clauses) {
      if (c.clause == clause) out.push_back(c);
    }
    return out;
  }

  Expected<SandboxPlan> Plan(const policy::Policy& policy, const HostFacts& host) {
    PlanOptions options;
    options.command = {"/probe/probe"};
    return PlanSandbox(policy, sources_, host, options);
  }

  // Scratch spaces /a and /b beside the empty root.
  static std::string Scratch() {
    return "filesystem:\n  scratch:\n    - {target: /a, size: 1M}\n    - {target: /b, size: 1M}\n";
  }

  testing::TempDir dir_;
  policy::SourceSet sources_;
  std::deque<policy::Policy> policies_;
};

const LandlockFsRule* RuleOn(const SandboxPlan& plan, const std::string& path,
                             bool children = false) {
  for (const LandlockFsRule& rule : plan.landlock.fs_rules) {
    if (rule.path == path && rule.children == children) return &rule;
  }
  return nullptr;
}

// The handled rights a path rule grants: none when the plan needs no rule there.
uint64_t Access(const SandboxPlan& plan, const std::string& path) {
  const LandlockFsRule* rule = RuleOn(plan, path);
  return rule ? rule->access : 0;
}

TEST_F(MacPlanTest, FirstMatchDecidesPerFileSystem) {
  const auto& policy = Check(Scratch() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid nobody object filesys /a mode arswx\"\n"
                             "    - \"subject uid 65534 object mode rsx\"\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_TRUE(plan->landlock.enabled);
  EXPECT_TRUE(plan->landlock.handled_fs & kWriteFile);
  EXPECT_TRUE(plan->landlock.handled_fs & kRefer);
  const LandlockFsRule* a = RuleOn(*plan, "/a");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->access & kWriteFile);
  EXPECT_TRUE(a->access & kMakeReg);
  EXPECT_FALSE(Access(*plan, "/b") & kWriteFile);
  EXPECT_FALSE(Access(*plan, "/b") & kMakeReg);
  // Reversed, the catch-all rule decides /a too.
  const auto& reversed = Check(Scratch() +
                               "mac:\n  bsdextended:\n"
                               "    - \"subject uid 65534 object mode rsx\"\n"
                               "    - \"subject uid nobody object filesys /a mode arswx\"\n");
  auto plan2 = Plan(reversed, Host(7));
  ASSERT_TRUE(plan2) << plan2.error().message();
  EXPECT_FALSE(Access(*plan2, "/a") & kWriteFile);
  const auto entries = Entries(reversed, Host(7), "mac.bsdextended");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].fidelity, Fidelity::kExact);
  EXPECT_NE(entries[2].how.find("never decides for the program"), std::string::npos)
      << entries[2].how;
}

TEST_F(MacPlanTest, RulesForOtherSubjectsChangeNothing) {
  const auto& policy = Check(Scratch() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 1000:1999 object mode n\"\n"
                             "    - \"subject not gid 65534 object mode n\"\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->landlock.handled_fs, 0u);
  for (const ClauseFidelity& c : Entries(policy, Host(7), "mac.bsdextended")) {
    EXPECT_EQ(c.fidelity, Fidelity::kExact) << c.how;
  }
}

TEST_F(MacPlanTest, SearchDeniedWithholdsEverythingBeneathButListing) {
  const auto& policy = Check(Scratch() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /b mode rs\"\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  // Only read_dir is left, and it is not handled: no rule grants anything there.
  EXPECT_EQ(Access(*plan, "/b"), 0u);
  EXPECT_TRUE(plan->landlock.handled_fs & kReadFile);
  EXPECT_FALSE(plan->landlock.handled_fs & kReadDir);
  const auto entries = Entries(policy, Host(7), "mac.bsdextended");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].fidelity, Fidelity::kApproximated);
  EXPECT_NE(entries[1].how.find("directory search (x on a directory)"), std::string::npos)
      << entries[1].how;
}

TEST_F(MacPlanTest, ConditionsLandlockCannotSeeFailClosed) {
  const auto& policy = Check(Scratch() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /b uid 0 mode rsx\"\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(plan->landlock.handled_fs & kWriteFile);
  EXPECT_FALSE(Access(*plan, "/b") & kWriteFile);  // withheld from every object
  const auto entries = Entries(policy, Host(7), "mac.bsdextended");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].fidelity, Fidelity::kApproximated);
  EXPECT_NE(entries[1].how.find("Landlock cannot see owner"), std::string::npos) << entries[1].how;
}

TEST_F(MacPlanTest, DirectoriesOnTheWayToARestrictedFileSystemKeepWhatTheyShare) {
  const std::filesystem::path root = dir_.path() / "root";
  std::filesystem::create_directories(root / "srv" / "data");
  std::filesystem::create_directories(root / "usr");
  const auto& policy = Check("filesystem:\n  root: {type: directory, path: " + root.string() +
                             "}\n  scratch:\n    - {target: /srv/data, size: 1M}\n"
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /srv/data mode rsx\"\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(Access(*plan, "/") & kMakeReg);
  const LandlockFsRule* entries = RuleOn(*plan, "/", true);
  ASSERT_NE(entries, nullptr);
  EXPECT_TRUE(entries->access & kMakeReg);
  EXPECT_EQ(entries->except, (std::vector<std::string>{"dev", "proc", "srv"}));
  const LandlockFsRule* srv = RuleOn(*plan, "/srv", true);
  ASSERT_NE(srv, nullptr);
  EXPECT_EQ(srv->except, std::vector<std::string>{"data"});
  EXPECT_FALSE(Access(*plan, "/srv/data") & kWriteFile);
  EXPECT_TRUE(Access(*plan, "/usr") == 0) << "covered by the rule on the entries of /";
  const auto summary = Entries(policy, Host(7), "mac.bsdextended").front();
  EXPECT_EQ(summary.fidelity, Fidelity::kApproximated);
  EXPECT_NE(summary.how.find("/ (on the way to the file systems beneath it) keeps"),
            std::string::npos)
      << summary.how;
}

TEST_F(MacPlanTest, NoLandlockMeansNotEnforcedAndNoRunUnlessAccepted) {
  const std::string body = Scratch() +
                           "mac:\n  bsdextended:\n"
                           "    - \"subject uid 65534 object filesys /b mode rsx\"\n";
  const auto& policy = Check(body);
  for (const ClauseFidelity& c : Entries(policy, Host(0), "mac.bsdextended")) {
    EXPECT_EQ(c.fidelity, Fidelity::kNotEnforced);
    EXPECT_NE(c.how.find("this kernel has no Landlock"), std::string::npos) << c.how;
  }
  auto refused = Plan(policy, Host(0));
  ASSERT_FALSE(refused);
  EXPECT_NE(
      refused.error().message().find("policy.yaml:9:7): this kernel's Landlock cannot enforce"),
      std::string::npos)
      << refused.error().message();
  const auto& accepted = Check(body +
                               "accept_approximate:\n  - {clause: mac.bsdextended, backend: linux, "
                               "fidelity: not-enforced, justification: test}\n");
  auto plan = Plan(accepted, Host(0));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(plan->landlock.enabled);
}

TEST_F(MacPlanTest, OlderAbisSayWhatIsMissing) {
  const auto& policy = Check(Scratch() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /b mode arsx\"\n");
  const auto abi1 = Entries(policy, Host(1), "mac.bsdextended");
  EXPECT_EQ(abi1.front().fidelity, Fidelity::kApproximated);
  EXPECT_NE(abi1.front().how.find("ABI 1 has no refer right"), std::string::npos)
      << abi1.front().how;
  const auto abi2 = Entries(policy, Host(2), "mac.bsdextended");
  EXPECT_NE(abi2[1].how.find("truncating files (Landlock ABI 3)"), std::string::npos)
      << abi2[1].how;
  auto plan = Plan(policy, Host(2));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(plan->landlock.handled_fs & (1ull << 14)) << "no truncate right before ABI 3";
  const auto abi7 = Entries(policy, Host(7), "mac.bsdextended");
  EXPECT_EQ(abi7[1].fidelity, Fidelity::kApproximated);  // setxattr is not refused
  EXPECT_EQ(abi7[1].how.find("truncating"), std::string::npos) << abi7[1].how;
}

TEST_F(MacPlanTest, UnknownNamesCannotBePlanned) {
  const auto& policy =
      Check("mac:\n  bsdextended:\n    - \"subject uid no-such-user-here object mode n\"\n");
  const auto entries = Entries(policy, Host(7), "mac.bsdextended");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].fidelity, Fidelity::kNotEnforced);
  EXPECT_NE(entries[0].how.find("user 'no-such-user-here' does not exist on this host"),
            std::string::npos);
  EXPECT_FALSE(Plan(policy, Host(7)));
}

TEST_F(MacPlanTest, RootWithItsPrivilegesIsExempt) {
  const auto& policy = Check(Scratch() +
                             "exec:\n  user: {name: root, justification: test}\n"
                             "mac:\n  bsdextended:\n    - \"subject uid 0 object mode n\"\n"
                             "  portacl:\n    - uid:0:tcp:80\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->landlock.handled_fs, 0u);
  EXPECT_EQ(plan->landlock.handled_net, 0u);
  for (const char* clause : {"mac.bsdextended", "mac.portacl"}) {
    for (const ClauseFidelity& c : Entries(policy, Host(7), clause)) {
      EXPECT_EQ(c.fidelity, Fidelity::kExact) << c.how;
    }
  }
}

TEST_F(MacPlanTest, PortAclOpensTheLowestGrantedPortAndLandlockTheRest) {
  const auto& policy = Check(
      "mac:\n  portacl:\n    - uid:65534:tcp:443\n    - uid:65534:tcp:80\n"
      "    - uid:65534:tcp:81\n    - uid:1:tcp:22\n    - uid:65534:tcp:8080\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->landlock.port_floor, 80);
  EXPECT_EQ(plan->landlock.handled_net, 1u);
  std::vector<std::pair<int, int>> ranges;
  for (const LandlockNetRule& r : plan->landlock.net_rules) ranges.emplace_back(r.first, r.last);
  EXPECT_EQ(ranges,
            (std::vector<std::pair<int, int>>{{0, 0}, {80, 81}, {443, 443}, {1024, 65535}}));
  const auto entries = Entries(policy, Host(7), "mac.portacl");
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0].fidelity, Fidelity::kApproximated);  // UDP from 80 up is open
  for (size_t i = 1; i < entries.size(); ++i) EXPECT_EQ(entries[i].fidelity, Fidelity::kExact);
}

TEST_F(MacPlanTest, PortAclWithoutNetworkRulesKeepsTheFloor) {
  const auto& policy = Check("mac:\n  portacl:\n    - uid:65534:tcp:80\n");
  auto plan = Plan(policy, Host(3));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->landlock.port_floor, -1);
  EXPECT_TRUE(plan->landlock.net_rules.empty());
  const auto entries = Entries(policy, Host(3), "mac.portacl");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].fidelity, Fidelity::kApproximated);
  EXPECT_NE(entries[0].how.find("floor stays at 1024 (Landlock ABI 3 has no network rules): no "
                                "port below it can be bound, the granted ones (80) included"),
            std::string::npos)
      << entries[0].how;
  EXPECT_EQ(entries[1].fidelity, Fidelity::kApproximated);
  EXPECT_NE(entries[1].how.find("Landlock ABI 3 has no network rules"), std::string::npos)
      << entries[1].how;
}

TEST_F(MacPlanTest, PortAclWithHostNetworkKeepsTheHostsFloor) {
  const auto& policy = Check(
      "network: {mode: host, justification: test}\nmac:\n  portacl:\n    - uid:65534:tcp:80\n");
  auto plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->landlock.port_floor, -1);
  const auto entries = Entries(policy, Host(7), "mac.portacl");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].fidelity, Fidelity::kApproximated);
  EXPECT_NE(entries[1].how.find("network: host keeps the host's port floor (1024"),
            std::string::npos)
      << entries[1].how;
  // A host whose floor is below 1024 and a kernel without network rules: not enforced.
  HostFacts open = Host(3);
  open.unprivileged_port_start = 0;
  EXPECT_EQ(Entries(policy, open, "mac.portacl")[0].fidelity, Fidelity::kNotEnforced);
  EXPECT_FALSE(Plan(policy, open));
}

TEST_F(MacPlanTest, ScopesComeWithAbiSix) {
  const auto& policy = Check("network: {mode: host, justification: test}\n");
  auto plan6 = Plan(policy, Host(6));
  ASSERT_TRUE(plan6) << plan6.error().message();
  EXPECT_EQ(plan6->landlock.scoped, 3u);
  EXPECT_TRUE(plan6->landlock.enabled);
  auto plan5 = Plan(policy, Host(5));
  ASSERT_TRUE(plan5) << plan5.error().message();
  EXPECT_EQ(plan5->landlock.scoped, 0u);
  EXPECT_FALSE(plan5->landlock.enabled);
  const auto network = Entries(policy, Host(5), "network");
  ASSERT_EQ(network.size(), 1u);
  EXPECT_EQ(network[0].fidelity, Fidelity::kApproximated);
  EXPECT_EQ(Entries(policy, Host(6), "network")[0].fidelity, Fidelity::kExact);
}

// ---- the Capsicum emulation beside Landlock -----------------------------------------------

constexpr uint64_t kScopeAbstractUnixSocket = 1ull << 0;  // LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
constexpr const char* kLimitedDir =
    "descriptors:\n"
    "  - {path: /a, fd: 3, type: directory, rights: [CAP_LOOKUP, CAP_READ]}\n"
    "accept_approximate:\n"
    "  - {clause: descriptors, backend: linux, justification: test}\n"
    "  - {clause: capability_mode, backend: linux, justification: test}\n"
    "  - {clause: mac.bsdextended, backend: linux, justification: test}\n";

TEST_F(MacPlanTest, UnixSocketsAreSealedWhereTheKernelAndTheSupervisorCan) {
  const policy::Policy& policy = Check(Scratch() + kLimitedDir);
  HostFacts host = Host(7);
  host.cap_sys_admin = true;
  host.so_passrights = true;
  Expected<SandboxPlan> plan = Plan(policy, host);
  ASSERT_TRUE(plan.has_value()) << plan.error().message();
  EXPECT_TRUE(plan->capsicum.layout.SealsUnixSockets());
  // The supervisor makes the sockets, so the abstract-socket scope goes (the sandbox's own
  // network namespace holds its abstract sockets).
  EXPECT_EQ(plan->landlock.scoped & kScopeAbstractUnixSocket, 0u);
  EXPECT_NE(Entries(policy, host, "descriptors")[0].how.find("no Unix socket of the sandbox"),
            std::string::npos);

  // The kernel without SO_PASSRIGHTS: the hole, said so.
  host.so_passrights = false;
  plan = Plan(policy, host);
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->capsicum.layout.SealsUnixSockets());
  EXPECT_NE(plan->landlock.scoped & kScopeAbstractUnixSocket, 0u);
  const std::string hole = Entries(policy, host, "descriptors")[0].how;
  EXPECT_NE(hole.find("arrives without its limits"), std::string::npos) << hole;
  EXPECT_NE(hole.find("this kernel lacks SO_PASSRIGHTS"), std::string::npos) << hole;

  // No CAP_SYS_ADMIN (user-namespace mode): no entering the sandbox's network namespace.
  host.so_passrights = true;
  host.cap_sys_admin = false;
  plan = Plan(policy, host);
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->capsicum.layout.SealsUnixSockets());
  EXPECT_NE(Entries(policy, host, "descriptors")[0].how.find("needs CAP_SYS_ADMIN"),
            std::string::npos);

  // The host's network namespace: no namespace to enter, so sealed, and the scope stays.
  const policy::Policy& shared =
      Check(Scratch() + "network: {mode: host, justification: test}\n" + kLimitedDir);
  plan = Plan(shared, host);
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->capsicum.layout.SealsUnixSockets());
  EXPECT_NE(plan->landlock.scoped & kScopeAbstractUnixSocket, 0u);
}

TEST_F(MacPlanTest, LandlockRulesAndCapabilityModeArePlannedTogether) {
  // Once refused at plan time: the supervisor's lookup worker now enters the program's rules.
  const policy::Policy& policy =
      Check(Scratch() + kLimitedDir +
            "capability_mode: true\n"
            "mac:\n  bsdextended:\n    - \"subject object filesys /a mode rsx\"\n");
  Expected<SandboxPlan> plan = Plan(policy, Host(7));
  ASSERT_TRUE(plan.has_value()) << plan.error().message();
  EXPECT_TRUE(plan->landlock.restricts_files());
  EXPECT_TRUE(plan->capsicum.layout.capability_mode);
}

}  // namespace
}  // namespace stockade::linux_sim
