// SPDX-License-Identifier: BSD-2-Clause
// Internal: the network clause of linux-sim (docs/linux-sim.md, "Network"): planning
// 'network: vnet' and its egress allow-list, their fidelity, and the supervisor's side of the
// veth pair.
//
// Where each operation happens, and why:
//   P, before the clone  opens an rtnetlink socket in the host's namespace and a descriptor of
//                        that namespace (to come back to).
//   P, after the clone   (the child waits for the go signal, nothing of the program runs yet)
//                        1. enters the child's namespace with setns(2) just long enough to
//                           open two netlink sockets there (a socket stays bound to the
//                           namespace it was opened in) and to set that namespace's default
//                           IPv6 address generation to none, then comes back;
//                        2. creates the veth pair in one request: the host end up, the sandbox
//                           end created directly inside the child's namespace (IFLA_NET_NS_PID),
//                           so no moment exists where both ends are on the host;
//                        3. turns off IPv6 link-local generation on the host end and gives it
//                           the gateway address;
//                        4. configures the sandbox end through the sockets of step 1: up, the
//                           policy's addresses (IPv6 without duplicate address detection,
//                           usable at once), the default route via the gateway;
//                        5. loads the egress ruleset in one nf_tables transaction;
//                        then closes the sandbox-side sockets (they would keep the namespace
//                        alive) and sends the go signal.
//   C                    brings loopback up, as for 'none'.
//   P, after the run     deletes the host end (which deletes both ends), so that nothing of the
//                        run is visible on the host when stockade returns.
// rtnetlink requests take the kernel's one global lock (RTNL), which every launch on the host
// contends for: a launch makes five plus one per sandbox address (the pair; the host end's
// address mode and address; eth0 up, its addresses, the route; loopback, in C), one nf_tables
// transaction (under a lock of the sandbox's namespace only) and, after the run, one deletion. The
// veth cannot outlive the sandbox's namespace: deleting one end deletes the pair, and a namespace's
// devices are deleted when its last process exits. If stockade is killed, its sockets close, the
// init dies (PR_SET_PDEATHSIG) and the kernel removes the pair shortly after. Nothing else is
// created on the host: no rules, no routes beyond the host end's own prefix route, no sysctl.

#ifndef STOCKADE_LINUX_SIM_SRC_NETWORK_H_
#define STOCKADE_LINUX_SIM_SRC_NETWORK_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "netlink.h"
#include "protocol.h"
#include "stockade/base/expected.h"
#include "stockade/base/unique_fd.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/plan.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::linux_sim::detail {

// The prefix of every host-side link linux-sim creates (`stockade gc` looks for it).
inline constexpr const char* kHostInterfacePrefix = "stk";

// Why the egress rules in the sandbox's namespace would not hold against the program, or ""
// when they hold. They live where the program cannot change them only as long as it holds
// neither CAP_NET_ADMIN (allow.routing: it could flush them) nor CAP_NET_RAW together with
// allow.socket_af (packet sockets send past netfilter).
std::string EgressDefeatedBy(const policy::Policy& policy, const CapsPlan& caps);

// The network part of the plan for 'none', 'host' and 'vnet'. For 'vnet', fails (naming the
// clause) when this host or mode cannot set it up: not root, nf_tables missing, or rules the
// program could defeat that the policy does not accept as not enforced.
Expected<NetworkPlan> PlanNetwork(const policy::Policy& policy, const policy::SourceSet& sources,
                                  const HostFacts& host, const CapsPlan& caps);

// The fidelity of the clause `id` ("network" or "network.egress").
enforce::ClauseFidelity AssessNetwork(const std::string& id, policy::SourceSpan span,
                                      const policy::Policy& policy, const HostFacts& host);

// The supervisor's side of 'network: vnet' (see the top of this file). Single-threaded use by
// the supervisor only: Setup enters the child's namespace for a moment.
class VethLink {
 public:
  VethLink() = default;
  VethLink(const VethLink&) = delete;
  VethLink& operator=(const VethLink&) = delete;
  ~VethLink() { Teardown(); }

  // Before the clone. Does nothing unless the plan asks for a veth.
  Status Prepare(const NetworkPlan& plan);
  // After the clone, before the go signal: steps 1 to 5. On failure the caller kills the child;
  // Teardown (or the destructor) removes whatever was created.
  Status Setup(pid_t init_pid, int init_pidfd, TracePage* trace);
  // After the sandbox is gone: removes the host end's address (and so its route) at once; the
  // pair itself goes with the sandbox's network namespace, a moment later. Safe to call more
  // than once.
  void Teardown() noexcept;
  // Whether the host end no longer exists (nothing was created, or the kernel removed it).
  bool HostEndGone() const noexcept;

 private:
  Status EnterSandbox(int init_pidfd);
  Status CreatePair(pid_t init_pid);
  Status ConfigureHostEnd();
  Status ConfigureSandboxEnd();

  const NetworkPlan* plan_ = nullptr;
  std::optional<netlink::Socket> host_;  // rtnetlink, in the host's namespace
  std::optional<netlink::Socket> sandbox_route_, sandbox_filter_;  // during Setup only
  UniqueFd host_namespace_;  // to return to after opening the sandbox's sockets
  int host_index_ = 0;       // the host end, once created
  int sandbox_index_ = 0;    // the sandbox end, in the sandbox's namespace
  bool torn_down_ = false;
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_NETWORK_H_
