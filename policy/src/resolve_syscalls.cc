// SPDX-License-Identifier: BSD-2-Clause
// The 'syscalls' section: default action, allow and deny rules by name and group, argument
// conditions with per-target constants, and per-target lists.

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <variant>

#include "resolver.h"
#include "stockade/policy/names.h"

namespace stockade::policy::detail {
namespace {

// ---- argument conditions -------------------------------------------------------------------

struct Token {
  enum class Kind { kWord, kNumber, kOp, kEnd } kind;
  std::string text;
  size_t offset;  // in the condition string
};

// One operand: terms ORed together, each a number or a named constant.
struct Term {
  std::string text;
  size_t offset;
  std::optional<IntLiteral> number;
  const ConstantInfo* constant = nullptr;
};
using Operand = std::vector<Term>;

struct ParsedCondition {
  uint8_t arg = 0;
  CmpOp op = CmpOp::kEq;
  Operand mask;  // kMaskedEq only
  Operand value;
};

class ConditionParser {
 public:
  ConditionParser(const Node& node, Resolver& r) : node_(node), r_(r), text_(node.scalar) {}

  std::optional<ParsedCondition> Parse() {
    if (!Tokenize()) return std::nullopt;
    ParsedCondition condition;
    const Token& arg = tokens_[0];
    if (arg.kind != Token::Kind::kWord || arg.text.size() != 4 || arg.text.substr(0, 3) != "arg" ||
        arg.text[3] < '0' || arg.text[3] > '5') {
      return Fail(arg, "a condition starts with the argument it tests, arg0 to arg5");
    }
    condition.arg = static_cast<uint8_t>(arg.text[3] - '0');
    pos_ = 1;
    const Token& op = tokens_[pos_];
    if (op.kind != Token::Kind::kOp || op.text == "|") {
      return Fail(op, "an operator after '" + arg.text + "': == != < <= > >= or &");
    }
    ++pos_;
    if (op.text == "&") {
      condition.op = CmpOp::kMaskedEq;
      if (!ParseOperand(condition.mask)) return std::nullopt;
      const Token& eq = tokens_[pos_];
      if (eq.kind != Token::Kind::kOp || eq.text != "==") {
        return Fail(eq, "'==' after the mask: arg & MASK == VALUE");
      }
      ++pos_;
    } else {
      static const std::map<std::string, CmpOp, std::less<>> kOps = {
          {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}, {"<", CmpOp::kLt},
          {"<=", CmpOp::kLe}, {">", CmpOp::kGt},  {">=", CmpOp::kGe}};
      condition.op = kOps.at(op.text);
    }
    if (!ParseOperand(condition.value)) return std::nullopt;
    if (tokens_[pos_].kind != Token::Kind::kEnd) {
      return Fail(tokens_[pos_], "the end of the condition");
    }
    return condition;
  }

 private:
  bool Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (c == ' ' || c == '\t') {
        ++i;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = i;
        while (i < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[i])) || text_[i] == '_')) {
          ++i;
        }
        tokens_.push_back({Token::Kind::kWord, text_.substr(start, i - start), start});
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '-' && i + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t start = i++;
        while (i < text_.size() && std::isalnum(static_cast<unsigned char>(text_[i]))) ++i;
        tokens_.push_back({Token::Kind::kNumber, text_.substr(start, i - start), start});
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        size_t start = i++;
        if (i < text_.size() && text_[i] == '=') ++i;
        std::string op = text_.substr(start, i - start);
        if (op == "=" || op == "!") {
          r_.diags().AddError("invalid-condition", r_.SubSpan(node_, start, op.size()),
                              "'" + op + "' is not an operator",
                              "one of == != < <= > >= (and & for masks)");
          return false;
        }
        tokens_.push_back({Token::Kind::kOp, op, start});
      } else if (c == '&' || c == '|') {
        tokens_.push_back({Token::Kind::kOp, std::string(1, c), i++});
      } else {
        r_.diags().AddError("invalid-condition", r_.SubSpan(node_, i, 1),
                            std::string("unexpected character '") + c + "' in a condition",
                            "argN OP VALUE, e.g. \"arg0 == AF_UNIX\"");
        return false;
      }
    }
    tokens_.push_back({Token::Kind::kEnd, "", text_.size()});
    return true;
  }

  bool ParseOperand(Operand& operand) {
    while (true) {
      const Token& token = tokens_[pos_];
      Term term{token.text, token.offset, std::nullopt, nullptr};
      if (token.kind == Token::Kind::kNumber) {
        term.number = ParseIntLiteral(token.text);
        if (!term.number) {
          Fail(token, "a number: decimal, 0x hex or 0o octal, at most 64 bits");
          return false;
        }
      } else if (token.kind == Token::Kind::kWord) {
        term.constant = FindConstant(token.text);
        if (!term.constant) {
          std::vector<std::string_view> names;
          for (const ConstantInfo& constant : Constants()) names.push_back(constant.name);
          r_.diags().AddError(
              "unknown-constant", r_.SubSpan(node_, token.offset, token.text.size()),
              "unknown constant '" + token.text + "'",
              "a number or a known constant (docs/constants.md)" + DidYouMean(token.text, names));
          return false;
        }
      } else {
        Fail(token, "a number or a constant name");
        return false;
      }
      operand.push_back(std::move(term));
      ++pos_;
      if (tokens_[pos_].kind == Token::Kind::kOp && tokens_[pos_].text == "|") {
        ++pos_;
        continue;
      }
      return true;
    }
  }

  std::nullopt_t Fail(const Token& token, const std::string& expected) {
    r_.diags().AddError("invalid-condition",
                        r_.SubSpan(node_, token.offset, std::max<size_t>(token.text.size(), 1)),
                        token.kind == Token::Kind::kEnd
                            ? "condition '" + text_ + "' ends too early"
                            : "unexpected '" + token.text + "' in condition '" + text_ + "'",
                        expected);
    return std::nullopt;
  }

  const Node& node_;
  Resolver& r_;
  std::string text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

