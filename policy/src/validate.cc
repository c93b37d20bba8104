// SPDX-License-Identifier: BSD-2-Clause
// 'accept_approximate', and the rules that span sections: dangerous grants, contradictions,
// acceptances of clauses the policy does not have.

#include <map>
#include <set>

#include "resolver.h"
#include "stockade/policy/clauses.h"
#include "stockade/policy/names.h"

namespace stockade::policy::detail {

void ResolveAcceptApproximate(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectSequence(node, "'accept_approximate'")) return;
  for (const Node& item : node.items) {
    if (!r.ExpectMapping(item, "an 'accept_approximate' entry")) continue;
    r.CheckKeys(item, {"clause", "backend", "fidelity", "justification"},
                "in an 'accept_approximate' entry");
    const Node* clause = item.Find("clause");
    const Node* justification = item.Find("justification");
    if (!clause || !justification) {
      r.diags().AddError("missing-key", item.span,
                         std::string("an accepted approximation needs ") +
                             (clause ? "a 'justification'" : "a 'clause'"),
                         "{clause: securelevel, backend: linux, justification: \"why\"}");
      continue;
    }
    Acceptance acceptance;
    std::optional<std::string> id = r.String(*clause, "'clause'");
    std::optional<std::string> why = r.String(*justification, "'justification'");
    if (!id || !why) continue;
    if (!IsClauseId(*id)) {
      r.diags().AddError("unknown-clause", clause->span, "unknown clause '" + *id + "'",
                         "a clause id such as syscalls, securelevel, limits.pcpu or "
                         "allow.raw_sockets (docs/policy-language.md)" +
                             DidYouMean(*id, AllClauseIds()));
      continue;
    }
    acceptance.clause = *id;
    acceptance.justification = *why;
    acceptance.span = clause->span;
    if (const Node* backend = item.Find("backend")) {
      std::optional<std::string> name = r.Choice(*backend, "'backend'", {"linux", "freebsd"});
      if (!name) continue;
      acceptance.backend = *name;
    }
    if (const Node* fidelity = item.Find("fidelity")) {
      std::optional<std::string> level =
          r.Choice(*fidelity, "'fidelity'", {"approximated", "not-enforced"});
      if (!level) continue;
      acceptance.not_enforced = *level == "not-enforced";
      acceptance.fidelity_span = fidelity->span;
    }
    policy.accept_approximate.push_back(std::move(acceptance));
  }
}

namespace {

void WarnDangerousSyscalls(Resolver& r, const Policy& policy) {
  // One warning per policy entry, naming every dangerous syscall it grants on any target.
  std::map<std::pair<FileId, uint32_t>, std::pair<SourceSpan, std::set<std::string>>> by_entry;
  std::map<std::pair<FileId, uint32_t>, std::string> group_of;
  for (Target target : kAllTargets) {
    std::set<std::string> denied;  // an unconditional deny makes the grant void
    for (const SyscallRule& rule : policy.syscalls[target].deny) {
      if (rule.conditions.empty()) denied.insert(rule.name);
    }
    for (const SyscallRule& rule : policy.syscalls[target].allow) {
      if (rule.justified || denied.count(rule.name)) continue;
      if (!FindDangerousSyscall(rule.name)) continue;
      auto key = std::make_pair(rule.span.file, rule.span.begin);
      by_entry[key].first = rule.span;
      by_entry[key].second.insert(rule.name);
      group_of[key] = rule.group;
    }
  }
  for (const auto& [key, entry] : by_entry) {
    const auto& [span, names] = entry;
    std::string list;
    for (const std::string& name : names) list += (list.empty() ? "'" : ", '") + name + "'";
    std::string message;
    if (names.size() == 1 && group_of[key].empty()) {
      message = list + " " + std::string(FindDangerousSyscall(*names.begin())->reason);
    } else {
      message = "'" + group_of[key] + "' grants " + list + ", which " +
                (names.size() == 1 ? std::string(FindDangerousSyscall(*names.begin())->reason)
                                   : "weaken the sandbox (see docs/policy-language.md)");
    }
    r.diags().AddWarning("dangerous-grant", span, message,
                         "leave it out, or give the rule a 'justification:'");
  }
}

}  // namespace

void ValidatePolicy(Resolver& r, Policy& policy) {
  WarnDangerousSyscalls(r, policy);

  if (IsRootUser(policy.exec.user) && !policy.exec.user_justified) {
    r.diags().AddWarning("dangerous-grant", policy.exec.user_span,
                         "the program runs as root (uid 0)",
                         "an unprivileged user, or {name: root, justification: \"why\"}");
  }
  if (!policy.exec.env_clean) {
    r.diags().AddWarning("env-not-clean", policy.exec.env_clean_span,
                         "'env.clean: false' passes the caller's whole environment to the "
                         "program (tokens and credentials included)",
                         "env.clean: true with 'keep:' naming the variables the program needs");
  }

  const Descriptor* limited = nullptr;
  for (const Descriptor& d : policy.descriptors) {
    if (d.rights || d.ioctls || d.fcntls) {
      limited = &d;
      break;
    }
  }
  if (limited && !policy.capability_mode) {
    r.diags().AddWarning("rights-without-capability-mode", limited->span,
                         "descriptor rights are limited but the program does not enter "
                         "capability mode, so it can open the same files again with full rights",
                         "capability_mode: true");
  }

  std::set<std::string> present;
  for (const ClauseRef& clause : ClausesOf(policy)) present.insert(clause.id);
  for (const Acceptance& acceptance : policy.accept_approximate) {
    if (!present.count(acceptance.clause)) {
      r.diags().AddWarning("unused-acceptance", acceptance.span,
                           "the policy accepts an approximation of '" + acceptance.clause +
                               "' but has no such clause",
                           "accept_approximate entries for clauses the policy contains");
    }
  }
}

}  // namespace stockade::policy::detail
