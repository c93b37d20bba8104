// SPDX-License-Identifier: BSD-2-Clause
// The privilege table: FreeBSD's securelevel and allow.* permissions as Linux capabilities.
// docs/linux-sim.md prints this table.

#include <cap-ng.h>
#include <linux/capability.h>

#include <algorithm>
#include <cctype>

#include "mappings.h"
#include "stockade/linux_sim/tables.h"

namespace stockade::linux_sim::detail {
namespace {

using enforce::Fidelity;

// What jailed root may do by default on FreeBSD (allow.suser with JAIL_DEFAULT_ALLOW), as the
// capabilities Linux needs for the same acts on the sandbox's own files and processes.
constexpr CapabilityRow kBase[] = {
    {"(jailed root)", CAP_CHOWN, Fidelity::kExact, "jailed root may chown files"},
    {"(jailed root)", CAP_DAC_OVERRIDE, Fidelity::kExact, "jailed root bypasses file permissions"},
    {"(jailed root)", CAP_DAC_READ_SEARCH, Fidelity::kExact, "... for reading and search too"},
    {"(jailed root)", CAP_FOWNER, Fidelity::kExact, "jailed root acts as any file's owner"},
    {"(jailed root)", CAP_FSETID, Fidelity::kExact, "set-id bits survive its changes"},
    {"(jailed root)", CAP_KILL, Fidelity::kExact,
     "jailed root signals any process of the jail (the PID namespace bounds it)"},
    {"(jailed root)", CAP_SETUID, Fidelity::kExact, "jailed root changes its uid"},
    {"(jailed root)", CAP_SETGID, Fidelity::kExact, "... and its gid and groups"},
    {"(jailed root)", CAP_SYS_CHROOT, Fidelity::kExact, "jailed root may chroot(2)"},
};

// allow.* flags (jail(8)) and the capability that stands for each.
constexpr CapabilityRow kFlags[] = {
    {"allow.reserved_ports", CAP_NET_BIND_SERVICE, Fidelity::kExact, "binding ports below 1024"},
    {"allow.raw_sockets", CAP_NET_RAW, Fidelity::kExact, "raw and packet sockets"},
    {"allow.chflags", CAP_LINUX_IMMUTABLE, Fidelity::kApproximated,
     "system file flags are Linux's immutable and append-only attributes"},
    {"allow.mlock", CAP_IPC_LOCK, Fidelity::kExact, "locking memory"},
    {"allow.settime", CAP_SYS_TIME, Fidelity::kExact, "setting the clock"},
    {"allow.adjtime", CAP_SYS_TIME, Fidelity::kApproximated,
     "Linux has no capability for slewing alone: CAP_SYS_TIME also allows stepping"},
    {"allow.read_msgbuf", CAP_SYSLOG, Fidelity::kExact, "reading the kernel message buffer"},
    {"allow.routing", CAP_NET_ADMIN, Fidelity::kApproximated,
     "CAP_NET_ADMIN covers all network configuration of the sandbox's namespace"},
    {"allow.mount", CAP_SYS_ADMIN, Fidelity::kApproximated,
     "CAP_SYS_ADMIN covers far more than mounting; the mount namespace bounds it"},
    {"allow.extattr", CAP_SYS_ADMIN, Fidelity::kApproximated,
     "trusted extended attributes need CAP_SYS_ADMIN, which covers far more"},
    {"allow.quotas", CAP_SYS_ADMIN, Fidelity::kApproximated,
     "quotactl(2) needs CAP_SYS_ADMIN, which covers far more"},
    {"allow.set_hostname", -1, Fidelity::kApproximated,
     "sethostname(2) needs CAP_SYS_ADMIN; linux-sim does not grant it, so the hostname is "
     "fixed"},
    {"allow.unprivileged_proc_debug", -1, Fidelity::kExact,
     "same-user debugging needs no capability; the PID namespace bounds it"},
    {"allow.socket_af", -1, Fidelity::kExact,
     "enforced by the syscall filter: without it only UNIX, IPv4, IPv6 and netlink sockets"},
    {"allow.suser", -1, Fidelity::kExact, "without it uid 0 gets no capability at all"},
    {"allow.sysvipc", -1, Fidelity::kExact, "stands for the three sysv* values (see ipc)"},
    {"allow.nfsd", -1, Fidelity::kNotEnforced, "there is no NFS server to grant in a sandbox"},
    {"allow.vmm", -1, Fidelity::kNotEnforced, "no bhyve on Linux"},
    {"allow.vmm_ppt", -1, Fidelity::kNotEnforced, "no bhyve on Linux"},
    {"allow.setaudit", -1, Fidelity::kNotEnforced, "no BSM audit sessions on Linux"},
    {"allow.unprivileged_parent_tampering", -1, Fidelity::kExact,
     "the PID namespace keeps outside processes out of reach either way"},
};

// securelevel N forbids, cumulatively, what these capabilities would allow (security(7) of
// FreeBSD, securelevels.tsv).
struct LevelRow {
  int level;
  int capability;
  std::string_view reason;
};
constexpr LevelRow kLevels[] = {
    {1, CAP_LINUX_IMMUTABLE, "schg/sappnd flags cannot be cleared"},
    {1, CAP_SYS_MODULE, "kernel modules cannot be loaded"},
    {1, CAP_SYS_RAWIO, "/dev/mem, /dev/kmem and /dev/io cannot be opened"},
    {1, CAP_MKNOD, "no new device nodes that would reach disks"},
    {2, CAP_SYS_TIME, "the clock cannot be stepped"},
    {3, CAP_NET_ADMIN, "packet filter rules cannot be changed"},
};

bool FlagSet(const policy::Policy& policy, std::string_view flag, bool fallback) {
  for (const policy::JailFlag& f : policy.jail.allow) {
    if (f.name == flag) return f.value;
  }
  return fallback;
}

}  // namespace

std::vector<CapabilityRow> CapabilityTable() {
  std::vector<CapabilityRow> rows(std::begin(kBase), std::end(kBase));
  rows.insert(rows.end(), std::begin(kFlags), std::end(kFlags));
  return rows;
}

CapsPlan PlanCapabilities(const policy::Policy& policy, uid_t uid) {
  CapsPlan caps;
  // An unprivileged program keeps no capability: its uid is not 0 and nothing is ambient.
  if (uid != 0 || !FlagSet(policy, "allow.suser", true)) return caps;
  auto add = [&](int cap, std::string_view why) {
    if (cap < 0 || std::find(caps.keep.begin(), caps.keep.end(), cap) != caps.keep.end()) return;
    caps.keep.push_back(cap);
    caps.reasons.emplace_back(why);
  };
  for (const CapabilityRow& row : kBase) add(row.capability, row.reason);
  // FreeBSD's defaults: allow.set_hostname, allow.reserved_ports, allow.unprivileged_proc_debug
  // and allow.suser are on unless the policy turns them off.
  if (FlagSet(policy, "allow.reserved_ports", true))
    add(CAP_NET_BIND_SERVICE, "allow.reserved_ports");
  for (const CapabilityRow& row : kFlags) {
    if (row.flag == "allow.reserved_ports") continue;
    if (FlagSet(policy, row.flag, false)) add(row.capability, row.flag);
  }
  for (const LevelRow& row : kLevels) {
    if (policy.jail.securelevel >= row.level) {
      caps.keep.erase(std::remove(caps.keep.begin(), caps.keep.end(), row.capability),
                      caps.keep.end());
    }
  }
  std::sort(caps.keep.begin(), caps.keep.end());
  return caps;
}

void AssessPrivileges(const policy::Policy& policy, std::vector<enforce::ClauseFidelity>& out) {
  if (policy.jail.securelevel_span.valid()) {
    std::string how = "capabilities that securelevel " + std::to_string(policy.jail.securelevel) +
                      " forbids are dropped (";
    bool first = true;
    for (const LevelRow& row : kLevels) {
      if (policy.jail.securelevel < row.level) continue;
      how += (first ? "" : "; ") + std::string(row.reason);
      first = false;
    }
    how += first ? "nothing: levels -1 and 0 forbid nothing)" : ")";
    const bool exact = policy.jail.securelevel <= 0;
    out.push_back({"securelevel", policy.jail.securelevel_span,
                   exact ? Fidelity::kExact : Fidelity::kApproximated,
                   exact ? how
                         : how + "; Linux has no securelevel: a privileged process could still do "
                                 "what these capabilities do not cover"});
  }
  for (const policy::JailFlag& flag : policy.jail.allow) {
    const CapabilityRow* found = nullptr;
    for (const CapabilityRow& row : kFlags) {
      if (row.flag == flag.name) found = &row;
    }
    if (!flag.value) {
      out.push_back({flag.name, flag.span, Fidelity::kExact, "not granted"});
    } else if (found) {
      out.push_back({flag.name, flag.span, found->fidelity,
                     std::string(found->reason) +
                         (found->capability >= 0 ? " (granted to uid 0 as a capability)" : "")});
    } else if (flag.name.rfind("allow.mount.", 0) == 0) {
      // A file system type jailed root may mount, on top of allow.mount (jail(8)).
      const bool mount = FlagSet(policy, "allow.mount", false);
      out.push_back({flag.name, flag.span, mount ? Fidelity::kApproximated : Fidelity::kExact,
                     mount ? "allow.mount's CAP_SYS_ADMIN mounts any file system type the "
                             "kernel lets a mount namespace's owner mount, not only this one"
                           : "nothing without allow.mount, as on FreeBSD"});
    } else {
      // Every jail permission must be answered for; one without a Linux counterpart is granted
      // nothing here, which a program relying on it would notice.
      out.push_back({flag.name, flag.span, Fidelity::kNotEnforced,
                     "linux-sim has no counterpart for this permission: it grants nothing"});
    }
  }
}

}  // namespace stockade::linux_sim::detail

