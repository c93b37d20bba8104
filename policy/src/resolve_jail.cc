// SPDX-License-Identifier: BSD-2-Clause
// The 'ipc' and 'jail' sections: FreeBSD jail parameters by their exact names, type-checked
// against the parameter table, with FreeBSD's SysV IPC rules.

#include <limits>

#include "resolver.h"
#include "stockade/policy/names.h"

namespace stockade::policy::detail {
namespace {

// allow.* flags that weaken the jail enough to need a justification.
constexpr std::string_view kDangerousFlags[] = {
    "allow.mount",     "allow.raw_sockets", "allow.chflags",
    "allow.socket_af", "allow.read_msgbuf", "allow.settime",
    "allow.adjtime",   "allow.routing",     "allow.vmm",
    "allow.vmm_ppt",   "allow.extattr",     "allow.unprivileged_parent_tampering",
    "allow.setaudit",  "allow.nfsd",        "allow.quotas",
};

bool IsDangerousFlag(std::string_view name) {
  if (name.rfind("allow.mount", 0) == 0) return true;
  for (std::string_view flag : kDangerousFlags) {
    if (flag == name) return true;
  }
  return false;
}

JailSys ToJailSys(const std::string& word) {
  return word == "new" ? JailSys::kNew : word == "inherit" ? JailSys::kInherit : JailSys::kDisable;
}

std::vector<std::string_view> SettableParamNames() {
  std::vector<std::string_view> names;
  for (const JailParamInfo& param : JailParams()) {
    if (param.settable) names.push_back(param.name);
  }
  return names;
}

}  // namespace

void ResolveIpc(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'ipc'")) return;
  r.CheckKeys(node, {"allow.sysvipc", "sysvshm", "sysvmsg", "sysvsem"}, "in 'ipc'");
  Ipc& ipc = policy.ipc;
  if (const MapEntry* entry = node.FindEntry("allow.sysvipc")) {
    if (std::optional<bool> value = r.Bool(entry->value, "'allow.sysvipc'")) {
      ipc.allow_sysvipc = *value;
      ipc.allow_sysvipc_span = entry->value.span;
      r.diags().AddWarning("deprecated-param", entry->key_span,
                           "'allow.sysvipc' is deprecated in FreeBSD",
                           std::string("sysvshm, sysvmsg and sysvsem: ") +
                               (*value ? "inherit" : "disable") + " (the values it stands for)");
    }
  }
  const JailSys from_flag =
      ipc.allow_sysvipc.value_or(false) ? JailSys::kInherit : JailSys::kDisable;
  struct Slot {
    std::string_view key;
    JailSys* value;
    SourceSpan* span;
  };
  for (const Slot& slot : {Slot{"sysvshm", &ipc.sysvshm, &ipc.sysvshm_span},
                           Slot{"sysvmsg", &ipc.sysvmsg, &ipc.sysvmsg_span},
                           Slot{"sysvsem", &ipc.sysvsem, &ipc.sysvsem_span}}) {
    *slot.value = from_flag;
    if (const Node* value = node.Find(slot.key)) {
      std::optional<std::string> word =
          r.Choice(*value, "'" + std::string(slot.key) + "'", {"new", "inherit", "disable"});
      if (word) {
        *slot.value = ToJailSys(*word);
        *slot.span = value->span;
      }
    }
  }
}

void ResolveJail(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'jail'")) return;
  Jail& jail = policy.jail;
  for (const MapEntry& entry : node.entries) {
    const std::string& name = entry.key;
    const JailParamInfo* param = FindJailParam(name);
    if (param && !param->owner.empty()) {
      // Another clause of the policy sets it (names.h, JailParamInfo::owner).
      r.diags().AddError("param-owned-elsewhere", entry.key_span,
                         "'" + name + "' is not set under 'jail'",
                         param->owner == "(stockade)"
                             ? std::string("stockade sets it itself (exec.* hooks, the jail id and "
                                           "its lifetime are generated)")
                             : "it is set by '" + std::string(param->owner) + "'");
      continue;
    }
    if (name.rfind("allow.no", 0) == 0 && FindJailParam("allow." + name.substr(8))) {
      r.diags().AddError("unknown-jail-param", entry.key_span,
                         "'" + name + "' is jail(8)'s negated spelling",
                         "'allow." + name.substr(8) + ": false'");
      continue;
    }
    if (!param) {
      r.diags().AddError("unknown-jail-param", entry.key_span,
                         "unknown jail parameter '" + name + "'",
                         "a parameter from jail(8), see docs/jail-params.md" +
                             DidYouMean(name, SettableParamNames()));
      continue;
    }
    if (!param->settable) {
      r.diags().AddError("param-read-only", entry.key_span,
                         "jail parameter '" + name + "' is read-only",
                         "parameters that can be set (read-only ones are only reported by jls)");
      continue;
    }
    if (param->deprecated) {
      r.diags().AddWarning("deprecated-param", entry.key_span,
                           "jail parameter '" + name + "' is deprecated", "leave it out");
    }
    Granted granted = r.ReadGranted(entry.value, "'" + name + "'");
    if (!granted.value) continue;
    const Node& value = *granted.value;
    const std::string what = "'" + name + "'";

    if (name == "securelevel") {
      if (auto level = r.Int(value, what, -1, 3)) {
        jail.securelevel = static_cast<int>(*level);
        jail.securelevel_span = value.span;
      }
      continue;
    }
    if (name == "enforce_statfs") {
      if (auto level = r.Int(value, what, 0, 2)) {
        jail.enforce_statfs = static_cast<int>(*level);
        jail.enforce_statfs_span = value.span;
      }
      continue;
    }
    if (name == "children.max") {
      if (auto count = r.Int(value, what, 0, std::numeric_limits<int32_t>::max())) {
        jail.children_max = static_cast<int>(*count);
        jail.children_max_span = value.span;
        if (*count > 0 && !granted.justified) {
          r.diags().AddWarning("dangerous-grant", value.span,
                               "'children.max: " + value.scalar +
                                   "' lets the program create nested sandboxes (namespaces on "
                                   "Linux)",
                               "children.max: 0, or {value: N, justification: \"why\"}");
        }
      }
      continue;
    }
    if (name == "devfs_ruleset") {
      if (auto ruleset = r.Int(value, what, 0, 65535)) {
        jail.devfs_ruleset = static_cast<int>(*ruleset);
        jail.devfs_ruleset_span = value.span;
      }
      continue;
    }
    std::optional<std::string> text;
    switch (param->type) {
      case JailParamType::kBool:
        if (auto flag = r.Bool(value, what)) text = *flag ? "true" : "false";
        break;
      case JailParamType::kInt: {
        const int64_t min = param->min <= param->max ? param->min : INT32_MIN;
        const int64_t max = param->min <= param->max ? param->max : INT32_MAX;
        if (auto number = r.Int(value, what, min, max)) text = std::to_string(*number);
        break;
      }
      case JailParamType::kUlong:
        if (auto number = r.Int(value, what, 0, std::numeric_limits<int64_t>::max())) {
          text = std::to_string(*number);
        }
        break;
      case JailParamType::kString:
        if (auto s = r.String(value, what, /*allow_empty=*/true)) {
          // max_length already excludes the terminating NUL (names.h): OSRELEASELEN 32 -> 31.
          if (param->max_length && s->size() > param->max_length) {
            r.diags().AddError("value-out-of-range", value.span,
                               what + " is " + std::to_string(s->size()) + " bytes long",
                               "at most " + std::to_string(param->max_length) + " bytes");
          } else if (s->find('\0') != std::string::npos) {
            r.diags().AddError("invalid-value", value.span, what + " contains a NUL byte",
                               "text without NUL bytes");
          } else {
            text = *s;
          }
        }
        break;
      case JailParamType::kJailSys:
        text = param->jailsys_disable ? r.Choice(value, what, {"inherit", "new", "disable"})
                                      : r.Choice(value, what, {"inherit", "new"});
        break;
      case JailParamType::kIpList:
        r.diags().AddError("param-owned-elsewhere", entry.key_span,
                           "'" + name + "' is not set under 'jail'",
                           "addresses are set by 'network.addresses'");
        break;
    }
    if (!text) continue;
    if (param->type == JailParamType::kBool && name.rfind("allow.", 0) == 0) {
      const bool on = *text == "true";
      if (on && IsDangerousFlag(name) && !granted.justified) {
        r.diags().AddWarning("dangerous-grant", value.span,
                             "'" + name + "' weakens the sandbox: " + std::string(param->meaning),
                             "leave it off, or {value: true, justification: \"why\"}");
      }
      jail.allow.push_back({name, on, granted.justified, value.span});
      continue;
    }
    jail.params.push_back({name, *text, value.span});
  }
}

}  // namespace stockade::policy::detail