// The value of an operand on `target`, or the first constant the target lacks.
std::variant<uint64_t, const Term*> Evaluate(const Operand& operand, Target target) {
  uint64_t value = 0;
  for (const Term& term : operand) {
    if (term.number) {
      value |= term.number->negative ? ~term.number->magnitude + 1 : term.number->magnitude;
    } else {
      std::optional<uint64_t> constant = ConstantValue(*term.constant, target);
      if (!constant) return &term;
      value |= *constant;
    }
  }
  return value;
}

// ---- rules ---------------------------------------------------------------------------------

// One call under each target's own name, for the "(freebsd has 'fstatat')" hint when a policy
// names a syscall only one target has. Curated, not guessed from spelling: the nearest name by
// edit distance is often a different call (clone -> close, mbind -> bind, uname -> name).
// Where one side is a newer variant (openat2, faccessat2), the hint names the older call the
// other target has. tests/policy/check_test.cc checks every hint names a real syscall.
struct CrossTargetName {
  std::string_view linux_name;
  std::string_view freebsd_name;
};
constexpr CrossTargetName kCrossTargetNames[] = {
    {"newfstatat", "fstatat"},
    {"stat", "fstatat"},
    {"lstat", "fstatat"},
    {"pread64", "pread"},
    {"pwrite64", "pwrite"},
    {"umount2", "unmount"},
    {"exit_group", "_exit"},
    {"rt_sigaction", "sigaction"},
    {"rt_sigprocmask", "sigprocmask"},
    {"rt_sigreturn", "sigreturn"},
    {"rt_sigpending", "sigpending"},
    {"rt_sigsuspend", "sigsuspend"},
    {"rt_sigtimedwait", "sigtimedwait"},
    {"timer_create", "ktimer_create"},
    {"timer_settime", "ktimer_settime"},
    {"timer_gettime", "ktimer_gettime"},
    {"timer_getoverrun", "ktimer_getoverrun"},
    {"timer_delete", "ktimer_delete"},
    {"mq_open", "kmq_open"},
    {"mq_unlink", "kmq_unlink"},
    {"mq_timedsend", "kmq_timedsend"},
    {"mq_timedreceive", "kmq_timedreceive"},
    {"mq_notify", "kmq_notify"},
    {"mq_getsetattr", "kmq_setattr"},
    {"getcwd", "__getcwd"},
    {"_sysctl", "__sysctl"},
    {"semctl", "__semctl"},
    {"sched_setaffinity", "cpuset_setaffinity"},
    {"sched_getaffinity", "cpuset_getaffinity"},
    {"waitid", "wait6"},
    {"inotify_add_watch", "inotify_add_watch_at"},
    {"pipe", "pipe2"},
    {"openat2", "openat"},
    {"faccessat2", "faccessat"},
    {"fchmodat2", "fchmodat"},
    {"preadv2", "preadv"},
    {"pwritev2", "pwritev"},
    {"mlock2", "mlock"},
};

