// SPDX-License-Identifier: BSD-2-Clause
// Internal: the tables that map policy clauses onto Linux mechanisms. The planner builds the
// plan from them and Assess() reports fidelity from them, so the two cannot disagree.

#ifndef STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_
#define STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/plan.h"
#include "stockade/linux_sim/tables.h"
#include "stockade/policy/ir.h"

namespace stockade::linux_sim::detail {

// ---- privileges: securelevel and allow.* -> capabilities (capabilities.cc) ----------------

// One row of the privilege table: what a jail permission (or the base of jailed root) stands
// for on Linux.
struct CapabilityRow {
  std::string_view flag;  // "allow.raw_sockets", or "(jailed root)" for the base set
  int capability;         // CAP_* number, or -1 when no capability stands for it
  enforce::Fidelity fidelity;
  std::string_view reason;
};
std::vector<CapabilityRow> CapabilityTable();

// The capability set of a program running as `uid` (inside the sandbox) under `policy`.
CapsPlan PlanCapabilities(const policy::Policy& policy, uid_t uid);

// Fidelity of securelevel and each allow.* flag the policy writes.
void AssessPrivileges(const policy::Policy& policy, std::vector<enforce::ClauseFidelity>& out);

// Whether the sandbox gets a private IPC namespace (planner.cc): when any SysV kind asks for
// 'new', or none asks for the host's ('inherit').
bool OwnIpcNamespace(const policy::Ipc& ipc);

// ---- limits: rctl resources -> rlimits, cgroups, sysctls, the supervisor (limits.cc) -------

Expected<LimitsPlan> PlanLimits(const policy::Policy& policy, const HostFacts& host);
void AssessLimits(const policy::Policy& policy, const HostFacts& host,
                  std::vector<enforce::ClauseFidelity>& out);

// ---- mac: mac_bsdextended and mac_portacl -> Landlock (mac.cc) ----------------------------

// The program as mac_bsdextended and mac_portacl see it.
struct MacSubject {
  uid_t uid = 65534;
  gid_t gid = 65534;
  std::vector<gid_t> groups;     // further groups the program holds, besides `gid`
  bool fs_privileged = false;    // uid 0 keeping CAP_DAC_OVERRIDE (jailed root's PRIV_VFS_*)
  bool bind_privileged = false;  // keeps CAP_NET_BIND_SERVICE (PRIV_NETINET_RESERVEDPORT)
};

// The subject of a program running as `uid`/`gid` with `caps`; in user-namespace mode the
// caller's supplementary groups stay and show as the overflow gid.
MacSubject MacSubjectFor(uid_t uid, gid_t gid, const CapsPlan& caps, bool userns);

struct MacPlan {
  LandlockPlan landlock;  // also carries linux-sim's Landlock scopes (ABI 6)
  std::vector<enforce::ClauseFidelity> fidelity;  // mac.bsdextended and mac.portacl entries
  // A clause needs Landlock rules this kernel cannot apply (they are left out of `landlock`):
  // the run may only go ahead when the policy accepts that clause.
  std::vector<std::string> unenforced;
};

// mac_portacl's part of PlanMac (portacl.cc): the port floor and Landlock bind_tcp rules in
// out.landlock, the mac.portacl entries in out.fidelity.
void PlanPortAcl(const policy::Policy& policy, const HostFacts& host, const MacSubject& subject,
                 MacPlan& out);
std::vector<MappingRow> PortAclRows();  // for MacTable()

// "uid 65534 gid 65534", for fidelity texts.
inline std::string SubjectText(const MacSubject& s) {
  return "uid " + std::to_string(s.uid) + " gid " + std::to_string(s.gid);
}

inline std::string Join(const std::vector<std::string>& words, std::string_view separator = " ") {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : std::string(separator)) + w;
  return out;
}

// The Landlock scopes (ABI 6) every sandbox gets on this host: signals and abstract UNIX
// sockets stay inside the sandbox.
uint64_t LandlockScopes(const HostFacts& host);

// Landlock rules and fidelity for the policy's MAC rules, for `subject`, over the sandbox's file
// systems, with the host's Landlock ABI. Fails when a user or group name in a rule does not
// exist on this host.
Expected<MacPlan> PlanMac(const policy::Policy& policy, const HostFacts& host,
                          const MacSubject& subject);

// ---- Capsicum: descriptor rights and capability mode (capsicum_planner.cc) ----------------

// Lays out the manifest's limited descriptors, compiles the emulation's filters and attaches
// them to plan.seccomp (docs/capsicum-linux.md); in capability mode, also binds the preopen
// library into the sandbox and preloads it. Needs the manifest, the filesystem steps, the
// limits and the seccomp plan already planned.
Status PlanCapsicum(const policy::Policy& policy, const HostFacts& host, SandboxPlan& plan);
// Fidelity of the clause 'descriptors' or 'capability_mode' (`clause`, at `span`).
enforce::ClauseFidelity AssessCapsicum(const std::string& clause, policy::SourceSpan span,
                                       const policy::Policy& policy, const HostFacts& host);

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_MAPPINGS_H_
