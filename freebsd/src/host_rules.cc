// SPDX-License-Identifier: BSD-2-Clause
// Rules that live in host-wide kernel tables and are tied to the jail by name: rctl(8) rules on
// jail:NAME, mac_bsdextended rules (ugidfw(8)) with 'jailid NAME', the elements this jail adds
// to security.mac.portacl.rules, and the devfs(8) ruleset for a minimal /dev. Each is added by a
// jail(8) hook and removed by the matching teardown hook.

#include <algorithm>
#include <string>
#include <vector>

#include "generator.h"
#include "stockade/freebsd/quoting.h"
#include "stockade/policy/names.h"

namespace stockade::freebsd::detail {
namespace {

constexpr int kUgidfwSlots = 256;  // security.mac.bsdextended.rule_count (ugidfw_grammar.txt)
constexpr std::string_view kTr = "/usr/bin/tr";
constexpr std::string_view kAwk = "/usr/bin/awk";
constexpr std::string_view kPaste = "/usr/bin/paste";

std::string ActionText(const policy::Limit& limit) {
  switch (limit.action) {
    case policy::LimitAction::kDeny:
      return "deny";
    case policy::LimitAction::kLog:
      return "log";
    case policy::LimitAction::kDevctl:
      return "devctl";
    case policy::LimitAction::kThrottle:
      return "throttle";
    case policy::LimitAction::kSignal:
      return "sig" + limit.signal;
  }
  return "deny";
}

void AddCondition(std::vector<std::string>& words, bool negated, std::string_view keyword,
                  const std::string& value) {
  if (negated) words.push_back("!");
  words.emplace_back(keyword);
  if (!value.empty()) words.push_back(value);
}

std::vector<std::string> UgidfwWords(const policy::BsdExtendedRule& rule, const Layout& layout) {
  std::vector<std::string> w = {"subject"};
  if (rule.subject_not) w.push_back("not");
  if (rule.subject_uid)
    AddCondition(w, rule.subject_uid->first, "uid", rule.subject_uid->second.text);
  if (rule.subject_gid)
    AddCondition(w, rule.subject_gid->first, "gid", rule.subject_gid->second.text);
  // A leading 'not' inverts every condition of the clause (the negation mask becomes all flags
  // XOR the '!' mask, ugidfw_grammar.txt), so under 'not' the jail condition takes a '!' to
  // keep meaning "this jail".
  AddCondition(w, rule.subject_not, "jailid", layout.name);
  w.push_back("object");
  if (rule.object_not) w.push_back("not");
  if (rule.object_uid) AddCondition(w, rule.object_uid->first, "uid", rule.object_uid->second.text);
  if (rule.object_gid) AddCondition(w, rule.object_gid->first, "gid", rule.object_gid->second.text);
  if (rule.object_filesys) {
    // The path is inside the jail; ugidfw resolves it on the host to the file system holding it,
    // after jail(8) mounted everything (exec.created).
    const std::string& inside = rule.object_filesys->second;
    AddCondition(w, rule.object_filesys->first, "filesys",
                 inside == "/" ? layout.root : layout.root + inside);
  }
  if (rule.object_suid) AddCondition(w, *rule.object_suid, "suid", "");
  if (rule.object_sgid) AddCondition(w, *rule.object_sgid, "sgid", "");
  if (rule.object_uid_of_subject)
    AddCondition(w, *rule.object_uid_of_subject, "uid_of_subject", "");
  if (rule.object_gid_of_subject)
    AddCondition(w, *rule.object_gid_of_subject, "gid_of_subject", "");
  if (rule.object_type) AddCondition(w, rule.object_type->first, "type", rule.object_type->second);
  w.push_back("mode");
  w.push_back(rule.mode);
  return w;
}

std::string Sysctl(std::string_view name) {
  return "\"$(" + ShellQuote(kSysctl) + " -n " + std::string(name) + " 2>/dev/null)\"";
}

}  // namespace

std::vector<std::string> DevfsRuleCommands(int ruleset) {
  // devfs(8): 'hide' everything, then 'unhide' the six devices filesystem.dev promises.
  const std::string prefix = std::string(kDevfs) + " rule -s " + std::to_string(ruleset) + " add";
  std::vector<std::string> out = {prefix + " hide"};
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    out.push_back(prefix + " path " + dev + " unhide");
  }
  return out;
}