// The name `other` gives the call that the other target calls `name`; empty if none is known.
std::string_view OtherSpelling(std::string_view name, Target other) {
  for (const CrossTargetName& pair : kCrossTargetNames) {
    if (other == Target::kFreeBsd && pair.linux_name == name) return pair.freebsd_name;
    if (other == Target::kLinux && pair.freebsd_name == name) return pair.linux_name;
  }
  return {};
}

enum class ListKind { kAllow, kDeny };

struct Scope {
  bool common;    // the shared list: names from either target
  Target target;  // when !common
};

class SyscallResolver {
 public:
  SyscallResolver(Resolver& r, Policy& policy) : r_(r), policy_(policy) {}

  void Resolve(const Node& node) {
    if (!r_.ExpectMapping(node, "'syscalls'")) return;
    r_.CheckKeys(node, {"default", "justification", "allow", "deny", "linux", "freebsd"},
                 "in 'syscalls'");
    for (Target target : kAllTargets) {
      policy_.syscalls[target].present = true;
      policy_.syscalls[target].span = node.span;
    }
    if (const Node* def = node.Find("default")) {
      if (std::optional<Action> action = ReadAction(*def, "'syscalls.default'", /*deny=*/false)) {
        for (Target target : kAllTargets) policy_.syscalls[target].default_action = *action;
        default_allows_ = action->kind == ActionKind::kAllow;
        if (default_allows_) default_allow_span_ = def->span;
      }
    }
    if (const Node* justification = node.Find("justification")) {
      default_justified_ = r_.String(*justification, "a justification").has_value();
    }
    if (default_allows_ && !default_justified_) {
      r_.diags().AddWarning("dangerous-grant", default_allow_span_,
                            "'default: allow' lets the program make every syscall no deny rule "
                            "names, including ones added to the kernel later",
                            "a default that denies, or a 'justification:' beside 'default:'");
    }
    ReadList(node, "allow", ListKind::kAllow, {true, Target::kLinux});
    ReadList(node, "deny", ListKind::kDeny, {true, Target::kLinux});
    for (Target target : kAllTargets) {
      const std::string key(TargetName(target));
      const Node* section = node.Find(key);
      if (!section || section->is_null()) continue;
      if (!r_.ExpectMapping(*section, "'syscalls." + key + "'")) continue;
      r_.CheckKeys(*section, {"allow", "deny"}, "in 'syscalls." + key + "'");
      ReadList(*section, "allow", ListKind::kAllow, {false, target});
      ReadList(*section, "deny", ListKind::kDeny, {false, target});
    }
    for (Target target : kAllTargets) Finish(policy_.syscalls[target]);
  }

 private:
  std::optional<Action> ReadAction(const Node& node, std::string_view what, bool deny) {
    Action action;
    action.span = node.span;
    if (node.is_mapping()) {
      r_.CheckKeys(node, {"errno"}, "in " + std::string(what));
      const Node* name = node.Find("errno");
      if (!name) {
        r_.diags().AddError("missing-key", node.span, std::string(what) + " has no 'errno'",
                            "{errno: EPERM}");
        return std::nullopt;
      }
      std::optional<std::string> text = r_.String(*name, "an errno name");
      if (!text) return std::nullopt;
      const ErrnoInfo* info = FindErrno(*text);
      if (!info) {
        std::vector<std::string_view> names;
        for (const ErrnoInfo& e : Errnos()) names.push_back(e.name);
        r_.diags().AddError(
            "unknown-errno", name->span, "unknown errno '" + *text + "'",
            "an errno name such as EPERM, EACCES or ENOSYS" + DidYouMean(*text, names));
        return std::nullopt;
      }
      for (Target target : kAllTargets) {
        std::optional<int> value =
            target == Target::kLinux ? info->linux_value : info->freebsd_value;
        if (!value) {
          r_.diags().AddError(
              "unknown-errno", name->span,
              "errno '" + *text + "' does not exist on " + std::string(TargetName(target)),
              "an errno both targets have, such as EPERM or EACCES");
          return std::nullopt;
        }
        action.errno_value[target] = *value;
      }
      action.kind = ActionKind::kErrno;
      action.errno_name = *text;
      return action;
    }
    std::optional<std::string> word = deny
                                          ? r_.Choice(node, what, {"kill", "trap", "log"})
                                          : r_.Choice(node, what, {"kill", "trap", "log", "allow"});
    if (!word) return std::nullopt;
    if (*word == "kill") action.kind = ActionKind::kKillProcess;
    if (*word == "trap") action.kind = ActionKind::kTrap;
    if (*word == "log") action.kind = ActionKind::kLog;
    if (*word == "allow") action.kind = ActionKind::kAllow;
    return action;
  }

