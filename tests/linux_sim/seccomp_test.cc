// SPDX-License-Identifier: BSD-2-Clause
// The seccomp filters, evaluated in user space: the kernel's combination of the exported
// programs must equal the decision model for every call tried, on the examples and on policies
// built to hit libseccomp's weak spots.

#include "stockade/linux_sim/seccomp.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/socket.h>

#include <random>

#include "stockade/policy/check.h"
#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::linux_sim {
namespace {

struct Compiled {
  policy::SourceSet sources;
  policy::Policy policy;
  SeccompPlan plan;
};

std::unique_ptr<Compiled> CompileText(const std::string& text, SeccompOptions options = {}) {
  auto c = std::make_unique<Compiled>();
  policy::Diagnostics diags;
  const policy::FileId file = c->sources.Add("/nonexistent/p.yaml", text);
  std::optional<policy::Policy> policy = policy::CheckBuffer(c->sources, file, diags);
  if (!policy) {
    std::string all;
    for (const policy::Diagnostic& d : diags.all()) all += d.name + ": " + d.message + "\n";
    ADD_FAILURE() << "policy has errors:\n" << all;
    return nullptr;
  }
  c->policy = *policy;
  Expected<SeccompPlan> plan = CompileSeccomp(BuildFilterModel(c->policy), c->sources, options);
  if (!plan) {
    ADD_FAILURE() << plan.error().message();
    return nullptr;
  }
  c->plan = std::move(*plan);
  return c;
}

std::unique_ptr<Compiled> CompileFile(const std::filesystem::path& path,
                                      SeccompOptions options = {}) {
  return CompileText(testing::ReadFile(path), options);
}

uint32_t Kernel(const SeccompPlan& plan, uint32_t arch, int nr, const uint64_t args[6],
                size_t* executed = nullptr) {
  std::vector<uint32_t> results;
  if (executed) *executed = 0;
  for (const auto& program : plan.programs) {
    size_t steps = 0;
    results.push_back(EvaluateBpf(program, arch, nr, 0, args, &steps));
    if (executed) *executed += steps;
  }
  return CombineActions(results);
}

bool IsSupervised(const FilterModel& model, int nr) {
  return std::binary_search(model.supervised.begin(), model.supervised.end(), nr);
}

// Compares the filters with the model on one call; returns a description of a mismatch.
std::string Check(const Compiled& c, uint32_t arch, int nr, const uint64_t args[6]) {
  const FilterModel& model = c.plan.model;
  const uint32_t expected = DecideSeccomp(model, arch, nr, args);
  const uint32_t actual = Kernel(c.plan, arch, nr, args);
  if (actual == SECCOMP_RET_USER_NOTIF) {
    // Delivered to the supervisor, which applies the model: only for supervised syscalls and
    // for calls the model kills.
    if (IsSupervised(model, nr) || expected == SECCOMP_RET_KILL_PROCESS) return "";
  } else if (actual == expected) {
    return "";
  }
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer),
                "nr %d args {%#llx, %#llx, %#llx}: filters say %#x, the model %#x", nr,
                static_cast<unsigned long long>(args[0]), static_cast<unsigned long long>(args[1]),
                static_cast<unsigned long long>(args[2]), actual, expected);
  return buffer;
}

// Calls for every syscall with argument values that sit on and around every constant the
// rules compare with, plus random ones.
void Differential(const Compiled& c, int random_rounds = 4) {
  std::vector<uint64_t> values = {
      0, 1, 2, 3, 10, 16, 17, 0x40, 0x80, 0xffffffff, 0xffffffffffffffffull, 0x100000000ull};
  for (const auto* rules : {&c.plan.model.deny, &c.plan.model.allow}) {
    for (const FilterRule& rule : *rules) {
      for (const policy::ArgCondition& cond : rule.conditions) {
        for (uint64_t v : {cond.value, cond.value + 1, cond.value - 1, cond.mask,
                           cond.mask | cond.value, ~cond.mask}) {
          values.push_back(v);
        }
      }
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::mt19937_64 random(42);
  size_t failures = 0;
  for (int nr = 0; nr <= 1100 && failures < 10; ++nr) {
    for (uint64_t a0 : values) {
      for (uint64_t a1 :
           {uint64_t{0}, uint64_t{1}, uint64_t{3}, values[random() % values.size()]}) {
        uint64_t args[6] = {a0, a1, values[random() % values.size()], 0, 0, 0};
        std::string mismatch = Check(c, AUDIT_ARCH_X86_64, nr, args);
        if (!mismatch.empty()) {
          ADD_FAILURE() << mismatch;
          ++failures;
        }
      }
    }
    for (int round = 0; round < random_rounds; ++round) {
      uint64_t args[6];
      for (uint64_t& a : args) a = random();
      std::string mismatch = Check(c, AUDIT_ARCH_X86_64, nr, args);
      if (!mismatch.empty()) {
        ADD_FAILURE() << mismatch;
        ++failures;
      }
    }
  }
}

TEST(SeccompDifferentialTest, Examples) {
  for (const auto& entry : std::filesystem::directory_iterator(testing::SourceDir() / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto c = CompileFile(entry.path());
    ASSERT_NE(c, nullptr);
    Differential(*c);
  }
}

// libseccomp 2.5.4 lets an unconditional allow swallow a conditional deny of another action on
// the same syscall: socket(AF_NETLINK) would be allowed. The two-filter layout must not.
TEST(SeccompDifferentialTest, ConditionalDenyUnderUnconditionalAllow) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: kill
  allow: [socket, read, write]
  deny:
    - {name: socket, when: "arg0 == AF_NETLINK", action: {errno: EAFNOSUPPORT}}
)");
  ASSERT_NE(c, nullptr);
  uint64_t netlink[6] = {AF_NETLINK, SOCK_RAW, 0, 0, 0, 0};
  uint64_t inet[6] = {AF_INET, SOCK_STREAM, 0, 0, 0, 0};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, netlink), SECCOMP_RET_ERRNO | EAFNOSUPPORT);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, inet), SECCOMP_RET_ALLOW);
  Differential(*c);
}

