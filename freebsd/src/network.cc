// SPDX-License-Identifier: BSD-2-Clause
// 'network: vnet': an epair whose host end carries the gateway address and the pf anchor that
// enforces the egress allow-list, and whose jail end jail(8) moves into the jail's own stack
// (vnet.interface) where exec.start configures the addresses and the default route.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "generator.h"
#include "stockade/freebsd/quoting.h"

namespace stockade::freebsd::detail {
namespace {

constexpr std::string_view kGrep = "/usr/bin/grep";

// The address without its prefix length: "10.77.1.2/24" -> "10.77.1.2".
std::string AddressOf(const policy::Cidr& cidr) { return cidr.text.substr(0, cidr.text.find('/')); }

// Interface names are at most 15 bytes (IFNAMSIZ 16) and jail names up to 63, so the epair is
// named from a hash of the jail name: "stk" + 10 hex digits + "a" or "b". Deterministic, so
// that jail.conf's vnet.interface and the pf anchor can name it before it exists.
std::string EpairBase(const std::string& name) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%010llx",
                static_cast<unsigned long long>(hash & 0xffffffffffULL));
  return "stk" + std::string(buffer);
}

std::string Ports(const policy::EgressRule& rule) {
  if (rule.port_low == rule.port_high) return std::to_string(rule.port_low);
  // pf.conf(5): "port a:b" is the inclusive range a..b.
  return std::to_string(rule.port_low) + ":" + std::to_string(rule.port_high);
}

}  // namespace