  void ReadList(const Node& section, std::string_view key, ListKind kind, Scope scope) {
    const Node* list = section.Find(key);
    if (!list || list->is_null()) return;
    const std::string where = scope.common ? "'syscalls." + std::string(key) + "'"
                                           : "'syscalls." + std::string(TargetName(scope.target)) +
                                                 "." + std::string(key) + "'";
    if (!r_.ExpectSequence(*list, where)) return;
    for (const Node& entry : list->items) ReadEntry(entry, kind, scope);
  }

  void ReadEntry(const Node& entry, ListKind kind, Scope scope) {
    const Node* name_node = &entry;
    const Node* when = nullptr;
    const Node* action_node = nullptr;
    bool justified = false;
    if (entry.is_mapping()) {
      r_.CheckKeys(entry, {"name", "when", "action", "justification"}, "in a syscall rule");
      name_node = entry.Find("name");
      if (!name_node) {
        r_.diags().AddError("missing-key", entry.span, "a syscall rule has no 'name'",
                            "{name: socket, when: \"arg0 == AF_UNIX\"}");
        return;
      }
      when = entry.Find("when");
      action_node = entry.Find("action");
      if (const Node* justification = entry.Find("justification")) {
        justified = r_.String(*justification, "a justification").has_value();
      }
    }
    std::optional<std::string> name = r_.String(*name_node, "a syscall name");
    if (!name) return;

    std::optional<Action> action;
    if (action_node) {
      if (kind == ListKind::kAllow) {
        r_.diags().AddError("invalid-key", action_node->span, "'action' is only for deny rules",
                            "an allow rule without 'action' (it allows)");
        return;
      }
      action = ReadAction(*action_node, "a deny rule's 'action'", /*deny=*/true);
      if (!action) return;
    }

    std::vector<const Node*> conditions;
    if (when) {
      if (when->is_scalar()) {
        conditions.push_back(when);
      } else if (when->is_sequence()) {
        for (const Node& item : when->items) conditions.push_back(&item);
      } else {
        r_.ExpectSequence(*when, "'when'");
        return;
      }
    }
    std::vector<ParsedCondition> parsed;
    std::set<uint8_t> args;
    for (const Node* condition : conditions) {
      if (!r_.String(*condition, "a condition")) return;
      std::optional<ParsedCondition> one = ConditionParser(*condition, r_).Parse();
      if (!one) return;
      if (!args.insert(one->arg).second) {
        r_.diags().AddError("duplicate-arg-condition", condition->span,
                            "arg" + std::to_string(one->arg) + " is tested twice in one rule",
                            "one condition per argument in a rule (libseccomp's rule model); "
                            "write two rules, or a masked comparison");
        return;
      }
      parsed.push_back(std::move(*one));
    }

    const bool is_group = !name->empty() && (*name)[0] == '@';
    if (is_group && !conditions.empty()) {
      r_.diags().AddError("invalid-condition", when->span,
                          "conditions test one syscall's arguments; '" + *name + "' is a group",
                          "conditions on rules that name one syscall");
      return;
    }

    // Which targets this entry applies to.
    std::vector<Target> targets;
    if (scope.common) {
      std::vector<Target> known;
      for (Target target : kAllTargets) {
        const bool exists = is_group ? FindSyscallGroup(target, *name) != nullptr
                                     : FindSyscall(target, *name) != nullptr;
        if (exists) known.push_back(target);
      }
      if (known.empty()) {
        ReportUnknown(*name, name_node->span, is_group, std::nullopt);
        return;
      }
      if (known.size() == 1) {
        const Target other = known[0] == Target::kLinux ? Target::kFreeBsd : Target::kLinux;
        r_.diags().AddWarning("syscall-target-only", name_node->span,
                              std::string(is_group ? "group" : "syscall") + " '" + *name +
                                  "' exists on " + std::string(TargetName(known[0])) + " only; " +
                                  std::string(TargetName(other)) + " has no such " +
                                  (is_group ? "group" : "syscall"),
                              "a name both targets know, or this entry under 'syscalls." +
                                  std::string(TargetName(known[0])) + "' to silence this" +
                                  SuggestOther(*name, other, is_group));
      }
      targets = known;
    } else {
      const bool exists = is_group ? FindSyscallGroup(scope.target, *name) != nullptr
                                   : FindSyscall(scope.target, *name) != nullptr;
      if (!exists) {
        ReportUnknown(*name, name_node->span, is_group, scope.target);
        return;
      }
      targets.push_back(scope.target);
    }

    // Condition index -> the targets on which it can never hold: reported once when that is
    // every target, rather than once per target with the same position and words.
    std::map<size_t, std::vector<Target>> never_true;
    for (Target target : targets) {
      std::vector<ArgCondition> resolved;
      bool applies = true;
      for (size_t i = 0; i < parsed.size() && applies; ++i) {
        ArgCondition condition;
        condition.arg = parsed[i].arg;
        condition.op = parsed[i].op;
        condition.text = conditions[i]->scalar;
        condition.span = conditions[i]->span;
        for (const Operand* operand : {&parsed[i].value, &parsed[i].mask}) {
          if (operand->empty()) continue;
          std::variant<uint64_t, const Term*> value = Evaluate(*operand, target);
          if (const Term* const* missing = std::get_if<const Term*>(&value)) {
            MissingConstant(**missing, *conditions[i], target, kind, scope);
            applies = false;
            break;
          }
          (operand == &parsed[i].value ? condition.value : condition.mask) =
              std::get<uint64_t>(value);
        }
        if (condition.op == CmpOp::kMaskedEq && (condition.value & ~condition.mask) != 0) {
          never_true[i].push_back(target);
        }
        resolved.push_back(std::move(condition));
      }
      if (!applies) continue;
      std::vector<std::string_view> names;
      if (is_group) {
        names = ExpandGroup(target, *name);
      } else {
        names.push_back(FindSyscall(target, *name)->name);
      }
      for (std::string_view syscall : names) {
        SyscallRule rule;
        rule.name = std::string(syscall);
        rule.number = FindSyscall(target, syscall)->number;
        rule.conditions = resolved;
        rule.group = is_group ? *name : std::string();
        rule.justified = justified;
        rule.span = name_node->span;
        if (kind == ListKind::kAllow) {
          rule.action.kind = ActionKind::kAllow;
          policy_.syscalls[target].allow.push_back(std::move(rule));
        } else {
          rule.action = action ? *action : Action{};
          policy_.syscalls[target].deny.push_back(std::move(rule));
        }
      }
    }
    for (const auto& [index, on] : never_true) {
      const Node& condition = *conditions[index];
      if (on.size() == targets.size() && targets.size() > 1) {
        r_.diags().AddWarning(
            "condition-never-true", condition.span,
            "'" + condition.scalar + "' can never hold: the value has bits outside the mask",
            "a value whose bits all lie inside the mask");
        continue;
      }
      for (Target target : on) {
        r_.diags().AddWarning("condition-never-true", condition.span,
                              "'" + condition.scalar + "' can never hold on " +
                                  std::string(TargetName(target)) +
                                  ": the value has bits outside the mask",
                              "a value whose bits all lie inside the mask");
      }
    }
  }

