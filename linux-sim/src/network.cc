// SPDX-License-Identifier: BSD-2-Clause
// The network clause: planning 'network', its fidelity, and the veth pair the supervisor sets up
// from outside the sandbox (see network.h for where each step runs and why).

#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "child.h"
#include "mappings.h"
#include "nftables.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/seccomp.h"

namespace stockade::linux_sim::detail {
namespace {

using enforce::Fidelity;
using netlink::Batch;

bool Holds(const CapsPlan& caps, int capability) {
  return std::find(caps.keep.begin(), caps.keep.end(), capability) != caps.keep.end();
}

bool FlagSet(const policy::Policy& policy, std::string_view name) {
  for (const policy::JailFlag& flag : policy.jail.allow) {
    if (flag.name == name) return flag.value;
  }
  return false;
}

// The capability set the program will have, as PlanSandbox computes it (the program's uid
// resolved on this host; an unknown user fails PlanSandbox later, and holds nothing here).
CapsPlan ProgramCapabilities(const policy::Policy& policy) {
  SimPlatform resolver(nullptr, -1);
  auto identity = resolver.ResolveIdentity(policy.exec.user, policy.exec.group);
  return PlanCapabilities(policy, identity ? identity->uid : 65534);
}

// Why this host or mode cannot set up 'vnet' at all, or "".
std::string VnetUnavailable(const HostFacts& host) {
  if (host.root && !host.cap_net_admin) {
    return "'mode: vnet' needs CAP_NET_ADMIN in the initial user namespace to create the host "
           "end of the veth pair, and this root process lacks it (a container?)";
  }
  if (!host.root) {
    return "'mode: vnet' needs root: the host end of the veth pair lives in the host's network "
           "namespace, and creating it takes CAP_NET_ADMIN in the initial user namespace, which "
           "user-namespace mode (stockade run by a user other than root) does not have, and "
           "linux-sim has no user-space network stack to offer instead; run stockade as root, "
           "or use 'mode: none'";
  }
  if (!host.nftables) {
    return "this kernel has no nf_tables (CONFIG_NF_TABLES_INET): the rules that keep the "
           "sandbox's traffic in cannot be loaded";
  }
  return "";
}

std::string AddressOf(const policy::Cidr& cidr) { return cidr.text.substr(0, cidr.text.find('/')); }

// "stk" + the supervisor's pid (7 hex digits: pid_max is at most 2^22) + 4 random hex digits.
std::string HostInterfaceName() {
  uint16_t salt = 0;
  if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) != sizeof(salt)) {
    salt = static_cast<uint16_t>(getpid() * 40503u);
  }
  char name[IFNAMSIZ];
  std::snprintf(name, sizeof(name), "%s%07x%04x", kHostInterfacePrefix,
                static_cast<unsigned>(getpid()) & 0xfffffffu, static_cast<unsigned>(salt));
  return name;
}

}  // namespace

std::string EgressDefeatedBy(const policy::Policy& policy, const CapsPlan& caps) {
  if (Holds(caps, CAP_NET_ADMIN)) {
    return "allow.routing gives the program CAP_NET_ADMIN in the sandbox's network namespace, "
           "where the egress rules live: it could flush them (securelevel 3 drops it)";
  }
  if (Holds(caps, CAP_NET_RAW) && FlagSet(policy, "allow.socket_af")) {
    return "allow.raw_sockets with allow.socket_af lets the program open packet sockets, whose "
           "frames leave without passing the egress rules";
  }
  return "";
}