namespace stockade::linux_sim {

namespace {

std::string CapabilityName(int capability) {
  if (capability < 0) return "no capability";
  const char* name = capng_capability_to_name(static_cast<unsigned>(capability));
  std::string out = "CAP_";
  for (const char* c = name ? name : "?"; *c; ++c) {
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
  }
  return out;
}

}  // namespace

std::vector<MappingRow> PrivilegesTable() {
  std::vector<MappingRow> rows;
  for (const detail::CapabilityRow& row : detail::kBase) {
    rows.push_back({"jailed root (uid 0, allow.suser)", "keeps " + CapabilityName(row.capability),
                    row.fidelity, std::string(row.reason)});
  }
  for (const detail::CapabilityRow& row : detail::kFlags) {
    rows.push_back({std::string(row.flag),
                    row.capability >= 0 ? "adds " + CapabilityName(row.capability) + " for uid 0"
                                        : "no capability",
                    row.fidelity, std::string(row.reason)});
  }
  for (const detail::LevelRow& row : detail::kLevels) {
    rows.push_back({"securelevel >= " + std::to_string(row.level),
                    "drops " + CapabilityName(row.capability), enforce::Fidelity::kApproximated,
                    std::string(row.reason) +
                        "; Linux has no securelevel: what the capability does not cover stays"});
  }
  return rows;
}

}  // namespace stockade::linux_sim