  void MissingConstant(const Term& term, const Node& condition, Target target, ListKind kind,
                       Scope scope) {
    const SourceSpan span = r_.SubSpan(condition, term.offset, term.text.size());
    const std::string target_name(TargetName(target));
    if (!scope.common || kind == ListKind::kDeny) {
      r_.diags().AddError("constant-target-only", span,
                          "constant '" + term.text + "' does not exist on " + target_name +
                              (scope.common ? ", so this deny rule would not apply there" : ""),
                          scope.common ? "a per-target deny rule under 'syscalls.<target>.deny'"
                                       : "a constant " + target_name + " defines, or a number");
      return;
    }
    r_.diags().AddWarning("constant-target-only", span,
                          "constant '" + term.text + "' does not exist on " + target_name +
                              "; this rule applies to the other target only",
                          "a per-target rule under 'syscalls.<target>.allow' to silence this");
  }

  std::string SuggestOther(std::string_view name, Target other, bool is_group) {
    std::string_view near;
    if (is_group) {
      std::vector<std::string_view> names;
      for (const SyscallGroup& group : SyscallGroups(other)) names.push_back(group.name);
      near = NearestName(name, names);
    } else {
      near = OtherSpelling(name, other);
    }
    if (near.empty()) return "";
    return " (" + std::string(TargetName(other)) + " has '" + std::string(near) + "')";
  }