Expected<NetworkPlan> PlanNetwork(const policy::Policy& policy, const policy::SourceSet& sources,
                                  const HostFacts& host, const CapsPlan& caps) {
  NetworkPlan plan;
  const policy::Network& net = policy.network;
  plan.origin = {"network", net.span};
  switch (net.mode) {
    case policy::Network::Mode::kHost:
      plan.mode = NetworkPlan::Mode::kHost;
      return plan;
    case policy::Network::Mode::kNone:
      plan.mode = NetworkPlan::Mode::kLoopbackOnly;
      return plan;
    case policy::Network::Mode::kVnet:
      break;
  }
  const std::string where = "network (" + Where(sources, plan.origin) + ")";
  plan.where = where;
  if (const std::string why = VnetUnavailable(host); !why.empty()) {
    return Error(ErrorCode::kUnsupported, where + ": " + why);
  }
  // Assess reports this as not enforced; only a policy that accepts it by name gets here.
  const std::string clause = net.egress.empty() ? "network" : "network.egress";
  if (const std::string why = EgressDefeatedBy(policy, caps);
      !why.empty() && !enforce::IsAccepted(policy, clause, enforce::BackendFamily::kLinux)) {
    return Error(ErrorCode::kUnsupported, where + ": " + why);
  }
  plan.mode = NetworkPlan::Mode::kVeth;
  plan.host_interface = HostInterfaceName();
  plan.sandbox_interface = "eth0";
  plan.addresses = net.addresses;
  plan.egress = net.egress;
  if (net.gateway) {
    policy::Cidr gateway = *net.gateway;
    gateway.prefix = gateway.ipv6 ? 128 : 32;
    for (const policy::Cidr& a : net.addresses) {
      if (a.ipv6 == gateway.ipv6) {
        gateway.prefix = a.prefix;
        break;
      }
    }
    gateway.text = AddressOf(gateway) + "/" + std::to_string(gateway.prefix);
    plan.gateway = gateway;
  }
  plan.nft_ruleset = EgressRulesetText(plan);
  return plan;
}

enforce::ClauseFidelity AssessNetwork(const std::string& id, policy::SourceSpan span,
                                      const policy::Policy& policy, const HostFacts& host) {
  const policy::Network& net = policy.network;
  if (id == "network" && net.mode != policy::Network::Mode::kVnet) {
    return {id, span, Fidelity::kExact,
            net.mode == policy::Network::Mode::kNone ? "a new network namespace with only loopback"
                                                     : "the host's network namespace is shared"};
  }
  if (const std::string why = VnetUnavailable(host); !why.empty()) {
    enforce::ClauseFidelity refused{
        id, span, Fidelity::kNotEnforced,
        id == "network" ? why : "'mode: vnet' cannot be set up on this host (see 'network')"};
    refused.acceptable = false;
    return refused;
  }
  const std::string defeated = EgressDefeatedBy(policy, ProgramCapabilities(policy));
  const char* rules =
      "nf_tables rules in the output hook of the sandbox's own network namespace, loaded before "
      "the program starts, where the program holds no CAP_NET_ADMIN; a refused TCP connection "
      "is reset (ECONNREFUSED at once), any other refused packet is dropped as it is sent "
      "(EPERM); replies (ct state established, related), loopback and IPv6 neighbour "
      "discovery pass";
  if (id == "network") {
    std::string how =
        "its own network namespace and a veth pair: eth0 inside with the policy's addresses "
        "(IPv6 ones without duplicate address detection, no link-local address)";
    if (net.gateway) {
      how += " and a default route via " + AddressOf(*net.gateway) +
             ", the host end (stk + pid + random, deleted after the run) carrying " +
             AddressOf(*net.gateway);
      bool other_family = false;
      for (const policy::Cidr& a : net.addresses) other_family |= a.ipv6 != net.gateway->ipv6;
      if (other_family) {
        how += std::string("; ") + (net.gateway->ipv6 ? "IPv4" : "IPv6") +
               " has no gateway, so no default route: it reaches only its own prefix, where the "
               "host end has no address";
      }
    } else {
      how += "; no gateway, so no default route and no address on the host end";
    }
    if (net.egress.empty()) {
      if (!defeated.empty()) {
        return {id, span, Fidelity::kNotEnforced,
                "the empty egress list means nothing may leave the sandbox, but " + defeated};
      }
      how += "; nothing leaves the sandbox (empty egress list): " + std::string(rules);
    }
    return {id, span, Fidelity::kExact, how};
  }
  if (!defeated.empty()) return {id, span, Fidelity::kNotEnforced, defeated};
  return {id, span, Fidelity::kExact, rules};
}

// ---- VethLink ------------------------------------------------------------------------------

