// SPDX-License-Identifier: BSD-2-Clause
// Fuzzer, differential: a syscall filter IR built from the input (a default action, allow and
// deny rules with argument conditions, and the clauses linux-sim turns into rules of its own:
// children.max, the SysV IPC kinds, allow.socket_af) -> BuildFilterModel -> CompileSeccomp;
// then calls (a random seccomp_data: architecture, number, six arguments) decided three ways:
//   1. by the IR's own definition (ir.h: first matching deny, else a matching allow, else the
//      default), written out here independently of linux-sim;
//   2. by the decision model, DecideSeccomp;
//   3. by the compiled BPF programs, run by EvaluateBpf and combined as the kernel combines
//      stacked filters (CombineActions); a user notification counts as the model's decision,
//      which is what the supervisor applies, and is only allowed for supervised syscalls and
//      for calls the model kills.
// Properties: 1 == 2 wherever the IR defines the call (native x86_64, a number in
// libseccomp's table, not a syscall linux-sim adds rules for unless those rules are off);
// 2 == 3 for every call; a checked filter compiles unless it is too large for BPF or needs
// user notification that was not offered.

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "byte_reader.h"
#include "stockade/base/check.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/names.h"

namespace stockade::fuzz {
namespace {

using linux_sim::FilterModel;
using policy::Action;
using policy::ActionKind;
using policy::ArgCondition;
using policy::CmpOp;
using policy::SyscallRule;

// Syscalls linux-sim adds rules for (seccomp.cc, AddBackendRules), by name; where those rules
// are on, the IR alone does not define their decision.
constexpr const char* kBackendSyscalls[] = {
    "clone",  "unshare", "setns",      "clone3", "shmget", "shmat",
    "shmdt",  "shmctl",  "msgget",     "msgsnd", "msgrcv", "msgctl",
    "semget", "semop",   "semtimedop", "semctl", "socket", "socketpair"};

// Numbers rules are likely to name: the backend's syscalls and a few common ones, so that rules
// and calls meet often.
constexpr int kFavourites[] = {0, 1, 2, 3, 9, 10, 16, 41, 53, 56, 59, 101, 257, 272, 308, 322, 435};

// Values conditions compare with: flags, families, boundaries of 32 and 64 bits.
constexpr uint64_t kValues[] = {0,          1,          2,          3,          0x10,
                                0x40,       0x80,       0x100,      0x10000000, 0x7fffffff,
                                0x80000000, 0xffffffff, 1ull << 32, ~0ull,      ~0ull - 99};

constexpr ActionKind kKinds[] = {ActionKind::kAllow, ActionKind::kKillProcess, ActionKind::kErrno,
                                 ActionKind::kTrap, ActionKind::kLog};

uint32_t Value(const Action& action) {
  switch (action.kind) {
    case ActionKind::kAllow:
      return SECCOMP_RET_ALLOW;
    case ActionKind::kKillProcess:
      return SECCOMP_RET_KILL_PROCESS;
    case ActionKind::kErrno:
      return SECCOMP_RET_ERRNO |
             (static_cast<uint32_t>(action.errno_value[policy::Target::kLinux]) & SECCOMP_RET_DATA);
    case ActionKind::kTrap:
      return SECCOMP_RET_TRAP;
    case ActionKind::kLog:
      return SECCOMP_RET_LOG;
  }
  STOCKADE_CHECK(false) << "unknown action kind";
  return 0;
}

Action ReadAction(ByteReader& in, bool deny) {
  Action action;
  const uint8_t b = in.Byte();
  if (deny) {
    // A deny rule's action is never 'allow' (the checker offers kill, trap, log, errno).
    action.kind = kKinds[1 + b % (std::size(kKinds) - 1)];
  } else {
    // A default that allows costs libseccomp ~600 rules more (ENOSYS for the numbers above its
    // table), 15 times the time of the others, and those rules are the same every time: one
    // default in eight allows, one in eight logs.
    action.kind = b < 32   ? ActionKind::kAllow
                  : b < 64 ? ActionKind::kLog
                           : kKinds[1 + b % 3];  // kill, errno, trap
  }
  if (action.kind == ActionKind::kErrno) {
    std::vector<const policy::ErrnoInfo*> linux_errnos;
    for (const policy::ErrnoInfo& e : policy::Errnos()) {
      if (e.linux_value && e.freebsd_value) linux_errnos.push_back(&e);
    }
    const policy::ErrnoInfo* e = linux_errnos[in.Below(linux_errnos.size())];
    action.errno_name = std::string(e->name);
    action.errno_value[policy::Target::kLinux] = *e->linux_value;
    action.errno_value[policy::Target::kFreeBsd] = *e->freebsd_value;
  }
  return action;
}

uint64_t ReadValue(ByteReader& in) {
  const uint8_t how = in.Byte();
  if (how < 160) return kValues[how % std::size(kValues)];
  if (how < 224) return in.Uint(1);
  return in.Uint(8);
}

SyscallRule ReadRule(ByteReader& in, bool deny) {
  const auto table = policy::Syscalls(policy::Target::kLinux);
  const policy::SyscallInfo* info = nullptr;
  if (in.Bool()) {
    info = policy::FindSyscallByNumber(policy::Target::kLinux,
                                       kFavourites[in.Below(std::size(kFavourites))]);
  }
  if (!info) info = &table[in.Below(table.size())];
  SyscallRule rule;
  rule.name = std::string(info->name);
  rule.number = info->number;
  rule.action = deny ? ReadAction(in, true) : Action{ActionKind::kAllow, {}, {}, {}};
  // At most one condition per argument (the checker's duplicate-arg-condition rule).
  const uint8_t args = in.Byte() & 0x3F;
  for (uint8_t arg = 0; arg < 6; ++arg) {
    if (!(args & (1u << arg)) || in.Byte() < 128) continue;
    ArgCondition c;
    c.arg = arg;
    c.op = static_cast<CmpOp>(in.Below(7));
    c.value = ReadValue(in);
    if (c.op == CmpOp::kMaskedEq) {
      c.mask = ReadValue(in);
      // Mostly a value inside the mask; outside it is legal too (a warning, never true).
      if (in.Byte() < 200) c.value &= c.mask;
    }
    c.text = "arg" + std::to_string(arg);
    rule.conditions.push_back(c);
  }
  return rule;
}

bool Holds(const ArgCondition& c, const uint64_t args[6]) {
  const uint64_t a = args[c.arg];
  switch (c.op) {
    case CmpOp::kEq:
      return a == c.value;
    case CmpOp::kNe:
      return a != c.value;
    case CmpOp::kLt:
      return a < c.value;
    case CmpOp::kLe:
      return a <= c.value;
    case CmpOp::kGt:
      return a > c.value;
    case CmpOp::kGe:
      return a >= c.value;
    case CmpOp::kMaskedEq:
      return (a & c.mask) == c.value;
  }
  return false;
}

bool Matches(const SyscallRule& rule, int nr, const uint64_t args[6]) {
  if (rule.number != nr) return false;
  for (const ArgCondition& c : rule.conditions) {
    if (!Holds(c, args)) return false;
  }
  return true;
}

// ir.h's definition of a decision, for one target's filter.
uint32_t DecideIr(const policy::SyscallFilter& filter, int nr, const uint64_t args[6]) {
  for (const SyscallRule& rule : filter.deny) {
    if (Matches(rule, nr, args)) return Value(rule.action);
  }
  for (const SyscallRule& rule : filter.allow) {
    if (Matches(rule, nr, args)) return SECCOMP_RET_ALLOW;
  }
  return Value(filter.default_action);
}

struct Setup {
  policy::Policy policy;
  bool backend_rules = true;  // linux-sim adds rules (children.max, sysv*, allow.socket_af)
  bool notify = true;         // user notification offered (a supervisor exists)
};

Setup ReadSetup(ByteReader& in) {
  Setup setup;
  policy::Policy& p = setup.policy;
  policy::SyscallFilter& filter = p.syscalls[policy::Target::kLinux];
  filter.present = true;
  const uint8_t flags = in.Byte();
  setup.notify = !(flags & 1);
  // Bit 1 switches every backend rule off, so the IR oracle covers every number.
  setup.backend_rules = !(flags & 2);
  p.jail.children_max = setup.backend_rules && (flags & 4) ? 0 : 1;
  const policy::JailSys kinds[] = {policy::JailSys::kDisable, policy::JailSys::kInherit,
                                   policy::JailSys::kNew};
  p.ipc.sysvshm = setup.backend_rules ? kinds[(flags >> 3) % 3] : policy::JailSys::kNew;
  p.ipc.sysvmsg = setup.backend_rules ? kinds[(flags >> 5) % 3] : policy::JailSys::kNew;
  p.ipc.sysvsem = setup.backend_rules ? kinds[in.Below(3)] : policy::JailSys::kNew;
  if (!setup.backend_rules || (flags & 0x80)) {
    p.jail.allow.push_back({"allow.socket_af", true, true, {}});
  }
  filter.default_action = ReadAction(in, false);

  const size_t rules = in.Below(33);
  for (size_t i = 0; i < rules && !in.empty(); ++i) {
    const bool deny = in.Bool();
    (deny ? filter.deny : filter.allow).push_back(ReadRule(in, deny));
  }
  // The checker's order (resolve_syscalls.cc, Finish): by name, then source order.
  auto by_name = [](const SyscallRule& a, const SyscallRule& b) { return a.name < b.name; };
  std::stable_sort(filter.allow.begin(), filter.allow.end(), by_name);
  std::stable_sort(filter.deny.begin(), filter.deny.end(), by_name);
  return setup;
}

// The filter as text, for failure reports: "default log; deny read [arg0 == 0xde] errno 88".
std::string Explain(const Setup& setup) {
  const policy::SyscallFilter& f = setup.policy.syscalls[policy::Target::kLinux];
  auto action = [](const Action& a) {
    return a.kind == ActionKind::kErrno
               ? "errno " + std::to_string(a.errno_value[policy::Target::kLinux])
           : a.kind == ActionKind::kAllow       ? std::string("allow")
           : a.kind == ActionKind::kKillProcess ? std::string("kill")
           : a.kind == ActionKind::kTrap        ? std::string("trap")
                                                : std::string("log");
  };
  std::string out = "\n  default " + action(f.default_action) +
                    (setup.backend_rules ? "; backend rules on" : "; backend rules off") +
                    (setup.notify ? "; supervisor" : "; no supervisor");
  for (const auto* rules : {&f.deny, &f.allow}) {
    for (const SyscallRule& r : *rules) {
      out += "\n  " + std::string(rules == &f.deny ? "deny " : "allow ") + r.name + " [";
      for (const ArgCondition& c : r.conditions) {
        char text[96];
        std::snprintf(text, sizeof(text), " arg%d %s 0x%llx/0x%llx", c.arg,
                      std::string(policy::CmpOpSpelling(c.op)).c_str(),
                      static_cast<unsigned long long>(c.value),
                      static_cast<unsigned long long>(c.mask));
        out += text;
      }
      out += " ] " + action(r.action);
    }
  }
  return out;
}

class Differential {
 public:
  Differential(const Setup& setup, const linux_sim::SeccompPlan& plan)
      : setup_(setup), plan_(plan) {
    for (const char* name : kBackendSyscalls) {
      if (const auto* info = policy::FindSyscall(policy::Target::kLinux, name)) {
        backend_.insert(info->number);
      }
    }
  }

