// SPDX-License-Identifier: BSD-2-Clause
// The FreeBSD fidelity table: for each clause, what compile.cc generates for it and how close
// that comes to what the policy says.

#include "stockade/freebsd/fidelity.h"

#include <algorithm>
#include <map>
#include <set>

#include "stockade/base/check.h"
#include "stockade/base/rights.h"
#include "stockade/freebsd/compile.h"
#include "stockade/policy/clauses.h"

namespace stockade::freebsd {
namespace {

using enforce::Fidelity;

std::string List(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string ActionName(const policy::Action& action) {
  switch (action.kind) {
    case policy::ActionKind::kAllow:
      return "allow";
    case policy::ActionKind::kKillProcess:
      return "kill";
    case policy::ActionKind::kTrap:
      return "trap";
    case policy::ActionKind::kLog:
      return "log";
    case policy::ActionKind::kErrno:
      return "errno " + action.errno_name;
  }
  return "kill";
}

struct Verdict {
  Fidelity fidelity;
  std::string how;
};

Verdict Exact(std::string how) { return {Fidelity::kExact, std::move(how)}; }

std::string Param(const std::string& name, const std::string& value) {
  return "jail parameter " + name + " = " + value;
}

class Assessor {
 public:
  Assessor(const policy::Policy& policy, policy::FreeBsdRelease release)
      : p_(policy), release_(release), is14_(release == policy::FreeBsdRelease::k14) {}

  Verdict For(const std::string& clause) {
    if (clause == "hostname") return Exact("jail parameter host.hostname");
    if (clause == "exec.user") {
      return Exact(
          "stockade-launch sets the user and group (supplementary groups cleared) before it runs "
          "the program; names are looked up in the jail's own passwd and group files");
    }
    if (clause == "exec.workdir") return Exact("stockade-launch changes to it before exec");
    if (clause == "exec.env") {
      return Exact(
          "stockade-launch builds the environment from nothing, the kept names and the set "
          "values before exec");
    }
    if (clause == "exec.timeout") return Timeout();
    if (clause == "exec.core_dumps") {
      return Exact(p_.exec.core_dumps ? "core dumps are allowed: no rctl rule limits them"
                                      : "rctl jail:" + p_.name + ":coredumpsize:deny=0");
    }
    if (clause == "syscalls") return Syscalls();
    if (clause == "descriptors") return Descriptors();
    if (clause == "capability_mode") {
      return Exact(
          "stockade-launch calls cap_enter(2) and starts the program with fexecve(2); a dynamic "
          "program runs through /libexec/ld-elf.so.1 -f with its library directories passed as "
          "descriptors (LD_LIBRARY_PATH_FDS)");
    }
    if (clause == "sysvshm")
      return Exact(Param(clause, std::string(policy::JailSysName(p_.ipc.sysvshm))));
    if (clause == "sysvmsg")
      return Exact(Param(clause, std::string(policy::JailSysName(p_.ipc.sysvmsg))));
    if (clause == "sysvsem")
      return Exact(Param(clause, std::string(policy::JailSysName(p_.ipc.sysvsem))));
    if (clause == "securelevel") return Exact(Param(clause, std::to_string(p_.jail.securelevel)));
    if (clause == "enforce_statfs") {
      return Exact(Param(clause, std::to_string(p_.jail.enforce_statfs)));
    }
    if (clause == "children.max") return Exact(Param(clause, std::to_string(p_.jail.children_max)));
    if (clause == "devfs_ruleset") {
      return Exact(Param(clause, std::to_string(p_.jail.devfs_ruleset.value_or(0))) +
                   " (for devfs mounts made inside the jail)");
    }
    if (clause.starts_with("filesystem.")) return Filesystem(clause);
    if (clause == "network") return Network();
    if (clause == "network.egress") {
      return Exact("pf anchor stockade/" + p_.name +
                   " on the host end of the jail's epair: each egress rule passes with keep "
                   "state, everything else the jail starts is blocked");
    }
    if (clause.starts_with("limits.")) return Limit(clause.substr(7));
    if (clause == "mac.bsdextended") return BsdExtended();
    if (clause == "mac.portacl") {
      return {Fidelity::kApproximated,
              "mac_portacl's rules (security.mac.portacl.rules) are host-wide: each element lets "
              "that uid or gid bind the port anywhere on the host, not only in this jail; and a "
              "port below net.inet.ip.portrange.reservedhigh (1023 unless changed, per vnet) "
              "still needs root, which stockade does not change"};
    }
    return JailParameter(clause);
  }

 private:
  Verdict Timeout() {
    const uint64_t seconds = std::max<uint64_t>(1, (p_.exec.timeout_ms.value_or(0) + 999) / 1000);
    return {Fidelity::kApproximated,
            "rctl jail:" + p_.name + ":wallclock:sigkill=" + std::to_string(seconds) +
                "/process kills each process once its own lifetime passes the timeout (racct "
                "accounts wall-clock time per process and checks about once a second), and "
                "start.sh kills the program at the deadline and removes the jail; a process "
                "started later outlives the deadline until the jail is removed, and a jail "
                "created without start.sh has only the per-process rule"};
  }

  Verdict Syscalls() {
    if (!p_.capability_mode) {
      return {Fidelity::kNotEnforced,
              "FreeBSD has no seccomp: system calls are only restricted by capability mode, and "
              "this policy does not enter it (capability_mode: true)"};
    }
    const CapabilityModeComparison c = CompareWithCapabilityMode(p_, release_);
    if (!c.unknown.empty()) {
      return {Fidelity::kNotEnforced, ReleaseName(release_) + " has no system call " +
                                          List(c.unknown) + ", which the policy names"};
    }
    const bool one_action = c.deny_actions.size() <= 1;
    const std::string action = c.deny_actions.empty() ? "" : c.deny_actions.front();
    const std::string answered =
        action.empty() || action == "errno ECAPMODE"
            ? "calls outside it fail with ECAPMODE"
            : "calls outside it fail with ECAPMODE where the policy says " + action;
    if (c.allowed_but_forbidden.empty() && c.forbidden_but_allowed.empty() &&
        c.conditional.empty() && one_action && !c.logged) {
      return Exact("capability mode (cap_enter(2)): its fixed set is exactly the policy's; " +
                   answered);
    }
    std::string how = "capability mode's fixed set (cap_enter(2)) stands in for the filter";
    if (!c.allowed_but_forbidden.empty()) {
      how += "; it forbids " + std::to_string(c.allowed_but_forbidden.size()) +
             " the policy allows (" + List(c.allowed_but_forbidden) + ")";
    }
    if (!c.forbidden_but_allowed.empty()) {
      how += "; it allows " + std::to_string(c.forbidden_but_allowed.size()) +
             " the policy forbids (" + List(c.forbidden_but_allowed) + ")";
    }
    if (!c.conditional.empty()) {
      how += "; argument conditions are not checked (" + List(c.conditional) + ")";
    }
    if (!one_action) {
      how += "; it answers every forbidden call with ECAPMODE, where the policy uses " +
             List(c.deny_actions);
    } else if (!action.empty() && action != "errno ECAPMODE") {
      how += "; " + answered;
    }
    if (c.logged) how += "; nothing is logged";
    return {Fidelity::kApproximated, how};
  }

  Verdict Descriptors() {
    const RightSet all = RightSet::All(is14_ ? RightRelease::kAll : RightRelease::kFreeBsd15);
    std::vector<std::string> missing;
    for (const policy::Descriptor& d : p_.descriptors) {
      if (!d.rights) continue;
      const RightSet extra((d.rights->word(0) & ~all.word(0)) | RightSet::kWord0Marker,
                           (d.rights->word(1) & ~all.word(1)) | RightSet::kWord1Marker);
      if (extra.empty()) continue;
      std::string_view names[64];
      const size_t count = std::min<size_t>(RightNames(extra, names), 64);
      for (size_t i = 0; i < count; ++i) {
        missing.push_back(std::string(names[i]) + " (fd " + std::to_string(d.fd) + ")");
      }
    }
    if (!missing.empty()) {
      return {Fidelity::kNotEnforced, ReleaseName(release_) + " has no right " + List(missing) +
                                          ": cap_rights_limit(2) refuses unknown rights"};
    }
    return Exact(
        "stockade-launch opens the preopens and limits each descriptor with cap_rights_limit(2), "
        "cap_ioctls_limit(2) and cap_fcntls_limit(2) before it runs the program");
  }

  Verdict Filesystem(const std::string& clause) {
    const policy::Filesystem& fs = p_.filesystem;
    if (clause == "filesystem.root") {
      const std::string size =
          fs.root.size_bytes ? std::to_string(fs.root.size_bytes) + " bytes" : "no size limit";
      switch (fs.root.kind) {
        case policy::RootFs::Kind::kEmpty:
          return Exact("an empty tmpfs (" + size + ") mounted as the jail path in exec.prepare");
        case policy::RootFs::Kind::kDirectory:
          return Exact(fs.root.readonly
                           ? "the directory, mounted read-only (nullfs) as the jail path in "
                             "exec.prepare"
                           : "the directory is the jail path");
        case policy::RootFs::Kind::kTemplate:
          if (!fs.root.zfs_snapshot.empty()) {
            return Exact("a ZFS clone of " + fs.root.zfs_snapshot +
                         " made in exec.prepare and destroyed in exec.release (FreeBSD 13 and "
                         "later), with refquota = the snapshot's referenced size + " +
                         (fs.root.size_bytes ? std::to_string(fs.root.size_bytes) + " bytes"
                                             : std::string("no limit")));
          }
          return Exact("a copy of the template onto a fresh tmpfs (" + size +
                       ") for every run, made in exec.prepare");
      }
    }
    if (clause == "filesystem.mounts") {
      return Exact("nullfs mounts made by jail(8) (mount), read-only unless readonly: false");
    }
    if (clause == "filesystem.scratch") {
      return Exact("tmpfs mounts of the given size, mode 1777, made by jail(8)");
    }
    if (clause == "filesystem.symlinks") {
      return Exact("created in the jail's root in exec.prepare, before jail(8) mounts anything");
    }
    if (clause == "filesystem.proc") {
      return Exact("mount.procfs: procfs lists only the jail's own processes");
    }
    return Exact(
        "a devfs of its own with stockade's ruleset: everything hidden but null, zero, full, "
        "random, urandom and tty");
  }

  Verdict Network() {
    switch (p_.network.mode) {
      case policy::Network::Mode::kNone:
        return Exact(
            "jail parameters ip4 = disable and ip6 = disable: no IPv4 or IPv6 at all, loopback "
            "included; UNIX-domain sockets still work");
      case policy::Network::Mode::kHost:
        return Exact("jail parameters ip4 = inherit and ip6 = inherit: the host's stack");
      case policy::Network::Mode::kVnet:
        break;
    }
    return Exact(
        "jail parameter vnet = new and an epair: the jail's own stack, its end moved in by "
        "vnet.interface and configured inside by exec.start; the gateway on the host end");
  }

  Verdict Limit(const std::string& resource) {
    std::string rules;
    for (const policy::Limit& limit : p_.limits) {
      if (limit.resource != resource) continue;
      std::string action;
      switch (limit.action) {
        case policy::LimitAction::kDeny:
          action = "deny";
          break;
        case policy::LimitAction::kLog:
          action = "log";
          break;
        case policy::LimitAction::kDevctl:
          action = "devctl";
          break;
        case policy::LimitAction::kThrottle:
          action = "throttle";
          break;
        case policy::LimitAction::kSignal:
          action = "sig" + limit.signal;
          break;
      }
      rules += (rules.empty() ? "" : ", ") + std::string("jail:") + p_.name + ":" + resource + ":" +
               action + "=" + std::to_string(limit.amount);
    }
    return Exact("rctl " + rules);
  }

  Verdict BsdExtended() {
    std::set<std::string> names;
    auto note = [&](const std::optional<std::pair<bool, policy::IdRange>>& range) {
      if (!range) return;
      const std::string& text = range->second.text;
      if (text.find_first_not_of("0123456789:") != std::string::npos) names.insert(text);
    };
    for (const policy::BsdExtendedRule& rule : p_.mac.bsdextended) {
      note(rule.subject_uid);
      note(rule.subject_gid);
      note(rule.object_uid);
      note(rule.object_gid);
    }
    const std::string how = "ugidfw rules with 'jailid " + p_.name +
                            "', set in exec.created once the jail exists and removed in "
                            "exec.poststop (mac_bsdextended)";
    if (names.empty()) return Exact(how);
    return {Fidelity::kApproximated,
            how + "; the names " + List({names.begin(), names.end()}) +
                " are looked up in the host's passwd and group files when ugidfw loads the rule, "
                "not in the jail's"};
  }

  Verdict JailParameter(const std::string& clause) {
    const policy::JailParamInfo* info = policy::FindJailParam(clause);
    // Every other clause id has its own entry in For(); reaching here with one is a bug in
    // this table (a new clause of the language), not a policy problem.
    STOCKADE_CHECK(info != nullptr)
        << "freebsd has no fidelity entry for clause '" << clause << "'";
    std::string value;
    for (const policy::JailFlag& flag : p_.jail.allow) {
      if (flag.name == clause) value = flag.value ? "true" : "false";
    }
    for (const policy::JailParam& param : p_.jail.params) {
      if (param.name == clause) value = param.value;
    }
    if (info && info->freebsd15_only && is14_) {
      return {Fidelity::kNotEnforced,
              clause + " does not exist on FreeBSD 14 (FreeBSD 15 and later); it is left out"};
    }
    std::string how = Param(clause, value);
    if (info && info->layer == policy::JailParamLayer::kKernelModule) {
      how += " (exists while its kernel module is loaded; jail creation fails otherwise)";
    }
    return Exact(how);
  }

  const policy::Policy& p_;
  policy::FreeBsdRelease release_;
  bool is14_;
};

}  // namespace

CapabilityModeComparison CompareWithCapabilityMode(const policy::Policy& policy,
                                                   policy::FreeBsdRelease release) {
  CapabilityModeComparison out;
  const policy::SyscallFilter& filter = policy.syscalls[policy::Target::kFreeBsd];
  struct Rules {
    bool allow = false, allow_conditional = false, deny_conditional = false;
    const policy::Action* deny = nullptr;  // an unconditional deny
  };
  std::map<std::string, Rules> by_name;
  std::set<std::string> unknown;
  for (const policy::SyscallRule& rule : filter.allow) {
    Rules& r = by_name[rule.name];
    (rule.conditions.empty() ? r.allow : r.allow_conditional) = true;
    if (rule.group.empty() && !policy::FreeBsdCapabilityModeAllowed(release, rule.name)) {
      unknown.insert(rule.name);
    }
  }
  for (const policy::SyscallRule& rule : filter.deny) {
    Rules& r = by_name[rule.name];
    if (rule.conditions.empty()) {
      if (!r.deny) r.deny = &rule.action;
    } else {
      r.deny_conditional = true;
    }
    if (rule.group.empty() && !policy::FreeBsdCapabilityModeAllowed(release, rule.name)) {
      unknown.insert(rule.name);
    }
  }
  std::set<std::string> actions;
  const policy::Action& fallback = filter.default_action;
  const bool default_allows =
      fallback.kind == policy::ActionKind::kAllow || fallback.kind == policy::ActionKind::kLog;
  for (const policy::SyscallInfo& info : policy::Syscalls(policy::Target::kFreeBsd)) {
    const std::optional<bool> capmode = policy::FreeBsdCapabilityModeAllowed(release, info.name);
    if (!capmode) continue;  // not a syscall of this release
    const std::string name(info.name);
    auto it = by_name.find(name);
    const Rules none;
    const Rules& r = it == by_name.end() ? none : it->second;
    bool allowed = false;
    const policy::Action* denial = nullptr;
    if (r.deny && r.deny->kind == policy::ActionKind::kLog) {
      allowed = true;  // a 'log' action lets the call through and logs it
      out.logged = true;
    } else if (r.deny) {
      denial = r.deny;
    } else if (r.deny_conditional || (r.allow_conditional && !r.allow)) {
      out.conditional.push_back(name);
      continue;
    } else if (r.allow) {
      allowed = true;
    } else if (default_allows) {
      allowed = true;
      if (fallback.kind == policy::ActionKind::kLog) out.logged = true;
    } else {
      denial = &fallback;
    }
    if (allowed && !*capmode) out.allowed_but_forbidden.push_back(name);
    if (!allowed) {
      if (*capmode) out.forbidden_but_allowed.push_back(name);
      actions.insert(ActionName(*denial));
    }
  }
  for (std::vector<std::string>* list :
       {&out.allowed_but_forbidden, &out.forbidden_but_allowed, &out.conditional}) {
    std::sort(list->begin(), list->end());
  }
  out.unknown.assign(unknown.begin(), unknown.end());
  out.deny_actions.assign(actions.begin(), actions.end());
  return out;
}

enforce::Assessment Assess(const policy::Policy& policy, policy::FreeBsdRelease release) {
  enforce::Assessment assessment;
  assessment.family = enforce::BackendFamily::kFreeBsd;
  assessment.backend = ReleaseName(release);
  Assessor assessor(policy, release);
  for (const policy::ClauseRef& ref : policy::ClausesOf(policy)) {
    Verdict verdict = assessor.For(ref.id);
    assessment.clauses.push_back({ref.id, ref.span, verdict.fidelity, std::move(verdict.how)});
  }
  return assessment;
}

}  // namespace stockade::freebsd