// A conditional deny whose action equals the default (libseccomp refuses such a rule) under an
// allow of the same syscall; and the namespace rules of children.max under a default of EPERM.
TEST(SeccompDifferentialTest, DenyEqualToDefault) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: {errno: EPERM}
  allow: ["@process", socket]
  linux:
    deny:
      - {name: socket, when: "arg0 == AF_PACKET", action: {errno: EPERM}}
)");
  ASSERT_NE(c, nullptr);
  // socket has two deny actions here (this EPERM and allow.socket_af's EAFNOSUPPORT for
  // families above AF_NETLINK): the supervisor decides it, and the first matching deny wins.
  uint64_t packet[6] = {AF_PACKET, SOCK_RAW, 0, 0, 0, 0};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, packet), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, 41, packet), SECCOMP_RET_ERRNO | EPERM);
  uint64_t newuser[6] = {CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0, 0};
  uint64_t thread[6] = {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0, 0};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 56, newuser), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 56, thread), SECCOMP_RET_ALLOW);
  Differential(*c);
}

TEST(SeccompDifferentialTest, SeveralDenyActionsAndKillsAreSupervised) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: {errno: EPERM}
  allow: [socket, read, write, execve]
  linux:
    deny:
      - {name: socket, when: "arg0 == AF_PACKET", action: kill}
      - {name: socket, when: "arg1 == SOCK_RAW", action: {errno: EACCES}}
      - {name: ptrace, action: kill}
)");
  ASSERT_NE(c, nullptr);
  const FilterModel& model = c->plan.model;
  EXPECT_TRUE(IsSupervised(model, 41));
  EXPECT_TRUE(IsSupervised(model, 101));
  EXPECT_TRUE(c->plan.listener);
  uint64_t packet_raw[6] = {AF_PACKET, SOCK_RAW, 0, 0, 0, 0};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, packet_raw), SECCOMP_RET_USER_NOTIF);
  // The first matching deny decides: kill.
  EXPECT_EQ(DecideSeccomp(model, AUDIT_ARCH_X86_64, 41, packet_raw), SECCOMP_RET_KILL_PROCESS);
  uint64_t inet_raw[6] = {AF_INET, SOCK_RAW, 0, 0, 0, 0};
  EXPECT_EQ(DecideSeccomp(model, AUDIT_ARCH_X86_64, 41, inet_raw), SECCOMP_RET_ERRNO | EACCES);
  Differential(*c);
}

TEST(SeccompDifferentialTest, SameActionRulesOnDifferentArgumentsAreAlternatives) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: kill
  allow:
    - {name: socket, when: "arg0 == AF_UNIX"}
    - {name: socket, when: "arg1 == SOCK_DGRAM"}
    - {name: mmap, when: "arg2 & PROT_EXEC == 0"}
    - {name: openat, when: ["arg0 == AT_FDCWD", "arg2 & O_CREAT == 0"]}
)");
  ASSERT_NE(c, nullptr);
  uint64_t unix_stream[6] = {AF_UNIX, SOCK_STREAM, 0, 0, 0, 0};
  uint64_t inet_dgram[6] = {AF_INET, SOCK_DGRAM, 0, 0, 0, 0};
  uint64_t inet_stream[6] = {AF_INET, SOCK_STREAM, 0, 0, 0, 0};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, unix_stream), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, inet_dgram), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 41, inet_stream), SECCOMP_RET_USER_NOTIF);
  Differential(*c);
}