namespace {

struct ifinfomsg LinkHeader(int index, unsigned flags, unsigned change) {
  struct ifinfomsg header {};
  header.ifi_family = AF_UNSPEC;
  header.ifi_index = index;
  header.ifi_flags = flags;
  header.ifi_change = change;
  return header;
}

// IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }: no link-local address (and no
// duplicate address detection, router or multicast listener chatter for it). The kernel
// refuses it when creating a link (EAFNOSUPPORT), so it is set on the existing link before the
// link gets a carrier, in a message of its own: in the message that brings a link up, the
// kernel generates the address first (the address test of network_test.cc shows it).
void NoLinkLocal(Batch& b, int index, const std::string& name) {
  b.Begin(RTM_NEWLINK, 0, LinkHeader(index, 0, 0));
  b.Describe("no IPv6 link-local address on " + name);
  const size_t spec = b.Nest(IFLA_AF_SPEC);
  const size_t inet6 = b.Nest(AF_INET6);
  b.PutU8(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  b.End(inet6);
  b.End(spec);
}

void AddAddress(Batch& b, int index, const policy::Cidr& cidr, const std::string& name) {
  struct ifaddrmsg header {};
  header.ifa_family = static_cast<uint8_t>(cidr.ipv6 ? AF_INET6 : AF_INET);
  header.ifa_prefixlen = cidr.prefix;
  header.ifa_index = static_cast<uint32_t>(index);
  // Without duplicate address detection an IPv6 address is usable at once instead of after a
  // second of "tentative"; nobody else is on a veth to collide with.
  header.ifa_flags = cidr.ipv6 ? IFA_F_NODAD : 0;
  b.Begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, header);
  b.Describe("address " + cidr.text + " on " + name);
  const size_t length = cidr.ipv6 ? 16 : 4;
  b.Put(IFA_LOCAL, cidr.address.data(), length);
  b.Put(IFA_ADDRESS, cidr.address.data(), length);
  if (cidr.ipv6) b.PutU32(IFA_FLAGS, IFA_F_NODAD);
}

// The sandbox end's index from the echo of the creation (IFLA_LINK of the host end), and the
// host end's own.
bool ParseCreated(const std::vector<std::vector<uint8_t>>& replies, const std::string& name,
                  int& host_index, int& peer_index) {
  for (const std::vector<uint8_t>& reply : replies) {
    const auto* header = reinterpret_cast<const struct nlmsghdr*>(reply.data());
    if (header->nlmsg_type != RTM_NEWLINK ||
        header->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
      continue;
    }
    const auto* link = static_cast<const struct ifinfomsg*>(NLMSG_DATA(header));
    int length = static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg)));
    bool ours = false;
    int peer = 0;
    for (const struct rtattr* a = IFLA_RTA(link); RTA_OK(a, length); a = RTA_NEXT(a, length)) {
      if (a->rta_type == IFLA_IFNAME) {
        ours = name == static_cast<const char*>(RTA_DATA(a));
      } else if (a->rta_type == IFLA_LINK && RTA_PAYLOAD(a) >= 4) {
        memcpy(&peer, RTA_DATA(a), 4);
      }
    }
    if (ours && peer > 0) {
      host_index = link->ifi_index;
      peer_index = peer;
      return true;
    }
  }
  return false;
}

}  // namespace

Status VethLink::Prepare(const NetworkPlan& plan) {
  plan_ = &plan;
  if (plan.mode != NetworkPlan::Mode::kVeth) return {};
  auto socket = netlink::Socket::Open(NETLINK_ROUTE);
  if (!socket) return Error(socket.error()).Prepend(plan.where + ": ");
  host_ = std::move(*socket);
  host_namespace_ = UniqueFd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!host_namespace_) {
    return Error::FromErrno(plan.where + ": open /proc/thread-self/ns/net", errno);
  }
  return {};
}

