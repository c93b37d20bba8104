// SPDX-License-Identifier: BSD-2-Clause
// The seccomp filter: the decision model (policy rules plus linux-sim's own), its compilation
// with libseccomp, and a classic-BPF evaluator.

#include "stockade/linux_sim/seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <utility>

#include "stockade/base/unique_fd.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim {
namespace {

// Numbers above libseccomp's table up to this one fail with ENOSYS when the default allows.
// The kernel this project was built on goes past 470; 1023 leaves room for years of new calls
// (one range check: GuardProgram).
constexpr int kHighestGuardedSyscall = 1023;
constexpr uint32_t kX32Bit = 0x40000000;

policy::Action Errno(const char* name) {
  policy::Action action;
  action.kind = policy::ActionKind::kErrno;
  action.errno_name = name;
  const policy::ErrnoInfo* info = policy::FindErrno(name);
  action.errno_value[policy::Target::kLinux] =
      info && info->linux_value ? *info->linux_value : EPERM;
  return action;
}

policy::ArgCondition MaskedFlag(uint8_t arg, uint64_t flag, const char* text) {
  policy::ArgCondition c;
  c.arg = arg;
  c.op = policy::CmpOp::kMaskedEq;
  c.mask = flag;
  c.value = flag;
  c.text = text;
  return c;
}

policy::ArgCondition Compare(uint8_t arg, policy::CmpOp op, uint64_t value, std::string text) {
  policy::ArgCondition c;
  c.arg = arg;
  c.op = op;
  c.value = value;
  c.text = std::move(text);
  return c;
}

int Number(const char* name) {
  const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
  return info ? info->number : -1;
}

FilterRule Rule(const char* name, policy::Action action,
                std::vector<policy::ArgCondition> conditions, Origin origin) {
  return FilterRule{Number(name),      name, std::move(action), std::move(conditions),
                    std::move(origin), {}};
}

// linux-sim's own rules: how the seccomp filter enforces clauses other than 'syscalls'.
void AddBackendRules(const policy::Policy& policy, std::vector<FilterRule>& deny) {
  if (policy.jail.children_max == 0) {
    const Origin origin{"children.max", policy.jail.children_max_span};
    struct Flag {
      uint64_t value;
      const char* text;
    };
    // clone(2)'s first argument and unshare(2)'s only one carry the namespace flags.
    static constexpr Flag kNamespaces[] = {
        {CLONE_NEWNS, "arg0 & CLONE_NEWNS"},         {CLONE_NEWUTS, "arg0 & CLONE_NEWUTS"},
        {CLONE_NEWIPC, "arg0 & CLONE_NEWIPC"},       {CLONE_NEWUSER, "arg0 & CLONE_NEWUSER"},
        {CLONE_NEWPID, "arg0 & CLONE_NEWPID"},       {CLONE_NEWNET, "arg0 & CLONE_NEWNET"},
        {CLONE_NEWCGROUP, "arg0 & CLONE_NEWCGROUP"},
    };
    for (const Flag& flag : kNamespaces) {
      deny.push_back(Rule("clone", Errno("EPERM"), {MaskedFlag(0, flag.value, flag.text)}, origin));
      deny.push_back(
          Rule("unshare", Errno("EPERM"), {MaskedFlag(0, flag.value, flag.text)}, origin));
    }
    // CLONE_NEWTIME exists for unshare only (in clone(2) its bit belongs to the exit signal).
    deny.push_back(
        Rule("unshare", Errno("EPERM"), {MaskedFlag(0, 0x80, "arg0 & CLONE_NEWTIME")}, origin));
    deny.push_back(Rule("setns", Errno("EPERM"), {}, origin));
    // clone3 passes its flags in memory, where seccomp cannot look: refuse it with ENOSYS so
    // that glibc falls back to clone(2), whose flags the rules above see.
    deny.push_back(Rule("clone3", Errno("ENOSYS"), {}, origin));
  }
  // SysV IPC set to 'disable' fails the way FreeBSD's does (sysv_shm.c, sysv_msg.c, sysv_sem.c:
  // ENOSYS when the jail has no access).
  struct Family {
    policy::JailSys value;
    policy::SourceSpan span;
    const char* clause;
    std::vector<const char*> calls;
  };
  const Family families[] = {
      {policy.ipc.sysvshm,
       policy.ipc.sysvshm_span,
       "sysvshm",
       {"shmget", "shmat", "shmdt", "shmctl"}},
      {policy.ipc.sysvmsg,
       policy.ipc.sysvmsg_span,
       "sysvmsg",
       {"msgget", "msgsnd", "msgrcv", "msgctl"}},
      {policy.ipc.sysvsem,
       policy.ipc.sysvsem_span,
       "sysvsem",
       {"semget", "semop", "semtimedop", "semctl"}},
  };
  for (const Family& family : families) {
    if (family.value != policy::JailSys::kDisable) continue;
    const Origin origin{family.clause,
                        family.span.valid() ? family.span : policy.ipc.allow_sysvipc_span};
    for (const char* call : family.calls) deny.push_back(Rule(call, Errno("ENOSYS"), {}, origin));
  }
  // Without allow.socket_af a jail may only create UNIX, IPv4, IPv6 and routing sockets
  // (jail(8)); the routing socket's Linux counterpart is netlink. Every other family fails as
  // FreeBSD fails it, with EAFNOSUPPORT. One comparison per argument per rule: the families in
  // between are listed one by one.
  bool socket_af = false;
  policy::SourceSpan socket_af_span;
  for (const policy::JailFlag& flag : policy.jail.allow) {
    if (flag.name == "allow.socket_af") {
      socket_af = flag.value;
      socket_af_span = flag.span;
    }
  }
  if (!socket_af) {
    const Origin origin{"allow.socket_af", socket_af_span};
    for (const char* call : {"socket", "socketpair"}) {
      deny.push_back(Rule(call, Errno("EAFNOSUPPORT"),
                          {Compare(0, policy::CmpOp::kLt, AF_UNIX, "arg0 < AF_UNIX")}, origin));
      deny.push_back(Rule(call, Errno("EAFNOSUPPORT"),
                          {Compare(0, policy::CmpOp::kGt, AF_NETLINK, "arg0 > AF_NETLINK")},
                          origin));
      for (uint64_t family = AF_UNIX + 1; family < AF_NETLINK; ++family) {
        if (family == AF_INET || family == AF_INET6) continue;
        deny.push_back(Rule(
            call, Errno("EAFNOSUPPORT"),
            {Compare(0, policy::CmpOp::kEq, family, "arg0 == " + std::to_string(family))}, origin));
      }
    }
  }
}

bool Holds(const policy::ArgCondition& c, const uint64_t args[6]) {
  const uint64_t a = args[c.arg];
  switch (c.op) {
    case policy::CmpOp::kEq:
      return a == c.value;
    case policy::CmpOp::kNe:
      return a != c.value;
    case policy::CmpOp::kLt:
      return a < c.value;
    case policy::CmpOp::kLe:
      return a <= c.value;
    case policy::CmpOp::kGt:
      return a > c.value;
    case policy::CmpOp::kGe:
      return a >= c.value;
    case policy::CmpOp::kMaskedEq:
      return (a & c.mask) == c.value;
  }
  return false;
}

bool AllHold(const std::vector<policy::ArgCondition>& conditions, const uint64_t args[6]) {
  for (const policy::ArgCondition& c : conditions) {
    if (!Holds(c, args)) return false;
  }
  return true;
}

uint32_t ActionValue(const policy::Action& action, const SeccompOptions& options) {
  switch (action.kind) {
    case policy::ActionKind::kAllow:
      return SECCOMP_RET_ALLOW;
    case policy::ActionKind::kKillProcess:
      return options.notify_kills ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_KILL_PROCESS;
    case policy::ActionKind::kErrno:
      return SECCOMP_RET_ERRNO |
             (static_cast<uint32_t>(action.errno_value[policy::Target::kLinux]) & SECCOMP_RET_DATA);
    case policy::ActionKind::kTrap:
      return SECCOMP_RET_TRAP;
    case policy::ActionKind::kLog:
      return SECCOMP_RET_LOG;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

uint32_t LibseccompAction(const policy::Action& action, const SeccompOptions& options) {
  switch (action.kind) {
    case policy::ActionKind::kAllow:
      return SCMP_ACT_ALLOW;
    case policy::ActionKind::kKillProcess:
      return options.notify_kills ? SCMP_ACT_NOTIFY : SCMP_ACT_KILL_PROCESS;
    case policy::ActionKind::kErrno:
      return SCMP_ACT_ERRNO(static_cast<uint16_t>(action.errno_value[policy::Target::kLinux]));
    case policy::ActionKind::kTrap:
      return SCMP_ACT_TRAP;
    case policy::ActionKind::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

bool Allows(const policy::Action& action) {
  return action.kind == policy::ActionKind::kAllow || action.kind == policy::ActionKind::kLog;
}

scmp_compare Operator(policy::CmpOp op) {
  switch (op) {
    case policy::CmpOp::kEq:
      return SCMP_CMP_EQ;
    case policy::CmpOp::kNe:
      return SCMP_CMP_NE;
    case policy::CmpOp::kLt:
      return SCMP_CMP_LT;
    case policy::CmpOp::kLe:
      return SCMP_CMP_LE;
    case policy::CmpOp::kGt:
      return SCMP_CMP_GT;
    case policy::CmpOp::kGe:
      return SCMP_CMP_GE;
    case policy::CmpOp::kMaskedEq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

}  // namespace

FilterModel BuildFilterModel(const policy::Policy& policy) {
  const policy::SyscallFilter& filter = policy.syscalls[policy::Target::kLinux];
  FilterModel model;
  if (filter.present) {
    model.default_action = filter.default_action;
  } else {
    model.default_action.kind = policy::ActionKind::kAllow;
  }
  // Reports point at the default action as written ("default: kill"), or at the clause.
  model.default_origin = {
      "syscalls", filter.default_action.span.valid() ? filter.default_action.span : filter.span};

  // A rule with a masked comparison whose value has bits outside the mask never matches (the
  // checker warns, condition-never-true) and is left out: libseccomp would compare with
  // value & mask instead, so an allow rule that never holds would allow (found by
  // fuzz/seccomp_diff_fuzzer.cc).
  auto can_match = [](const policy::SyscallRule& rule) {
    return std::none_of(rule.conditions.begin(), rule.conditions.end(), [](const auto& c) {
      return c.op == policy::CmpOp::kMaskedEq && (c.value & ~c.mask) != 0;
    });
  };
  std::vector<FilterRule> deny, allow;
  for (const policy::SyscallRule& rule : filter.deny) {
    if (!can_match(rule)) continue;
    deny.push_back(
        {rule.number, rule.name, rule.action, rule.conditions, {"syscalls", rule.span}, {}});
  }
  AddBackendRules(policy, deny);
  for (const policy::SyscallRule& rule : filter.allow) {
    if (!can_match(rule)) continue;
    allow.push_back(
        {rule.number, rule.name, rule.action, rule.conditions, {"syscalls", rule.span}, {}});
  }

  // Normalise per syscall: an unconditional deny hides every later rule for its syscall; one
  // unconditional allow replaces conditional ones; allows the default already gives are dropped.
  // Only 'allow' gives them: under 'log' an allowed call is not logged (the decision order of
  // docs/policy-language.md; found by fuzz/seccomp_diff_fuzzer.cc).
  std::map<int, std::vector<const FilterRule*>> denies, allows;
  for (const FilterRule& rule : deny) denies[rule.number].push_back(&rule);
  for (const FilterRule& rule : allow) allows[rule.number].push_back(&rule);
  for (auto& [number, rules] : denies) {
    for (const FilterRule* rule : rules) {
      model.deny.push_back(*rule);
      if (rule->conditions.empty()) {
        allows.erase(number);
        break;  // nothing after an unconditional deny can match first
      }
    }
  }
  if (model.default_action.kind != policy::ActionKind::kAllow) {
    for (auto& [number, rules] : allows) {
      auto unconditional = std::find_if(rules.begin(), rules.end(),
                                        [](const FilterRule* r) { return r->conditions.empty(); });
      if (unconditional != rules.end()) {
        model.allow.push_back(**unconditional);
        continue;
      }
      for (const FilterRule* rule : rules) model.allow.push_back(*rule);
    }
  }

  // The launcher's own exec must pass even when the program may not exec anything itself.
  for (const char* name : {"execve", "execveat"}) {
    const int number = Number(name);
    bool unconditionally_allowed = Allows(model.default_action);
    for (const FilterRule& rule : model.deny) unconditionally_allowed &= rule.number != number;
    for (const FilterRule& rule : model.allow) {
      if (rule.number == number && rule.conditions.empty()) unconditionally_allowed = true;
    }
    if (!unconditionally_allowed) model.exec_once = true;
  }

  // Syscalls the filters cannot decide without mixing actions for one syscall.
  std::map<int, std::vector<uint32_t>> actions;
  for (const FilterRule& rule : model.deny) {
    const uint32_t value = ActionValue(rule.action, SeccompOptions{.notify_kills = false});
    auto& list = actions[rule.number];
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  }
  for (const auto& [number, list] : actions) {
    const bool kills = std::find(list.begin(), list.end(), SECCOMP_RET_KILL_PROCESS) != list.end();
    if (kills || list.size() > 1) model.supervised.push_back(number);
  }
  if (model.exec_once) {
    for (const char* name : {"execve", "execveat"}) {
      if (std::find(model.supervised.begin(), model.supervised.end(), Number(name)) ==
          model.supervised.end()) {
        model.supervised.push_back(Number(name));
      }
    }
  }
  // libseccomp 2.5.4 merges the comparisons of all rules for one syscall into one tree, and
  // gets combinations wrong (found by fuzz/seccomp_diff_fuzzer.cc; libseccomp defines no
  // semantics for combined rules, its issue #118): with {arg0 > 0xdd, arg4 > 0xdd} and
  // {arg0 > 0x100, arg2 <= 0xff}, read(0xde, 0, 0) matched the second rule; with arg5 <= 3 and
  // arg5 <= 0xffffffff5dffff, arg5 = 0xffffffff matched neither (likely the _db_tree_add typo
  // upstream fixed in commit 5404f5c, after 2.6); bounds of both directions with equalities
  // on one argument failed too. An allow rule could so allow more than the policy, a deny
  // rule deny less. Single-condition equalities, inequalities and masked equalities combine
  // correctly; so does the one ordered shape linux-sim's own socket-family rules use (one
  // upper and one lower bound below 2^32 on arg0), which seccomp_test.cc and the fuzzer check
  // with any such policy rules beside it. Every other syscall with several conditional rules
  // where one tests several arguments or compares by order goes to the supervisor, which
  // decides it from this model.
  std::map<int, std::vector<const FilterRule*>> conditional;
  for (const std::vector<FilterRule>* rules : {&model.deny, &model.allow}) {
    for (const FilterRule& rule : *rules) {
      if (!rule.conditions.empty()) conditional[rule.number].push_back(&rule);
    }
  }
  for (const auto& [number, rules] : conditional) {
    if (rules.size() < 2) continue;
    bool merged_wrongly = false;
    for (const FilterRule* rule : rules) {
      merged_wrongly |= rule->conditions.size() > 1;
      const policy::CmpOp op = rule->conditions.front().op;
      const bool ordered = op == policy::CmpOp::kLt || op == policy::CmpOp::kLe ||
                           op == policy::CmpOp::kGt || op == policy::CmpOp::kGe;
      merged_wrongly |= ordered && rule->origin.clause == "syscalls";
    }
    if (merged_wrongly) model.supervised.push_back(number);
  }
  std::sort(model.supervised.begin(), model.supervised.end());
  model.supervised.erase(std::unique(model.supervised.begin(), model.supervised.end()),
                         model.supervised.end());

  model.unknown_action = Allows(model.default_action) ? Errno("ENOSYS") : model.default_action;
  return model;
}

const FilterRule* DecidingRule(const FilterModel& model, int number, const uint64_t args[6]) {
  for (const FilterRule& rule : model.deny) {
    if (rule.number == number && AllHold(rule.conditions, args)) return &rule;
  }
  for (const FilterRule& rule : model.allow) {
    if (rule.number == number && AllHold(rule.conditions, args)) return &rule;
  }
  return nullptr;
}

uint32_t DecideSeccomp(const FilterModel& model, uint32_t arch, int number, const uint64_t args[6],
                       int execs_so_far) {
  const SeccompOptions decision{.notify_kills = false};
  if (arch != AUDIT_ARCH_X86_64) return SECCOMP_RET_KILL_PROCESS;
  // libseccomp's x86_64 filter kills every number from the x32 bit up (as an unsigned 32-bit
  // value), but for -1: the kernel's "no syscall" (a tracer skipping one), which goes on to the
  // rules, and so to the default action; the kernel then fails it with ENOSYS (both found by
  // fuzz/seccomp_diff_fuzzer.cc).
  if (number != -1 && static_cast<uint32_t>(number) >= kX32Bit) return SECCOMP_RET_KILL_PROCESS;
  if (model.exec_once && execs_so_far == 0 &&
      (number == Number("execve") || number == Number("execveat"))) {
    return SECCOMP_RET_ALLOW;
  }
  if (number > policy::kLinuxHighestKnownSyscall) {
    return ActionValue(
        number <= kHighestGuardedSyscall ? model.unknown_action : model.default_action, decision);
  }
  if (const FilterRule* rule = DecidingRule(model, number, args)) {
    return ActionValue(rule->action, decision);
  }
  return ActionValue(model.default_action, decision);
}

uint32_t CombineActions(const std::vector<uint32_t>& results_oldest_first) {
  // kernel/seccomp.c seccomp_run_filters(): newest first, a strictly more restrictive action
  // (a smaller value as s32) replaces the current one.
  uint32_t result = SECCOMP_RET_ALLOW;
  for (auto it = results_oldest_first.rbegin(); it != results_oldest_first.rend(); ++it) {
    if (static_cast<int32_t>(*it & SECCOMP_RET_ACTION_FULL) <
        static_cast<int32_t>(result & SECCOMP_RET_ACTION_FULL)) {
      result = *it;
    }
  }
  return result;
}

std::string Where(const policy::SourceSet& sources, const Origin& origin) {
  if (!origin.span.valid() || origin.span.file >= sources.size()) {
    return origin.clause.empty() ? "(linux-sim)" : origin.clause + " (default)";
  }
  const policy::LineColumn at = sources.Position(origin.span.file, origin.span.begin);
  return sources.path(origin.span.file) + ":" + std::to_string(at.line) + ":" +
         std::to_string(at.column);
}

namespace {

// One libseccomp context with stockade's attributes, released on scope exit.
class Context {
 public:
  static Expected<Context> Create(uint32_t default_action, const SeccompOptions& options) {
    Context context(seccomp_init(default_action));
    if (!context.ctx_) return Error(ErrorCode::kInternal, "seccomp_init failed");
    // Another architecture (the i386 entry point on x86_64) is killed outright; x32 numbers
    // (bit 30) are refused by libseccomp's x86_64 filter with the same action.
    STOCKADE_RETURN_IF_ERROR(context.Attr(SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS));
    // The child sets no_new_privs itself, before Landlock; libseccomp must not touch it.
    STOCKADE_RETURN_IF_ERROR(context.Attr(SCMP_FLTATR_CTL_NNP, 0));
    // A binary tree of syscall numbers: a rule's cost does not grow with the rule count.
    STOCKADE_RETURN_IF_ERROR(context.Attr(SCMP_FLTATR_CTL_OPTIMIZE, options.binary_tree ? 2 : 1));
    return context;
  }
  Context(Context&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  ~Context() {
    if (ctx_) seccomp_release(ctx_);
  }

  Status Add(const FilterRule& rule, uint32_t action) {
    std::vector<scmp_arg_cmp> cmps;
    for (const policy::ArgCondition& c : rule.conditions) {
      const uint64_t first = c.op == policy::CmpOp::kMaskedEq ? c.mask : c.value;
      const uint64_t second = c.op == policy::CmpOp::kMaskedEq ? c.value : 0;
      cmps.push_back(scmp_arg_cmp{c.arg, Operator(c.op), first, second});
    }
    const int rc = seccomp_rule_add_exact_array(ctx_, action, rule.number,
                                                static_cast<unsigned>(cmps.size()), cmps.data());
    // The same rule twice (a syscall listed by two groups) is not an error.
    if (rc != 0 && rc != -EEXIST) {
      return Error::FromErrno(
          "libseccomp refused the rule for '" + rule.name + "' (" + rule.where + ")", -rc);
    }
    ++rules_;
    return {};
  }

  size_t rules() const { return rules_; }

  Expected<std::vector<sock_filter>> Export() {
    UniqueFd memory(memfd_create("stockade-seccomp", MFD_CLOEXEC));
    if (!memory) return Error::FromErrno("memfd_create", errno);
    if (int rc = seccomp_export_bpf(ctx_, memory.get()); rc != 0) {
      return Error::FromErrno("seccomp_export_bpf", -rc);
    }
    const off_t size = lseek(memory.get(), 0, SEEK_END);
    if (size <= 0 || size % sizeof(sock_filter) != 0) {
      return Error(ErrorCode::kInternal, "libseccomp exported a malformed program");
    }
    std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
    if (pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size) {
      return Error::FromErrno("reading the exported filter", errno);
    }
    if (program.size() > kMaxBpfInstructions) {
      return Error(ErrorCode::kResourceExhausted,
                   "the syscall filter needs " + std::to_string(program.size()) +
                       " BPF instructions; the kernel accepts at most " +
                       std::to_string(kMaxBpfInstructions));
    }
    return program;
  }

 private:
  explicit Context(scmp_filter_ctx ctx) : ctx_(ctx) {}
  Status Attr(scmp_filter_attr name, uint32_t value) {
    const int rc = seccomp_attr_set(ctx_, name, value);
    if (rc != 0) return Error::FromErrno("seccomp_attr_set", -rc);
    return {};
  }
  scmp_filter_ctx ctx_;
  size_t rules_ = 0;
};

// The guard for numbers newer than libseccomp's table, written out by hand because it is a
// range: foreign architectures and x32 numbers are killed (as libseccomp's programs do, for the
// case that no other program is installed), kLinuxHighestKnownSyscall < nr <=
// kHighestGuardedSyscall gets `unknown`, everything else is allowed (left to the other programs).
// -1, the kernel's "no syscall", is left to the other programs as libseccomp's leave it to their
// rules (DecideSeccomp; found by fuzz/seccomp_diff_fuzzer.cc).
std::vector<sock_filter> GuardProgram(uint32_t unknown) {
  constexpr uint32_t kArch = offsetof(struct seccomp_data, arch);
  constexpr uint32_t kNr = offsetof(struct seccomp_data, nr);
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 5, 0),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, kHighestGuardedSyscall, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, policy::kLinuxHighestKnownSyscall, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, unknown),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

bool Contains(const std::vector<int>& sorted, int number) {
  return std::binary_search(sorted.begin(), sorted.end(), number);
}

}  // namespace

Expected<SeccompPlan> CompileSeccomp(FilterModel model, const policy::SourceSet& sources,
                                     const SeccompOptions& options) {
  if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
    return Error(ErrorCode::kUnsupported, "linux-sim enforces syscall policies on x86_64 only");
  }
  if (!options.notify_kills && !model.supervised.empty()) {
    return Error(
        ErrorCode::kUnsupported,
        "this policy needs seccomp user notification for '" +
            std::string(
                policy::FindSyscallByNumber(policy::Target::kLinux, model.supervised.front())
                    ? policy::FindSyscallByNumber(policy::Target::kLinux, model.supervised.front())
                          ->name
                    : "?") +
            "', and it is not available");
  }
  model.default_where = Where(sources, model.default_origin);
  for (FilterRule& rule : model.deny) rule.where = Where(sources, rule.origin);
  for (FilterRule& rule : model.allow) rule.where = Where(sources, rule.origin);

  SeccompPlan plan;
  plan.enabled = true;
  const uint32_t default_action = LibseccompAction(model.default_action, options);
  plan.listener =
      options.notify_kills && (default_action == SCMP_ACT_NOTIFY || !model.supervised.empty());
  if (plan.listener && !model.exec_once) {
    // The launcher's own execve must reach the supervisor, which fetches the listener while
    // the launcher waits there; the program's later ones are decided by the model.
    model.exec_once = true;
    for (const char* name : {"execve", "execveat"}) model.supervised.push_back(Number(name));
    std::sort(model.supervised.begin(), model.supervised.end());
    model.supervised.erase(std::unique(model.supervised.begin(), model.supervised.end()),
                           model.supervised.end());
  }

  // The deny filter first: its default allows, so the launcher can still report a failure to
  // install the second one.
  STOCKADE_ASSIGN_OR_RETURN(Context deny_filter, Context::Create(SCMP_ACT_ALLOW, options));
  for (const FilterRule& rule : model.deny) {
    if (Contains(model.supervised, rule.number)) continue;
    STOCKADE_RETURN_IF_ERROR(deny_filter.Add(rule, LibseccompAction(rule.action, options)));
  }
  // Numbers above libseccomp's table when the default allows: one range check in a program of
  // our own. As libseccomp rules they were 567 rules, 5 ms of compiling per launch
  // (docs/benchmarks.md).
  if (LibseccompAction(model.unknown_action, options) != default_action) {
    plan.programs.push_back(GuardProgram(ActionValue(model.unknown_action, options)));
  }
  if (deny_filter.rules() > 0) {
    STOCKADE_ASSIGN_OR_RETURN(std::vector<sock_filter> deny_program, deny_filter.Export());
    plan.programs.push_back(std::move(deny_program));
  }

  // The allow filter last; it carries the notification listener.
  STOCKADE_ASSIGN_OR_RETURN(Context allow_filter, Context::Create(default_action, options));
  if (default_action != SCMP_ACT_ALLOW) {
    for (const std::vector<FilterRule>* rules : {&model.allow, &model.deny}) {
      for (const FilterRule& rule : *rules) {
        if (Contains(model.supervised, rule.number)) continue;
        STOCKADE_RETURN_IF_ERROR(allow_filter.Add(rule, SCMP_ACT_ALLOW));
      }
    }
  }
  if (default_action != SCMP_ACT_NOTIFY) {
    for (int number : model.supervised) {
      const policy::SyscallInfo* info = policy::FindSyscallByNumber(policy::Target::kLinux, number);
      FilterRule rule{number, info ? std::string(info->name) : std::to_string(number),
                      {},     {},
                      {},     "(supervised)"};
      STOCKADE_RETURN_IF_ERROR(allow_filter.Add(rule, SCMP_ACT_NOTIFY));
    }
  }
  if (allow_filter.rules() > 0 || default_action != SCMP_ACT_ALLOW) {
    STOCKADE_ASSIGN_OR_RETURN(std::vector<sock_filter> allow_program, allow_filter.Export());
    plan.programs.push_back(std::move(allow_program));
  }
  plan.model = std::move(model);
  return plan;
}

uint32_t EvaluateBpf(const std::vector<sock_filter>& program, uint32_t arch, int number,
                     uint64_t instruction_pointer, const uint64_t args[6], size_t* executed) {
  // struct seccomp_data, as 16 little-endian 32-bit words.
  uint32_t data[16] = {};
  data[0] = static_cast<uint32_t>(number);
  data[1] = arch;
  data[2] = static_cast<uint32_t>(instruction_pointer);
  data[3] = static_cast<uint32_t>(instruction_pointer >> 32);
  for (int i = 0; i < 6; ++i) {
    data[4 + 2 * i] = static_cast<uint32_t>(args[i]);
    data[5 + 2 * i] = static_cast<uint32_t>(args[i] >> 32);
  }
  uint32_t a = 0, x = 0, memory[BPF_MEMWORDS] = {};
  const size_t size = program.size();
  // Reports how many instructions ran, on every return path.
  struct Counter {
    size_t steps = 0;
    size_t* out;
    ~Counter() {
      if (out) *out = steps;
    }
  } counter{0, executed};
  if (size == 0 || size > kMaxBpfInstructions) return SECCOMP_RET_KILL_PROCESS;
  for (size_t pc = 0; pc < size; ++pc) {
    ++counter.steps;
    const sock_filter& insn = program[pc];
    const uint32_t k = insn.k;
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k >= sizeof(data) || k % 4 != 0) return SECCOMP_RET_KILL_PROCESS;
        a = data[k / 4];
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        a = sizeof(data);
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        x = sizeof(data);
        break;
      case BPF_LD | BPF_IMM:
        a = k;
        break;
      case BPF_LDX | BPF_IMM:
        x = k;
        break;
      case BPF_LD | BPF_MEM:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        a = memory[k];
        break;
      case BPF_LDX | BPF_MEM:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        x = memory[k];
        break;
      case BPF_ST:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        memory[k] = a;
        break;
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        memory[k] = x;
        break;
      case BPF_MISC | BPF_TAX:
        x = a;
        break;
      case BPF_MISC | BPF_TXA:
        a = x;
        break;
      case BPF_RET | BPF_K:
        return k;
      case BPF_RET | BPF_A:
        return a;
      case BPF_ALU | BPF_ADD | BPF_K:
        a += k;
        break;
      case BPF_ALU | BPF_ADD | BPF_X:
        a += x;
        break;
      case BPF_ALU | BPF_SUB | BPF_K:
        a -= k;
        break;
      case BPF_ALU | BPF_SUB | BPF_X:
        a -= x;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        a *= k;
        break;
      case BPF_ALU | BPF_MUL | BPF_X:
        a *= x;
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (k == 0) return SECCOMP_RET_KILL_PROCESS;
        a /= k;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        if (x == 0) return SECCOMP_RET_KILL_PROCESS;
        a /= x;
        break;
      case BPF_ALU | BPF_MOD | BPF_K:
        if (k == 0) return SECCOMP_RET_KILL_PROCESS;
        a %= k;
        break;
      case BPF_ALU | BPF_MOD | BPF_X:
        if (x == 0) return SECCOMP_RET_KILL_PROCESS;
        a %= x;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        a &= k;
        break;
      case BPF_ALU | BPF_AND | BPF_X:
        a &= x;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        a |= k;
        break;
      case BPF_ALU | BPF_OR | BPF_X:
        a |= x;
        break;
      case BPF_ALU | BPF_XOR | BPF_K:
        a ^= k;
        break;
      case BPF_ALU | BPF_XOR | BPF_X:
        a ^= x;
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
        a = k < 32 ? a << k : 0;
        break;
      case BPF_ALU | BPF_LSH | BPF_X:
        a = x < 32 ? a << x : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        a = k < 32 ? a >> k : 0;
        break;
      case BPF_ALU | BPF_RSH | BPF_X:
        a = x < 32 ? a >> x : 0;
        break;
      case BPF_ALU | BPF_NEG:
        a = 0u - a;
        break;
      case BPF_JMP | BPF_JA:
        if (pc + 1 + k >= size) return SECCOMP_RET_KILL_PROCESS;
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JEQ | BPF_X:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_X:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_X:
      case BPF_JMP | BPF_JSET | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_X: {
        const uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : k;
        bool taken = false;
        switch (BPF_OP(insn.code)) {
          case BPF_JEQ:
            taken = a == operand;
            break;
          case BPF_JGT:
            taken = a > operand;
            break;
          case BPF_JGE:
            taken = a >= operand;
            break;
          case BPF_JSET:
            taken = (a & operand) != 0;
            break;
        }
        const uint32_t offset = taken ? insn.jt : insn.jf;
        if (pc + 1 + offset >= size) return SECCOMP_RET_KILL_PROCESS;
        pc += offset;
        break;
      }
      default:
        return SECCOMP_RET_KILL_PROCESS;  // an instruction seccomp's checker refuses
    }
  }
  return SECCOMP_RET_KILL_PROCESS;  // ran off the end: the checker refuses such programs
}

}  // namespace stockade::linux_sim
