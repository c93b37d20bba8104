// SPDX-License-Identifier: BSD-2-Clause
// The 'limits' section: rctl resources with amounts in their units and actions, each
// resource x action pair validated as rctl(8) does.

#include <limits>
#include <set>

#include "resolver.h"
#include "stockade/policy/names.h"

namespace stockade::policy::detail {
namespace {

std::optional<uint64_t> ReadAmount(Resolver& r, const Node& node, const RctlResourceInfo& info) {
  const std::string what = "the amount of '" + std::string(info.name) + "'";
  switch (info.unit) {
    case RctlUnit::kBytes:
    case RctlUnit::kBytesPerSecond:
      return r.Size(node, what);
    case RctlUnit::kSeconds: {
      std::optional<uint64_t> ms = r.DurationMs(node, what);
      if (!ms) return std::nullopt;
      if (*ms % 1000 != 0) {
        r.diags().AddError("invalid-value", node.span, what + " is not a whole number of seconds",
                           "whole seconds (rctl counts this resource in seconds)");
        return std::nullopt;
      }
      return *ms / 1000;
    }
    case RctlUnit::kPercent: {
      // pcpu is a percentage of one CPU: 400 means four CPUs' worth.
      auto value = r.Int(node, what, 1, 100000);
      if (!value) return std::nullopt;
      return static_cast<uint64_t>(*value);
    }
    case RctlUnit::kCount:
    case RctlUnit::kOpsPerSecond: {
      auto value = r.Int(node, what, 0, std::numeric_limits<int64_t>::max());
      if (!value) return std::nullopt;
      return static_cast<uint64_t>(*value);
    }
  }
  return std::nullopt;
}

}  // namespace

void ResolveLimits(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'limits'")) return;
  std::vector<std::string_view> names;
  for (const RctlResourceInfo& info : RctlResources()) names.push_back(info.name);
  for (const MapEntry& entry : node.entries) {
    const RctlResourceInfo* info = FindRctlResource(entry.key);
    if (!info) {
      r.diags().AddError("unknown-resource", entry.key_span,
                         "unknown rctl resource '" + entry.key + "'",
                         "a resource from rctl(8) such as memoryuse, maxproc, openfiles, pcpu" +
                             DidYouMean(entry.key, names));
      continue;
    }
    std::vector<const Node*> rules;
    if (entry.value.is_sequence()) {
      for (const Node& item : entry.value.items) rules.push_back(&item);
      if (rules.empty()) {
        r.diags().AddError("invalid-value", entry.value.span,
                           "'" + entry.key + "' has an empty list of rules",
                           "an amount, {amount: ..., action: ...}, or a list of them");
      }
    } else {
      rules.push_back(&entry.value);
    }
    std::set<std::string> actions;
    for (const Node* rule : rules) {
      Limit limit;
      limit.resource = entry.key;
      limit.span = rule->span;
      const Node* amount = rule;
      std::string action = "deny";
      SourceSpan action_span = entry.key_span;
      if (rule->is_mapping()) {
        r.CheckKeys(*rule, {"amount", "action"}, "in a limit");
        amount = rule->Find("amount");
        if (!amount) {
          r.diags().AddError("missing-key", rule->span, "a limit has no 'amount'",
                             "{amount: 512M, action: deny}");
          continue;
        }
        if (const Node* a = rule->Find("action")) {
          std::optional<std::string> word = r.String(*a, "'action'");
          if (!word) continue;
          action = *word;
          action_span = a->span;
        }
      }
      if (action.rfind("sig", 0) == 0 && action.size() > 3) {
        const SignalInfo* signal = FindSignal(action.substr(3));
        if (!signal) {
          std::vector<std::string_view> signals;
          std::vector<std::string> storage;
          for (const SignalInfo& s : Signals()) storage.push_back("sig" + std::string(s.name));
          for (const std::string& s : storage) signals.push_back(s);
          r.diags().AddError("invalid-value", action_span, "unknown signal action '" + action + "'",
                             "sig followed by a signal name, e.g. sigterm or sigkill" +
                                 DidYouMean(action, signals));
          continue;
        }
        limit.action = LimitAction::kSignal;
        limit.signal = std::string(signal->name);
      } else if (action == "deny") {
        limit.action = LimitAction::kDeny;
      } else if (action == "log") {
        limit.action = LimitAction::kLog;
      } else if (action == "devctl") {
        limit.action = LimitAction::kDevctl;
      } else if (action == "throttle") {
        limit.action = LimitAction::kThrottle;
      } else {
        r.diags().AddError("invalid-value", action_span, "unknown rctl action '" + action + "'",
                           "deny, log, devctl, throttle or sig<NAME>" +
                               DidYouMean(action, {"deny", "log", "devctl", "throttle"}));
        continue;
      }
      if (limit.action == LimitAction::kDeny && !info->deny_supported) {
        r.diags().AddError("limit-action-unsupported", action_span,
                           "rctl cannot deny '" + entry.key + "'",
                           entry.key == "cputime" || entry.key == "wallclock"
                               ? "log, devctl or a signal such as sigkill"
                               : "throttle, log, devctl or a signal");
        continue;
      }
      if (limit.action == LimitAction::kThrottle && !info->throttle_supported) {
        r.diags().AddError("limit-action-unsupported", action_span,
                           "rctl can only throttle readbps, writebps, readiops and writeiops, "
                           "not '" +
                               entry.key + "'",
                           "deny, log, devctl or a signal");
        continue;
      }
      std::optional<uint64_t> value = ReadAmount(r, *amount, *info);
      if (!value) continue;
      limit.amount = *value;
      if (!actions.insert(action).second) {
        r.diags().AddError("duplicate-limit", action_span,
                           "'" + entry.key + "' has two rules with action '" + action + "'",
                           "one rule per resource and action");
        continue;
      }
      policy.limits.push_back(std::move(limit));
    }
  }
}

}  // namespace stockade::policy::detail