Status VethLink::Setup(pid_t init_pid, int init_pidfd, TracePage* trace) {
  if (!plan_ || plan_->mode != NetworkPlan::Mode::kVeth) return {};
  Status done = EnterSandbox(init_pidfd);
  if (done) {
    Trace(trace, Step::kNetEnter, 0);
    done = CreatePair(init_pid);
  }
  if (done) {
    Trace(trace, Step::kVeth, 0);
    done = ConfigureHostEnd();
  }
  if (done) {
    Trace(trace, Step::kHostEnd, 0);
    done = ConfigureSandboxEnd();
  }
  if (done) {
    Trace(trace, Step::kSandboxEnd, 0);
    // 5. The egress rules, in one transaction.
    done = sandbox_filter_->Transact(EgressRulesetBatch(*plan_), "egress rules");
  }
  if (done) Trace(trace, Step::kEgressRules, 0);
  // A socket holds its namespace: once the program has gone, nothing of ours may keep the
  // sandbox's namespace (and so the pair) alive.
  sandbox_route_.reset();
  sandbox_filter_.reset();
  if (!done) {
    // "network (policy.yaml:12:3): veth: create the veth pair stk...: File exists"
    return Error(done.error().code(), plan_->where + ": " + done.error().message(),
                 done.error().os_errno());
  }
  return {};
}

Status VethLink::EnterSandbox(int init_pidfd) {
  // 1. Coming back is not optional: a supervisor left in the sandbox's namespace would
  // configure the wrong side from then on.
  if (setns(init_pidfd, CLONE_NEWNET) != 0) {
    return Error::FromErrno("entering the sandbox's network namespace", errno);
  }
  auto route = netlink::Socket::Open(NETLINK_ROUTE);
  auto filter = netlink::Socket::Open(NETLINK_NETFILTER);
  // No sysctl here (net.ipv6.conf.default.addr_gen_mode would be the obvious way to keep eth0
  // without a link-local address): that handler takes the rtnl lock with rtnl_trylock() and
  // restarts the write while another holds it, a busy loop that cost every launch several ms
  // of CPU at 50 concurrent vnet launches (perf: proc_sys_call_handler, get_signal). Step 4
  // sets the mode on eth0 by netlink, which sleeps on the lock.
  if (setns(host_namespace_.get(), CLONE_NEWNET) != 0) {
    const int error = errno;
    STOCKADE_CHECK(false) << "cannot return to the host's network namespace: " << strerror(error);
  }
  if (!route) return route.error();
  if (!filter) return filter.error();
  sandbox_route_ = std::move(*route);
  sandbox_filter_ = std::move(*filter);
  return {};
}

Status VethLink::CreatePair(pid_t init_pid) {
  // 2. The pair, the sandbox end created inside the child's namespace, the host end up.
  const NetworkPlan& plan = *plan_;
  Batch create;
  create.Begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, LinkHeader(0, IFF_UP, IFF_UP));
  create.Describe("create the veth pair " + plan.host_interface);
  create.PutString(IFLA_IFNAME, plan.host_interface);
  const size_t info = create.Nest(IFLA_LINKINFO);
  create.PutString(IFLA_INFO_KIND, "veth");
  const size_t data = create.Nest(IFLA_INFO_DATA);
  const size_t peer = create.Nest(VETH_INFO_PEER);
  // The peer cannot be brought up in this request: veth refuses to open an end whose pair is
  // not linked yet (ENOTCONN). Step 4 does it.
  const struct ifinfomsg peer_header = LinkHeader(0, 0, 0);
  create.Append(&peer_header, sizeof(peer_header));
  create.PutString(IFLA_IFNAME, plan.sandbox_interface);
  create.PutU32(IFLA_NET_NS_PID, static_cast<uint32_t>(init_pid));
  create.End(peer);
  create.End(data);
  create.End(info);
  std::vector<std::vector<uint8_t>> replies;
  if (Status s = host_->Transact(create, "veth", &replies); !s) {
    if (s.error().os_errno() == EEXIST) {
      return Error(s.error().code(), s.error().message() +
                                         "; a link of that name is left from an earlier run "
                                         "(stockade gc removes links named stk*)");
    }
    return s;
  }
  if (!ParseCreated(replies, plan.host_interface, host_index_, sandbox_index_)) {
    // Kernels before 6.3 do not echo a new link; ask for it.
    Batch get;
    get.Begin(RTM_GETLINK, 0, LinkHeader(0, 0, 0));
    get.PutString(IFLA_IFNAME, plan.host_interface);
    replies.clear();
    STOCKADE_RETURN_IF_ERROR(host_->Transact(get, "veth: looking it up", &replies));
    if (!ParseCreated(replies, plan.host_interface, host_index_, sandbox_index_)) {
      return Error(ErrorCode::kInternal,
                   "veth " + plan.host_interface + ": the kernel did not report its indexes");
    }
  }
  return {};
}

