// SPDX-License-Identifier: BSD-2-Clause
// The 'exec' section: user, group, working directory, environment, timeout, core dumps and the
// default command.

#include <regex>

#include "resolver.h"

namespace stockade::policy::detail {

bool IsRootUser(std::string_view user) {
  if (user == "root") return true;
  std::optional<IntLiteral> uid = ParseIntLiteral(user);
  return uid && !uid->negative && uid->magnitude == 0;
}

namespace {

// A user or group: a name (as passwd(5)/group(5) allow) or a decimal id.
bool IsValidPrincipal(std::string_view text) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|[0-9]{1,10}");
  if (!std::regex_match(text.begin(), text.end(), kName)) return false;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    return std::stoull(std::string(text)) < 4294967295ull;  // (uid_t)-1 means "unchanged"
  }
  return true;
}

void ResolveEnv(const Node& node, Resolver& r, Exec& exec) {
  if (!r.ExpectMapping(node, "'exec.env'")) return;
  r.CheckKeys(node, {"clean", "keep", "set"}, "in 'exec.env'");
  exec.env_span = node.span;
  static const std::regex kVariable("[A-Za-z_][A-Za-z0-9_]*");
  auto check_name = [&](const std::string& name, SourceSpan span) {
    if (std::regex_match(name, kVariable) && name.size() <= 255) return true;
    r.diags().AddError("invalid-name", span, "'" + name + "' is not a valid environment name",
                       "a name of letters, digits and '_', not starting with a digit");
    return false;
  };
  if (const Node* clean = node.Find("clean")) {
    if (std::optional<bool> value = r.Bool(*clean, "'exec.env.clean'")) {
      exec.env_clean = *value;
      exec.env_clean_span = clean->span;
    }
  }
  if (const Node* keep = node.Find("keep"); keep && r.ExpectSequence(*keep, "'exec.env.keep'")) {
    for (const Node& item : keep->items) {
      std::optional<std::string> name = r.String(item, "an environment name");
      if (name && check_name(*name, item.span)) exec.env_keep.push_back(*name);
    }
  }
  if (const Node* set = node.Find("set"); set && r.ExpectMapping(*set, "'exec.env.set'")) {
    for (const MapEntry& entry : set->entries) {
      if (!check_name(entry.key, entry.key_span)) continue;
      std::optional<std::string> value =
          r.String(entry.value, "the value of '" + entry.key + "'", /*allow_empty=*/true);
      if (!value) continue;
      if (value->find('\0') != std::string::npos) {
        r.diags().AddError("invalid-value", entry.value.span, "the value contains a NUL byte",
                           "text without NUL bytes");
        continue;
      }
      exec.env_set.push_back({entry.key, *value, entry.key_span});
    }
  }
}

}  // namespace

void ResolveExec(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'exec'")) return;
  r.CheckKeys(node, {"user", "group", "workdir", "env", "timeout", "core_dumps", "command"},
              "in 'exec'");
  Exec& exec = policy.exec;

  if (const Node* user = node.Find("user")) {
    Granted granted = r.ReadGranted(*user, "'exec.user'", "name");
    if (granted.value) {
      std::optional<std::string> name = r.String(*granted.value, "'exec.user'");
      if (name && !IsValidPrincipal(*name)) {
        r.diags().AddError("invalid-name", granted.value->span,
                           "'" + *name + "' is not a valid user",
                           "a user name or a numeric uid below 4294967295");
      } else if (name) {
        exec.user = *name;
        exec.user_span = granted.value->span;
        exec.user_justified = granted.justified;
      }
    }
  }
  if (const Node* group = node.Find("group")) {
    std::optional<std::string> name = r.String(*group, "'exec.group'");
    if (name && !IsValidPrincipal(*name)) {
      r.diags().AddError("invalid-name", group->span, "'" + *name + "' is not a valid group",
                         "a group name or a numeric gid below 4294967295");
    } else if (name) {
      exec.group = *name;
      exec.group_span = group->span;
    }
  }
  if (const Node* workdir = node.Find("workdir")) {
    if (std::optional<std::string> path = r.AbsolutePath(*workdir, "'exec.workdir'")) {
      exec.workdir = *path;
      exec.workdir_span = workdir->span;
    }
  }
  if (const Node* env = node.Find("env")) ResolveEnv(*env, r, exec);
  if (const Node* timeout = node.Find("timeout")) {
    if (std::optional<uint64_t> ms = r.DurationMs(*timeout, "'exec.timeout'")) {
      if (*ms == 0) {
        r.diags().AddError("value-out-of-range", timeout->span, "'exec.timeout' is zero",
                           "a positive duration, or no 'timeout' for none");
      } else {
        exec.timeout_ms = *ms;
        exec.timeout_span = timeout->span;
      }
    }
  }
  if (const Node* core = node.Find("core_dumps")) {
    if (std::optional<bool> value = r.Bool(*core, "'exec.core_dumps'")) {
      exec.core_dumps = *value;
      exec.core_dumps_span = core->span;
    }
  }
  if (const Node* command = node.Find("command")) {
    if (r.ExpectSequence(*command, "'exec.command'")) {
      exec.command_span = command->span;
      for (const Node& item : command->items) {
        std::optional<std::string> argument =
            r.String(item, "an 'exec.command' argument", /*allow_empty=*/true);
        // "\0" in a quoted scalar would cut the argument short when it becomes a C string: the
        // program run would not be the one the policy names (as for exec.env values).
        if (argument && argument->find('\0') != std::string::npos) {
          r.diags().AddError("invalid-value", item.span, "the argument contains a NUL byte",
                             "text without NUL bytes");
          continue;
        }
        if (argument) exec.command.push_back(*argument);
      }
      if (command->items.empty()) {
        r.diags().AddError("invalid-value", command->span, "'exec.command' is empty",
                           "the program and its arguments, e.g. [/usr/bin/python3, app.py]");
      } else if (!exec.command.empty() && exec.command[0].empty()) {
        r.diags().AddError("invalid-value", command->items[0].span, "the program name is empty",
                           "a program path, e.g. /usr/bin/python3");
      }
    }
  }
}

}  // namespace stockade::policy::detail
