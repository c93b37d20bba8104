// SPDX-License-Identifier: BSD-2-Clause
// Clause ids: the fixed ones, limits.<resource>, and the settable jail parameters.

#include "stockade/policy/clauses.h"

#include <algorithm>
#include <set>

#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

constexpr std::string_view kFixedClauses[] = {
    "hostname",
    "exec.user",
    "exec.env",
    "exec.timeout",
    "exec.core_dumps",
    "exec.workdir",
    "syscalls",
    "descriptors",
    "capability_mode",
    "sysvshm",
    "sysvmsg",
    "sysvsem",
    "securelevel",
    "enforce_statfs",
    "children.max",
    "devfs_ruleset",
    "filesystem.root",
    "filesystem.mounts",
    "filesystem.scratch",
    "filesystem.symlinks",
    "filesystem.proc",
    "filesystem.dev",
    "network",
    "network.egress",
    "mac.bsdextended",
    "mac.portacl",
};

const std::vector<std::string>& ClauseIdStorage() {
  static const std::vector<std::string> ids = [] {
    std::set<std::string> all(std::begin(kFixedClauses), std::end(kFixedClauses));
    for (const RctlResourceInfo& resource : RctlResources()) {
      all.insert("limits." + std::string(resource.name));
    }
    for (const JailParamInfo& param : JailParams()) {
      if (param.settable && param.layer != JailParamLayer::kJailPseudo) {
        all.insert(std::string(param.name));
      }
    }
    return std::vector<std::string>(all.begin(), all.end());
  }();
  return ids;
}

}  // namespace

std::vector<std::string_view> AllClauseIds() {
  const std::vector<std::string>& ids = ClauseIdStorage();
  return std::vector<std::string_view>(ids.begin(), ids.end());
}

bool IsClauseId(std::string_view id) {
  const std::vector<std::string>& ids = ClauseIdStorage();
  return std::binary_search(ids.begin(), ids.end(), id);
}

std::vector<ClauseRef> ClausesOf(const Policy& policy) {
  std::vector<ClauseRef> clauses;
  auto add = [&](std::string id, SourceSpan span) {
    if (span.valid()) clauses.push_back({std::move(id), span});
  };
  add("hostname", policy.hostname_span);
  add("exec.user", policy.exec.user_span);
  add("exec.env", policy.exec.env_span);
  add("exec.workdir", policy.exec.workdir_span);
  add("exec.timeout", policy.exec.timeout_span);
  add("exec.core_dumps", policy.exec.core_dumps_span);
  for (Target target : kAllTargets) {
    if (policy.syscalls[target].present) {
      add("syscalls", policy.syscalls[target].span);
      break;
    }
  }
  if (!policy.descriptors.empty()) add("descriptors", policy.descriptors.front().span);
  if (policy.capability_mode) add("capability_mode", policy.capability_mode_span);
  const SourceSpan sysvipc = policy.ipc.allow_sysvipc_span;
  add("sysvshm", policy.ipc.sysvshm_span.valid() ? policy.ipc.sysvshm_span : sysvipc);
  add("sysvmsg", policy.ipc.sysvmsg_span.valid() ? policy.ipc.sysvmsg_span : sysvipc);
  add("sysvsem", policy.ipc.sysvsem_span.valid() ? policy.ipc.sysvsem_span : sysvipc);
  add("securelevel", policy.jail.securelevel_span);
  add("enforce_statfs", policy.jail.enforce_statfs_span);
  add("children.max", policy.jail.children_max_span);
  add("devfs_ruleset", policy.jail.devfs_ruleset_span);
  for (const JailFlag& flag : policy.jail.allow) add(flag.name, flag.span);
  for (const JailParam& param : policy.jail.params) add(param.name, param.span);
  add("filesystem.root", policy.filesystem.root.span);
  if (!policy.filesystem.mounts.empty()) {
    add("filesystem.mounts", policy.filesystem.mounts.front().span);
  }
  if (!policy.filesystem.scratch.empty()) {
    add("filesystem.scratch", policy.filesystem.scratch.front().span);
  }
  if (!policy.filesystem.symlinks.empty()) {
    add("filesystem.symlinks", policy.filesystem.symlinks.front().span);
  }
  if (policy.filesystem.span.valid()) {
    if (policy.filesystem.proc) add("filesystem.proc", policy.filesystem.span);
    if (policy.filesystem.dev) add("filesystem.dev", policy.filesystem.span);
  }
  add("network", policy.network.span);
  if (!policy.network.egress.empty()) add("network.egress", policy.network.egress.front().span);
  std::set<std::string> limits;
  for (const Limit& limit : policy.limits) {
    if (limits.insert(limit.resource).second) add("limits." + limit.resource, limit.span);
  }
  if (!policy.mac.bsdextended.empty()) {
    add("mac.bsdextended", policy.mac.bsdextended.front().span);
  }
  if (!policy.mac.portacl.empty()) add("mac.portacl", policy.mac.portacl.front().span);
  std::stable_sort(clauses.begin(), clauses.end(), [](const ClauseRef& a, const ClauseRef& b) {
    return std::tie(a.span.file, a.span.begin) < std::tie(b.span.file, b.span.begin);
  });
  return clauses;
}

}  // namespace stockade::policy
