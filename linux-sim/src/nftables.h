// SPDX-License-Identifier: BSD-2-Clause
// Internal: the egress allow-list of 'network: vnet' as nf_tables rules in the sandbox's own
// network namespace, from one rule list rendered two ways: nft(8) text (as `nft list ruleset`
// prints it, for explain, docs and tests) and the netlink transaction the supervisor loads.
//
//   table inet stockade {
//     chain egress {
//       type filter hook output priority filter; policy drop;
//       oif "lo" accept                                  loopback
//       ct state established,related accept             replies, and ICMP errors about them
//       ip6 daddr fe80::/10 icmpv6 type nd-neighbor-solicit accept    (with an IPv6
//       ip6 daddr fe80::/10 icmpv6 type nd-neighbor-advert accept     address) neighbour
//       ... the same for ff02::/16 and the sandbox's IPv6 prefixes    discovery on the link
//       ip daddr 10.0.0.10 tcp dport 443 accept          one line per egress rule
//       meta l4proto tcp reject with tcp reset           refused connections: ECONNREFUSED
//     }                                                  the rest is dropped on output: the
//   }                                                      sender gets EPERM at once
//
// The output hook sees every packet the sandbox's stack sends, whatever the program's socket
// (raw IP sockets included); packet sockets (AF_PACKET) bypass it, which is why the planner
// counts CAP_NET_RAW with allow.socket_af as defeating the rules (network.h).

#ifndef STOCKADE_LINUX_SIM_SRC_NFTABLES_H_
#define STOCKADE_LINUX_SIM_SRC_NFTABLES_H_

#include <string>

#include "netlink.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim::detail {

inline constexpr const char* kNftTable = "stockade";  // family inet
inline constexpr const char* kNftChain = "egress";

// The ruleset as `nft list ruleset` prints it in the sandbox's namespace.
std::string EgressRulesetText(const NetworkPlan& plan);

// The same ruleset as one nf_tables transaction (batch begin, table, chain, rules, batch end)
// for a NETLINK_NETFILTER socket of the sandbox's namespace: all of it applies, or nothing.
netlink::Batch EgressRulesetBatch(const NetworkPlan& plan);

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_NFTABLES_H_