// The shapes libseccomp 2.5.4 merges wrongly go to the supervisor, which decides them from the
// model (fuzz/regressions/seccomp_diff_fuzzer/libseccomp-merges-two-multi-argument-rules and
// two-upper-bounds-on-one-argument).
TEST(SeccompDifferentialTest, RulesLibseccompMergesWronglyAreSupervised) {
  // Two rules that each test two arguments: read(0xde, 0, 0) matched the second one.
  auto multi = CompileText(R"(version: 1
name: t
syscalls:
  default: log
  deny:
    - {name: read, when: ["arg0 > 0xdd", "arg4 > 0xdd"], action: {errno: ENOTSOCK}}
    - {name: read, when: ["arg0 > 0x100", "arg2 <= 0xff"], action: {errno: ENOTSOCK}}
)");
  ASSERT_NE(multi, nullptr);
  EXPECT_TRUE(IsSupervised(multi->plan.model, 0));
  uint64_t read_de[6] = {0xde, 0, 0, 0, 0, 0};
  EXPECT_EQ(DecideSeccomp(multi->plan.model, AUDIT_ARCH_X86_64, 0, read_de), SECCOMP_RET_LOG);
  EXPECT_EQ(Kernel(multi->plan, AUDIT_ARCH_X86_64, 0, read_de), SECCOMP_RET_USER_NOTIF);
  Differential(*multi);

  // Two upper bounds on one argument: arg5 = 0xffffffff matched neither, and the allow filter
  // refused a call the policy allows (a deny filter would have let a denied call through).
  auto bounds = CompileText(R"(version: 1
name: t
syscalls:
  default: {errno: EIO}
  allow:
    - {name: read, when: "arg5 <= 3"}
    - {name: read, when: "arg5 <= 0xffffffff5dffff"}
)");
  ASSERT_NE(bounds, nullptr);
  EXPECT_TRUE(IsSupervised(bounds->plan.model, 0));
  uint64_t read_big[6] = {0, 0, 0, 0, 0, 0xffffffff};
  EXPECT_EQ(DecideSeccomp(bounds->plan.model, AUDIT_ARCH_X86_64, 0, read_big), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(bounds->plan, AUDIT_ARCH_X86_64, 0, read_big), SECCOMP_RET_USER_NOTIF);
  Differential(*bounds);

  // One bound of each direction, as linux-sim's own socket rules have, stays in the kernel.
  auto families =
      CompileText("version: 1\nname: t\nsyscalls:\n  default: kill\n  allow: [socket]\n");
  ASSERT_NE(families, nullptr);
  EXPECT_FALSE(IsSupervised(families->plan.model, 41));
}

// fuzz/regressions/seccomp_diff_fuzzer/allow-rule-under-default-log-is-logged: allows were
// dropped as given by the default when the default was 'log', so they were logged too; the
// decision order (docs/policy-language.md) says an allow rule allows.
TEST(SeccompDifferentialTest, AllowRuleUnderDefaultLogIsNotLogged) {
  auto c = CompileText("version: 1\nname: t\nsyscalls:\n  default: log\n  allow: [read]\n");
  ASSERT_NE(c, nullptr);
  uint64_t args[6] = {};
  EXPECT_EQ(DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, 0, args), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0, args), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 1, args), SECCOMP_RET_LOG);  // write: the default
  Differential(*c);
}

// fuzz/regressions/seccomp_diff_fuzzer/never-true-masked-allow-allows: libseccomp compares a
// masked argument with value & mask, so an allow whose value has bits outside its mask (never
// true; check warns) allowed calls. Such a rule is left out of the model.
TEST(SeccompDifferentialTest, NeverTrueMaskedRuleMatchesNothing) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: {errno: EPERM}
  allow:
    - {name: read, when: "arg5 & 0xcf == 0xe0"}
)");
  ASSERT_NE(c, nullptr);
  uint64_t args[6] = {0, 0, 0, 0, 0, 0xe0};
  EXPECT_EQ(DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, 0, args), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0, args), SECCOMP_RET_ERRNO | EPERM);
  Differential(*c);
}

// fuzz/regressions/seccomp_diff_fuzzer/syscall-minus-one-is-not-x32: libseccomp's filter kills
// every number from 0x40000000 up, except -1 (the kernel's "no syscall"), which takes the
// default action; the model treated -1 as x32 and let 0x80000000 through.
TEST(SeccompArchTest, MinusOneTakesTheDefaultAndHighNumbersAreKilled) {
  auto c = CompileText("version: 1\nname: t\nsyscalls:\n  default: allow\n  justification: test\n");
  ASSERT_NE(c, nullptr);
  uint64_t args[6] = {};
  for (int nr : {-1, static_cast<int>(0x80000000u), static_cast<int>(0x89000000u), 0x40000000}) {
    SCOPED_TRACE(nr);
    EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, nr, args),
              DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, nr, args));
  }
  EXPECT_EQ(DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, -1, args), SECCOMP_RET_ALLOW);
  EXPECT_EQ(DecideSeccomp(c->plan.model, AUDIT_ARCH_X86_64, static_cast<int>(0x80000000u), args),
            SECCOMP_RET_KILL_PROCESS);
}