  void Call(uint32_t arch, int nr, const uint64_t args[6]) {
    const FilterModel& model = plan_.model;
    const uint32_t decided = linux_sim::DecideSeccomp(model, arch, nr, args);
    const bool defined = arch == AUDIT_ARCH_X86_64 && nr >= 0 &&
                         nr <= policy::kLinuxHighestKnownSyscall &&
                         (!setup_.backend_rules || !backend_.count(nr));
    if (defined) {
      const uint32_t ir = DecideIr(setup_.policy.syscalls[policy::Target::kLinux], nr, args);
      STOCKADE_CHECK(ir == decided) << Describe(arch, nr, args) << ": the IR decides 0x" << std::hex
                                    << ir << ", the model 0x" << decided;
    }
    std::vector<uint32_t> results;
    for (const auto& program : plan_.programs) {
      results.push_back(linux_sim::EvaluateBpf(program, arch, nr, 0, args));
    }
    const uint32_t kernel = linux_sim::CombineActions(results);
    if (kernel == SECCOMP_RET_USER_NOTIF) {
      STOCKADE_CHECK(setup_.notify) << Describe(arch, nr, args) << ": a notification with no "
                                    << "supervisor";
      const bool supervised =
          std::binary_search(model.supervised.begin(), model.supervised.end(), nr);
      STOCKADE_CHECK(supervised || decided == SECCOMP_RET_KILL_PROCESS)
          << Describe(arch, nr, args) << ": the filters notify, the model decides 0x" << std::hex
          << decided;
      return;
    }
    STOCKADE_CHECK(kernel == decided) << Describe(arch, nr, args) << ": the filters decide 0x"
                                      << std::hex << kernel << ", the model 0x" << decided;
  }