void PlanNetwork(const policy::Policy& policy, const CompileOptions& options, const Layout& layout,
                 Hooks& hooks, Artifacts& artifacts) {
  const policy::Network& net = policy.network;
  if (net.mode != policy::Network::Mode::kVnet) return;
  const std::string base = EpairBase(layout.name);
  const std::string host = base + "a";
  const std::string jail = base + "b";
  artifacts.epair_host = host;
  artifacts.epair_jail = jail;
  artifacts.pf_anchor = options.pf_anchor_root + "/" + layout.name;

  std::vector<std::string> v4, v6;
  for (const policy::Cidr& a : net.addresses) (a.ipv6 ? v6 : v4).push_back(AddressOf(a));
  auto from = [](const std::vector<std::string>& list) {
    if (list.size() == 1) return list[0];
    std::string out = "{ ";
    for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + list[i];
    return out + " }";
  };

  // The anchor sees the jail's traffic as it enters the host on the host end. Replies to what
  // the host sends into the jail pass by state; what the jail starts itself passes only by an
  // egress rule (quick: the first match decides and ends pf's evaluation); the rest is blocked.
  std::vector<std::string> rules;
  std::vector<std::string> notes;
  rules.push_back("pass out on " + host + " all keep state");
  if (!v6.empty()) {
    // IPv6 neighbour discovery: without it the jail cannot reach its gateway at all. Only to
    // where neighbours are (link-local and link-local multicast, and the jail's own prefixes),
    // as linux-sim allows it: elsewhere an ICMPv6 packet is not neighbour discovery.
    std::vector<std::string> neighbours = {"fe80::/10", "ff02::/16"};
    for (const policy::Cidr& a : net.addresses) {
      if (a.ipv6) neighbours.push_back(a.text);
    }
    rules.push_back("pass in quick on " + host + " inet6 proto ipv6-icmp from any to " +
                    from(neighbours) + " icmp6-type { neighbrsol, neighbradv } keep state");
  }
  for (const policy::EgressRule& rule : net.egress) {
    const std::vector<std::string>& sources = rule.to.ipv6 ? v6 : v4;
    const std::string proto = rule.protocol == policy::Protocol::kUdp ? "udp" : "tcp";
    if (sources.empty()) {
      notes.push_back("# no rule for " + proto + " to " + rule.to.text + " port " + Ports(rule) +
                      ": the jail has no " + (rule.to.ipv6 ? "IPv6" : "IPv4") + " address");
      continue;
    }
    rules.push_back("pass in quick on " + host + (rule.to.ipv6 ? " inet6" : " inet") + " proto " +
                    proto + " from " + from(sources) + " to " + rule.to.text + " port " +
                    Ports(rule) + " keep state");
  }
  // 'return', not 'drop': a refused TCP connection gets a reset and anything else an ICMP
  // unreachable, so the program fails at once (ECONNREFUSED), as under linux-sim, instead of
  // waiting for its own timeout.
  rules.push_back("block return in quick on " + host + " all");

  artifacts.pf_rules = "# pf anchor " + artifacts.pf_anchor + ": what jail " + layout.name +
                       " may start. jail.conf loads it in exec.prepare\n# (pfctl -a " +
                       artifacts.pf_anchor + " -f -) and flushes it in exec.release; pf.conf " +
                       "must evaluate it:\n#   anchor \"" + options.pf_anchor_root + "/*\"\n";
  for (const std::string& note : notes) artifacts.pf_rules += note + "\n";
  for (const std::string& rule : rules) artifacts.pf_rules += rule + "\n";

  // Fail closed: rules pf never evaluates would let everything out.
  hooks.prepare.push_back(
      Require("test \"$(" + ShellQuote(kSysctl) + " -n kern.features.vimage 2>/dev/null)\" = 1",
              "network: vnet needs a kernel with VIMAGE"));
  hooks.prepare.push_back(Require(
      ShellQuote(kPfctl) + " -s info 2>/dev/null | " + ShellQuote(kGrep) + " -q '^Status: Enabled'",
      "pf is not enabled (pfctl -e): the egress rules would not apply"));
  hooks.prepare.push_back(Require(ShellQuote(kPfctl) + " -s rules 2>/dev/null | " +
                                      ShellQuote(kGrep) + " -Fq " +
                                      ShellQuote("anchor \"" + options.pf_anchor_root + "/*\""),
                                  "pf.conf has no 'anchor \"" + options.pf_anchor_root +
                                      "/*\"': the egress rules would not apply"));
  std::string load = "printf '%s\\n'";
  for (const std::string& rule : rules) load += " " + ShellQuote(rule);
  hooks.prepare.push_back(load + " | " + ShellQuote(kPfctl) + " -a " +
                          ShellQuote(artifacts.pf_anchor) + " -f -");
  // epair(4): 'ifconfig epair create' prints the a end's name; the b end has the same unit.
  hooks.prepare.push_back("epair=$(" + ShellQuote(kIfconfig) + " epair create) && " +
                          ShellQuote(kIfconfig) + " \"$epair\" name " + host + " >/dev/null && " +
                          ShellQuote(kIfconfig) + " \"${epair%a}b\" name " + jail + " >/dev/null");
  std::string up = ShellQuote(kIfconfig) + " " + host + " description " +
                   ShellQuote("stockade " + layout.name) + " up";
  if (net.gateway) {
    // The gateway takes the prefix length of the jail's address of the same family.
    uint8_t prefix = net.gateway->ipv6 ? 128 : 32;
    for (const policy::Cidr& a : net.addresses) {
      if (a.ipv6 == net.gateway->ipv6) {
        prefix = a.prefix;
        break;
      }
    }
    up += " && " + ShellQuote(kIfconfig) + " " + host + (net.gateway->ipv6 ? " inet6 " : " inet ") +
          AddressOf(*net.gateway) + "/" + std::to_string(prefix) + " alias";
  }
  hooks.prepare.push_back(up);

  // The addresses are configured from inside (the jail end is in the jail's stack only after
  // creation, when no host hook runs any more), with the jail's own ifconfig and route.
  hooks.prestart.push_back(
      Require("test -x " + ShellQuote(layout.root + "/sbin/ifconfig") + " && test -x " +
                  ShellQuote(layout.root + "/sbin/route"),
              "network: vnet configures the jail's addresses with /sbin/ifconfig and /sbin/route "
              "inside the jail, and the root has none"));
  hooks.start.push_back(std::string(kIfconfig) + " lo0 inet 127.0.0.1/8 up");
  bool first_v4 = true;
  for (const policy::Cidr& a : net.addresses) {
    if (!a.ipv6) {
      hooks.start.push_back(std::string(kIfconfig) + " " + jail + " inet " + a.text +
                            (first_v4 ? " up" : " alias"));
      first_v4 = false;
    }
  }
  if (!v6.empty()) {
    hooks.start.push_back(std::string(kIfconfig) + " " + jail + " inet6 -ifdisabled up");
    for (const policy::Cidr& a : net.addresses) {
      if (a.ipv6)
        hooks.start.push_back(std::string(kIfconfig) + " " + jail + " inet6 " + a.text + " alias");
    }
  }
  if (net.gateway) {
    hooks.start.push_back(std::string(kRoute) + " -n add " +
                          (net.gateway->ipv6 ? "-inet6" : "-inet") + " default " +
                          AddressOf(*net.gateway));
  }

  hooks.release.push_back(ShellQuote(kPfctl) + " -a " + ShellQuote(artifacts.pf_anchor) +
                          " -F rules 2>/dev/null || true");
  hooks.release.push_back("if " + ShellQuote(kIfconfig) + " " + host + " >/dev/null 2>&1; then " +
                          ShellQuote(kIfconfig) + " " + host + " destroy; fi");
}

}  // namespace stockade::freebsd::detail