std::string DevfsRulesFile(int ruleset) {
  std::string out =
      "# devfs.rules(5) section for stockade's minimal /dev (filesystem.dev: true).\n"
      "# jail.conf loads these rules into ruleset " +
      std::to_string(ruleset) +
      " when it is empty; to have them from boot, append this\n"
      "# file to /etc/devfs.rules. Every stockade jail uses the same ruleset.\n[stockade_dev=" +
      std::to_string(ruleset) + "]\nadd hide\n";
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    out += "add path " + std::string(dev) + " unhide\n";
  }
  return out;
}

Expected<void> PlanHostRules(const policy::Policy& policy, const CompileOptions& options,
                             const Layout& layout, Hooks& hooks, Artifacts& artifacts) {
  // devfs: the ruleset is shared by every stockade jail and never deleted, because deleting and
  // re-adding it would briefly expose new device nodes in the other jails' /dev. It is loaded
  // only when empty; an operator who reserved the number for something else must pick another.
  if (policy.filesystem.dev) {
    std::string load;
    for (const std::string& command : DevfsRuleCommands(options.devfs_ruleset)) {
      load += (load.empty() ? "" : " && ") + command;
    }
    hooks.prepare.push_back("if [ -z \"$(" + std::string(kDevfs) + " rule -s " +
                            std::to_string(options.devfs_ruleset) +
                            " show 2>/dev/null)\" ]; then " + load + "; fi");
  }

  // rctl: rules on jail:NAME may be added before the jail exists (the kernel keeps the name's
  // accounting container), so they are in force from the first process on.
  for (const policy::Limit& limit : policy.limits) {
    artifacts.rctl_rules.push_back("jail:" + layout.name + ":" + limit.resource + ":" +
                                   ActionText(limit) + "=" + std::to_string(limit.amount));
  }
  if (policy.exec.timeout_ms) {
    // racct accounts wallclock per process and sums it up for a jail, so a jail-wide amount
    // would be reached N times faster with N processes: '/process' kills each process once its
    // own lifetime passes the timeout. start.sh also removes the jail after it.
    const uint64_t seconds = std::max<uint64_t>(1, (*policy.exec.timeout_ms + 999) / 1000);
    artifacts.rctl_rules.push_back("jail:" + layout.name +
                                   ":wallclock:sigkill=" + std::to_string(seconds) + "/process");
  }
  if (!policy.exec.core_dumps) {
    // core_dumps: false (the default): no core file can be written at all.
    artifacts.rctl_rules.push_back("jail:" + layout.name + ":coredumpsize:deny=0");
  }
  if (!artifacts.rctl_rules.empty()) {
    hooks.prepare.push_back(Require("test " + Sysctl("kern.racct.enable") + " = 1",
                                    "rctl needs kern.racct.enable=1 in /boot/loader.conf"));
    std::string add;
    for (const std::string& rule : artifacts.rctl_rules) {
      add += (add.empty() ? "" : " && ") + std::string(kRctl) + " -a " + ShellQuote(rule);
      hooks.release.push_back(std::string(kRctl) + " -r " + ShellQuote(rule) +
                              " 2>/dev/null || true");
    }
    hooks.prepare.push_back(add);
  }

  // mac_bsdextended: 'jailid NAME' is resolved to a jid when ugidfw parses the rule, so the
  // rules go in once the jail exists (exec.created, before anything runs inside) and come out
  // after it is gone (exec.poststop). Rule numbers are fixed so that removal finds them.
  if (!policy.mac.bsdextended.empty()) {
    const int count = static_cast<int>(policy.mac.bsdextended.size());
    if (options.ugidfw_rule_base < 0 || options.ugidfw_rule_base + count > kUgidfwSlots) {
      return Error(ErrorCode::kInvalidArgument,
                   std::to_string(count) + " ugidfw rules from number " +
                       std::to_string(options.ugidfw_rule_base) +
                       " do not fit mac_bsdextended's 256 slots; choose another rule base");
    }
    hooks.prepare.push_back(Require("test " + Sysctl("security.mac.bsdextended.enabled") + " = 1",
                                    "mac.bsdextended needs mac_bsdextended loaded and enabled"));
    const int first = options.ugidfw_rule_base;
    const int last = first + count - 1;
    const std::string range = std::to_string(first) + ".." + std::to_string(last);
    const std::string marker = layout.state + "/ugidfw";
    // 'ugidfw set' replaces a rule: if another jail holds these numbers, setting ours would
    // silently take its rules away, so the numbers must be free ('ugidfw list' prints a header
    // line, then "NUMBER RULE" per rule). The marker file records that the numbers are ours,
    // so that the teardown never removes another jail's rules.
    std::string set = "if " + std::string(kUgidfw) + " list | " + std::string(kAwk) +
                      " 'NR > 1 && $1 >= " + std::to_string(first) +
                      " && $1 <= " + std::to_string(last) +
                      " { found = 1 } END { exit !found }'; then echo " +
                      ShellQuote("stockade: ugidfw rules " + range +
                                 " are in use; give each jail its own rule base") +
                      " >&2; exit 1; fi && : > " + ShellQuote(marker);
    std::string remove = "if [ -e " + ShellQuote(marker) + " ]; then";
    for (int i = 0; i < count; ++i) {
      UgidfwRule rule{first + i,
                      UgidfwWords(policy.mac.bsdextended[static_cast<size_t>(i)], layout)};
      std::vector<std::string> words = {std::string(kUgidfw), "set", std::to_string(rule.number)};
      words.insert(words.end(), rule.words.begin(), rule.words.end());
      set += " && " + ShellCommand(words);
      remove +=
          " " + std::string(kUgidfw) + " remove " + std::to_string(rule.number) + " 2>/dev/null;";
      artifacts.ugidfw_rules.push_back(std::move(rule));
    }
    remove += " " + std::string(kRm) + " -f " + ShellQuote(marker) + "; fi";
    hooks.created.push_back(set);
    hooks.poststop.push_back(remove);
  }

  // mac_portacl: one host-wide rule string. The jail's elements are appended in exec.prepare
  // and exactly one occurrence of each is taken out again in exec.release (another jail may
  // have added the same element). A marker file in the state directory records that they were
  // added, so that running the teardown twice removes them once.
  if (!policy.mac.portacl.empty()) {
    std::vector<std::string> elements;
    for (const policy::PortAclRule& rule : policy.mac.portacl) {
      elements.push_back(std::string(rule.by_uid ? "uid" : "gid") + ":" + std::to_string(rule.id) +
                         ":" + (rule.protocol == policy::Protocol::kUdp ? "udp" : "tcp") + ":" +
                         std::to_string(rule.port));
    }
    for (const std::string& e : elements) {
      artifacts.portacl_rules += (artifacts.portacl_rules.empty() ? "" : ",") + e;
    }
    const std::string marker = layout.state + "/portacl";
    hooks.prepare.push_back(Require("test " + Sysctl("security.mac.portacl.enabled") + " = 1",
                                    "mac.portacl needs mac_portacl loaded and enabled"));
    hooks.prepare.push_back("rules=$(" + ShellQuote(kSysctl) +
                            " -n security.mac.portacl.rules) && " + ShellQuote(kSysctl) +
                            " security.mac.portacl.rules=\"${rules:+$rules,}" +
                            artifacts.portacl_rules + "\" >/dev/null && : > " + ShellQuote(marker));
    std::string remove = "if [ -e " + ShellQuote(marker) + " ]; then rules=$(" +
                         ShellQuote(kSysctl) + " -n security.mac.portacl.rules) && for r in";
    for (const std::string& e : elements) remove += " " + e;
    remove += "; do rules=$(printf '%s\\n' \"$rules\" | " + std::string(kTr) + " , '\\n' | " +
              std::string(kAwk) + " -v r=\"$r\" 'd || $0 != r { print; next } { d = 1 }' | " +
              std::string(kPaste) + " -s -d , -); done && " + ShellQuote(kSysctl) +
              " security.mac.portacl.rules=\"$rules\" >/dev/null && " + ShellQuote(kRm) + " -f " +
              ShellQuote(marker) + "; fi";
    hooks.release.push_back(remove);
  }
  return {};
}

}  // namespace stockade::freebsd::detail