 private:
  static std::string DescribeCall(uint32_t arch, int nr, const uint64_t args[6]) {
    std::string out = "arch " + std::to_string(arch) + " nr " + std::to_string(nr) + " args {";
    for (int i = 0; i < 6; ++i) out += (i ? ", " : "") + std::to_string(args[i]);
    return out + "}";
  }
  std::string Describe(uint32_t arch, int nr, const uint64_t args[6]) const {
    return Explain(setup_) + "\n" + DescribeCall(arch, nr, args);
  }

  const Setup& setup_;
  const linux_sim::SeccompPlan& plan_;
  std::set<int> backend_;
};

}  // namespace
}  // namespace stockade::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stockade;
  using namespace stockade::fuzz;
  ByteReader in(data, size);
  const Setup setup = ReadSetup(in);
  linux_sim::SeccompOptions options;
  options.notify_kills = setup.notify;
  const policy::SourceSet sources;
  Expected<linux_sim::SeccompPlan> plan =
      linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(setup.policy), sources, options);
  if (!plan) {
    // Too large for BPF, or 'kill' / mixed actions without a supervisor: refused, as documented.
    STOCKADE_CHECK(plan.error().code() == ErrorCode::kResourceExhausted ||
                   (plan.error().code() == ErrorCode::kUnsupported && !setup.notify))
        << "a checked filter does not compile: " << plan.error().message();
    return 0;
  }
  Differential diff(setup, *plan);

  // Every rule's syscall, linux-sim's own rules included, with each argument its rules test at
  // and around every value they compare with.
  std::vector<uint64_t> values = {0, 1, ~0ull, 0xffffffff, 1ull << 32};
  std::map<int, std::set<uint8_t>> tested;  // syscall -> arguments its rules test
  for (const auto* rules : {&plan->model.allow, &plan->model.deny}) {
    for (const linux_sim::FilterRule& rule : *rules) {
      std::set<uint8_t>& args = tested[rule.number];
      for (const policy::ArgCondition& c : rule.conditions) {
        args.insert(c.arg);
        for (uint64_t v : {c.value, c.value + 1, c.value - 1, c.mask, c.mask | c.value, ~c.mask}) {
          values.push_back(v);
        }
      }
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::vector<int> numbers;
  for (const auto& [nr, args] : tested) {
    numbers.push_back(nr);
    for (uint8_t arg : args) {
      for (uint64_t v : values) {
        uint64_t call[6] = {};
        call[arg] = v;
        diff.Call(AUDIT_ARCH_X86_64, nr, call);
      }
    }
  }
  // Every number once with zero arguments, beyond libseccomp's table and the x32 range.
  const uint64_t zero[6] = {};
  for (int nr = -1; nr <= 1100; ++nr) diff.Call(AUDIT_ARCH_X86_64, nr, zero);
  diff.Call(AUDIT_ARCH_X86_64, 0x40000000, zero);
  diff.Call(AUDIT_ARCH_I386, 0, zero);

  // Then the calls the rest of the input describes.
  for (int probe = 0; probe < 256 && !in.empty(); ++probe) {
    const uint8_t how = in.Byte();
    uint32_t arch = AUDIT_ARCH_X86_64;
    if (how == 255) arch = in.Bool() ? AUDIT_ARCH_I386 : static_cast<uint32_t>(in.Uint(4));
    int nr = numbers.empty() || how < 64 ? static_cast<int>(in.Uint(2) % 1200)
                                         : numbers[in.Below(numbers.size())];
    if (how == 254) nr = static_cast<int>(in.Uint(4));
    uint64_t args[6];
    for (uint64_t& a : args) {
      a = in.Bool() ? values[in.Below(values.size())] : ReadValue(in);
    }
    diff.Call(arch, nr, args);
  }
  return 0;
}