Status VethLink::ConfigureHostEnd() {
  // 3. No link-local address (the host's own default applies to links it creates), while the
  // pair has no carrier yet; the gateway.
  const NetworkPlan& plan = *plan_;
  Batch host;
  NoLinkLocal(host, host_index_, plan.host_interface);
  if (plan.gateway) AddAddress(host, host_index_, *plan.gateway, plan.host_interface);
  return host_->Transact(host, "host end");
}

Status VethLink::ConfigureSandboxEnd() {
  // 4. The sandbox end: no link-local address (nor the duplicate address detection and
  // multicast listener reports that come with it) while it is still down, then up, the
  // addresses, the default route.
  const NetworkPlan& plan = *plan_;
  const std::string& name = plan.sandbox_interface;
  Batch inside;
  NoLinkLocal(inside, sandbox_index_, name);
  inside.Begin(RTM_NEWLINK, 0, LinkHeader(sandbox_index_, IFF_UP, IFF_UP));
  inside.Describe("bringing " + name + " up");
  for (const policy::Cidr& address : plan.addresses) {
    AddAddress(inside, sandbox_index_, address, name);
  }
  if (plan.gateway) {
    struct rtmsg header {};
    header.rtm_family = static_cast<uint8_t>(plan.gateway->ipv6 ? AF_INET6 : AF_INET);
    header.rtm_table = RT_TABLE_MAIN;
    header.rtm_protocol = RTPROT_STATIC;
    header.rtm_scope = RT_SCOPE_UNIVERSE;
    header.rtm_type = RTN_UNICAST;
    // On-link: the gateway is reachable on eth0 even when it lies outside the sandbox's
    // prefixes (the policy language does not require it inside).
    header.rtm_flags = RTNH_F_ONLINK;
    inside.Begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, header);
    inside.Describe("default route via " + AddressOf(*plan.gateway));
    inside.Put(RTA_GATEWAY, plan.gateway->address.data(), plan.gateway->ipv6 ? 16 : 4);
    inside.PutU32(RTA_OIF, static_cast<uint32_t>(sandbox_index_));
  }
  return sandbox_route_->Transact(inside, name + " in the sandbox");
}

void VethLink::Teardown() noexcept {
  sandbox_route_.reset();
  sandbox_filter_.reset();
  if (!host_ || host_index_ <= 0 || torn_down_) return;
  torn_down_ = true;
  // Deleting the pair (RTM_DELLINK) waits for RCU grace periods under the rtnl lock: 10 to
  // 30 ms measured here, more than the rest of a launch, and it stalls every other launch's
  // netlink requests meanwhile. The kernel deletes the pair anyway when the sandbox's network
  // namespace goes, which it does now that its last process is gone and the sockets above are
  // closed (cleanup_net, batched for many namespaces). What must not outlive the run for even
  // that moment is the host end's address and its prefix route, which the next run of the same
  // policy would collide with: they go now, which is cheap.
  if (plan_ && plan_->gateway) {
    Batch remove;
    struct ifaddrmsg header {};
    const policy::Cidr& gateway = *plan_->gateway;
    header.ifa_family = static_cast<uint8_t>(gateway.ipv6 ? AF_INET6 : AF_INET);
    header.ifa_prefixlen = gateway.prefix;
    header.ifa_index = static_cast<uint32_t>(host_index_);
    remove.Begin(RTM_DELADDR, 0, header);
    remove.Describe("address " + gateway.text + " on " + plan_->host_interface);
    remove.Put(IFA_LOCAL, gateway.address.data(), gateway.ipv6 ? 16 : 4);
    // ENODEV/EADDRNOTAVAIL: the kernel already removed the pair with the namespace.
    (void)host_->Transact(remove, "removing the host end's address");
  }
}

bool VethLink::HostEndGone() const noexcept {
  if (host_index_ <= 0) return true;
  char name[IF_NAMESIZE];
  return if_indextoname(static_cast<unsigned>(host_index_), name) == nullptr;
}

}  // namespace stockade::linux_sim::detail