  void ReportUnknown(const std::string& name, SourceSpan span, bool is_group,
                     std::optional<Target> only) {
    std::vector<std::string_view> names;
    for (Target target : kAllTargets) {
      if (only && target != *only) continue;
      if (is_group) {
        for (const SyscallGroup& group : SyscallGroups(target)) names.push_back(group.name);
      } else {
        for (const SyscallInfo& info : Syscalls(target)) names.push_back(info.name);
      }
    }
    const std::string where = only ? std::string(TargetName(*only)) : "linux or freebsd";
    // Under 'syscalls.linux' a FreeBSD name (or the reverse) is not a typo: it is in the wrong
    // list, and the other target's spelling of the call is the useful hint.
    std::string hint;
    if (only) {
      const Target other = *only == Target::kLinux ? Target::kFreeBsd : Target::kLinux;
      const bool elsewhere =
          is_group ? FindSyscallGroup(other, name) != nullptr : FindSyscall(other, name) != nullptr;
      if (elsewhere) {
        std::string_view same = is_group ? std::string_view() : OtherSpelling(name, *only);
        hint = "; '" + name + "' is a " + std::string(TargetName(other)) +
               (is_group ? " group" : " syscall") +
               (same.empty() ? "" : ", " + where + " calls it '" + std::string(same) + "'");
      }
    }
    if (is_group) {
      r_.diags().AddError(
          "unknown-syscall-group", span, "unknown syscall group '" + name + "' for " + where + hint,
          "a group from docs/syscall-groups.md" + (hint.empty() ? DidYouMean(name, names) : ""));
    } else {
      r_.diags().AddError(
          "unknown-syscall", span, "unknown syscall '" + name + "' for " + where + hint,
          std::string(only && *only == Target::kFreeBsd ? "a syscalls.master name"
                                                        : "a libseccomp syscall name") +
              (only ? "" : " or a FreeBSD syscalls.master name") +
              (hint.empty() ? DidYouMean(name, names) : ""));
    }
  }

  // Sorts the rules, sets deny actions that were left to the default, and reports syscalls
  // that are both allowed and denied unconditionally.
  void Finish(SyscallFilter& filter) {
    const Action& fallback_source = filter.default_action;
    Action fallback;
    if (fallback_source.kind == ActionKind::kAllow || fallback_source.kind == ActionKind::kLog) {
      fallback.kind = ActionKind::kErrno;
      fallback.errno_name = "EPERM";
      if (const ErrnoInfo* eperm = FindErrno("EPERM")) {
        fallback.errno_value[Target::kLinux] = eperm->linux_value.value_or(1);
        fallback.errno_value[Target::kFreeBsd] = eperm->freebsd_value.value_or(1);
      }
    } else {
      fallback = fallback_source;
      fallback.span = {};
    }
    for (SyscallRule& rule : filter.deny) {
      if (!rule.action.span.valid()) rule.action = fallback;
    }
    auto by_name = [](const SyscallRule& a, const SyscallRule& b) { return a.name < b.name; };
    std::stable_sort(filter.allow.begin(), filter.allow.end(), by_name);
    std::stable_sort(filter.deny.begin(), filter.deny.end(), by_name);
    std::set<std::string> warned;
    for (const SyscallRule& deny : filter.deny) {
      if (!deny.conditions.empty()) continue;
      for (const SyscallRule& allow : filter.allow) {
        // Denying one member of an allowed group is how a policy carves a group up; only two
        // explicit entries for one syscall contradict each other.
        if (allow.name != deny.name || !allow.conditions.empty() || !allow.group.empty()) continue;
        if (!warned.insert(deny.name).second) break;
        r_.diags()
            .AddWarning("contradiction", deny.span,
                        "'" + deny.name + "' is both allowed and denied; the deny rule wins",
                        "each syscall in one list only")
            .AddNote(allow.span, allow.group.empty()
                                     ? "allowed here"
                                     : "allowed here, as a member of '" + allow.group + "'");
        break;
      }
    }
  }

  Resolver& r_;
  Policy& policy_;
  bool default_allows_ = false;
  bool default_justified_ = false;
  SourceSpan default_allow_span_;
};

}  // namespace

void ResolveSyscalls(const Node& node, Resolver& r, Policy& policy) {
  SyscallResolver(r, policy).Resolve(node);
}

}  // namespace stockade::policy::detail