TEST(SeccompArchTest, ForeignArchitecturesAndX32AreKilled) {
  auto c = CompileText("version: 1\nname: t\nsyscalls:\n  default: allow\n  justification: test\n");
  ASSERT_NE(c, nullptr);
  uint64_t args[6] = {};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_I386, 3, args), SECCOMP_RET_KILL_PROCESS);
  // x32's read is 0x40000000 | 0 with the x86_64 audit arch.
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0x40000000, args), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0, args), SECCOMP_RET_ALLOW);
  // Numbers newer than libseccomp's table fail with ENOSYS under a default that allows.
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 460, args), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 456, args), SECCOMP_RET_ALLOW);
}

// The guard program alone (no deny rule at all) still kills other ABIs, and fails exactly the
// numbers between libseccomp's table and 1023 with ENOSYS.
TEST(SeccompArchTest, GuardAloneKillsOtherAbisAndFailsNewNumbers) {
  auto c = CompileText(R"(version: 1
name: t
syscalls:
  default: allow
  justification: test
ipc: {sysvshm: inherit, sysvmsg: inherit, sysvsem: inherit}
jail:
  children.max: {value: 1, justification: test}
  allow.socket_af: {value: true, justification: test}
)");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->plan.programs.size(), 1u);
  uint64_t args[6] = {};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_I386, 3, args), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0x40000000, args), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 0x40000000 | 1100, args), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 456, args), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 457, args), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 1023, args), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 1024, args), SECCOMP_RET_ALLOW);
  Differential(*c);
}

TEST(SeccompArchTest, UnknownNumbersTakeTheDefaultDeny) {
  auto c =
      CompileText("version: 1\nname: t\nsyscalls:\n  default: {errno: EACCES}\n  allow: [read]\n");
  ASSERT_NE(c, nullptr);
  uint64_t args[6] = {};
  EXPECT_EQ(Kernel(c->plan, AUDIT_ARCH_X86_64, 470, args), SECCOMP_RET_ERRNO | EACCES);
}

// libseccomp's linear layout (kept for bench/) decides exactly as the binary tree does (one
// example, to keep the test short).
TEST(SeccompLayoutTest, LinearLayoutDecidesTheSame) {
  SeccompOptions linear;
  linear.binary_tree = false;
  for (const char* name : {"python-runner.yaml"}) {
    SCOPED_TRACE(name);
    auto c = CompileFile(testing::SourceDir() / "examples" / name, linear);
    ASSERT_NE(c, nullptr);
    Differential(*c, 0);
  }
}

// The instructions a conditional call runs hardly grow from 10 to 300 rules in the tree layout
// (a level of the tree per doubling), while the linear layout walks every earlier syscall.
TEST(SeccompLayoutTest, TreeCostDoesNotGrowWithTheRuleCount) {
  auto policy = [](int rules) {
    std::string text = "version: 1\nname: t\nsyscalls:\n  default: kill\n  linux:\n    allow:\n";
    text += "      - {name: futex_wake, when: \"arg0 == 0\"}\n";
    int count = 1;
    for (const policy::SyscallInfo& info : policy::Syscalls(policy::Target::kLinux)) {
      if (count == rules) break;
      if (info.name == "futex_wake" || policy::FindDangerousSyscall(info.name)) continue;
      text += "      - {name: " + std::string(info.name) + ", when: \"arg1 == 7\"}\n";
      ++count;
    }
    return text;
  };
  SeccompOptions linear;
  linear.binary_tree = false;
  auto small = CompileText(policy(10));
  auto large = CompileText(policy(300));
  auto large_linear = CompileText(policy(300), linear);
  ASSERT_TRUE(small && large && large_linear);
  const int futex_wake = policy::FindSyscall(policy::Target::kLinux, "futex_wake")->number;
  uint64_t args[6] = {};
  size_t small_steps = 0, large_steps = 0, linear_steps = 0;
  EXPECT_EQ(Kernel(small->plan, AUDIT_ARCH_X86_64, futex_wake, args, &small_steps),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(large->plan, AUDIT_ARCH_X86_64, futex_wake, args, &large_steps),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(Kernel(large_linear->plan, AUDIT_ARCH_X86_64, futex_wake, args, &linear_steps),
            SECCOMP_RET_ALLOW);
  EXPECT_LE(large_steps, small_steps + 10) << small_steps << " -> " << large_steps;
  EXPECT_GT(linear_steps, 4 * large_steps) << linear_steps << " vs " << large_steps;
}

}  // namespace
}  // namespace stockade::linux_sim
