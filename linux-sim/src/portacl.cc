// SPDX-License-Identifier: BSD-2-Clause
// The mac_portacl half of the MAC table: the ports a rule grants the program, as the port floor
// of the sandbox's network namespace and Landlock bind_tcp rules (docs/linux-sim.md explains
// the choice). mac.cc holds the mac_bsdextended half.

#include <algorithm>
#include <set>

#include "landlock_abi.h"
#include "mappings.h"
#include "stockade/linux_sim/tables.h"

namespace stockade::linux_sim::detail {
namespace {

namespace ll = landlock;
using enforce::ClauseFidelity;
using enforce::Fidelity;

constexpr struct {
  std::string_view clause, mechanism;
  Fidelity fidelity;
  std::string_view reason;
} kPortAclRows[] = {
    {"mac.portacl: a rule for another uid or gid", "left out", Fidelity::kExact,
     "mac_portacl compares the effective uid, gid and groups"},
    {"mac.portacl: tcp port 1-1023",
     "Landlock bind_tcp (ABI 4) allows only the granted ports, 0 and 1024-65535, and "
     "net.ipv4.ip_unprivileged_port_start of the sandbox's network namespace is lowered to the "
     "lowest granted port",
     Fidelity::kExact,
     "mac_portacl with net.inet.ip.portrange.reservedhigh=0, the setting its rules are made for; "
     "a refused bind fails with EACCES where FreeBSD says EPERM"},
    {"mac.portacl: udp port 1-1023", "the same lowered port floor", Fidelity::kApproximated,
     "Landlock has no UDP rules: every UDP (and other non-TCP) port from the floor to 1023 is "
     "open to the program"},
    {"mac.portacl: with network: host", "Landlock bind_tcp; the host's port floor stays",
     Fidelity::kApproximated,
     "stockade does not change the host's net.ipv4.ip_unprivileged_port_start, so ports below it "
     "still need CAP_NET_BIND_SERVICE (FreeBSD: reservedhigh)"},
    {"mac.portacl: port 0, or above 1023", "nothing", Fidelity::kExact,
     "mac_portacl checks only ports 1 to 1023 (port_high; autoport_exempt)"},
    {"mac.portacl: program with CAP_NET_BIND_SERVICE", "nothing", Fidelity::kExact,
     "uid 0 with allow.reserved_ports is exempt, as suser_exempt makes root on FreeBSD"},
    {"mac.portacl: Landlock ABI below 4", "the port floor stays at 1024", Fidelity::kApproximated,
     "without network rules opening a low port would open them all: the granted ports cannot be "
     "bound"},
    {"(linux-sim) Landlock scopes", "signal and abstract UNIX socket scoping (ABI 6)",
     Fidelity::kExact,
     "the program can neither signal processes outside its sandbox nor connect to abstract UNIX "
     "sockets made outside it, even with network: host; the abstract-socket scope is left out "
     "where the sandbox's own network namespace holds its abstract sockets and the supervisor "
     "makes its Unix sockets (SO_PASSRIGHTS, docs/capsicum-linux.md)"},
};

// ---- mac_portacl ---------------------------------------------------------------------------

constexpr int kPortHigh = 1023;  // security.mac.portacl.port_high

std::string PortList(const std::set<int>& ports) {
  std::vector<std::string> words;
  for (int p : ports) words.push_back(std::to_string(p));
  return Join(words, ", ");
}

}  // namespace

void PlanPortAcl(const policy::Policy& policy, const HostFacts& host, const MacSubject& subject,
                 MacPlan& out) {
  const auto& rules = policy.mac.portacl;
  if (rules.empty()) return;
  std::vector<ClauseFidelity> entries;  // per rule; the clause as a whole goes first
  auto add = [&](policy::SourceSpan span, Fidelity fidelity, std::string how) {
    entries.push_back({"mac.portacl", span, fidelity, std::move(how)});
  };
  struct Flush {
    std::vector<ClauseFidelity>& from;
    std::vector<ClauseFidelity>& to;
    ~Flush() { to.insert(to.end(), from.begin(), from.end()); }
  } flush{entries, out.fidelity};
  if (subject.bind_privileged) {
    for (const policy::PortAclRule& rule : rules) {
      add(rule.span, Fidelity::kExact,
          "the program keeps CAP_NET_BIND_SERVICE (uid 0 with allow.reserved_ports), which "
          "mac_portacl exempts (suser_exempt): every port may be bound, as on FreeBSD");
    }
    return;
  }
  // mac_portacl compares the effective uid, and the effective gid or any group.
  auto applies = [&](const policy::PortAclRule& rule) {
    if (rule.by_uid) return rule.id == subject.uid;
    return rule.id == subject.gid ||
           std::find(subject.groups.begin(), subject.groups.end(), rule.id) != subject.groups.end();
  };
  std::set<int> tcp, udp;
  for (const policy::PortAclRule& rule : rules) {
    if (!applies(rule) || rule.port == 0 || rule.port > kPortHigh) continue;
    (rule.protocol == policy::Protocol::kTcp ? tcp : udp).insert(rule.port);
  }
  const int abi = host.landlock_abi;
  const bool own_netns = policy.network.mode != policy::Network::Mode::kHost;
  std::set<int> all = tcp;
  all.insert(udp.begin(), udp.end());
  // The port floor: below it binding needs CAP_NET_BIND_SERVICE. The sandbox's own network
  // namespace gets the lowest granted port, so that every grant can be used; without Landlock's
  // network rules TCP could not be narrowed again, so the floor then stays.
  const int floor =
      own_netns ? (abi >= 4 && !all.empty() ? *all.begin() : 1024) : host.unprivileged_port_start;
  auto open_range = [&](const std::set<int>& granted) {
    for (int p = floor; p <= kPortHigh; ++p) {
      if (!granted.count(p)) return false;
    }
    return true;
  };
  const bool narrow_tcp = floor <= kPortHigh && !open_range(tcp);
  const std::string floor_text = std::string(own_netns ? "the sandbox's network namespace"
                                                       : "the host's network namespace "
                                                         "(network: host)") +
                                 " lets ports from " + std::to_string(floor) +
                                 " up be bound without privilege";
  if (narrow_tcp && abi < 4) {
    // Only reachable with network: host on a host whose floor is below 1024.
    out.unenforced.push_back("mac.portacl");
    for (const policy::PortAclRule& rule : rules) {
      add(rule.span, Fidelity::kNotEnforced,
          floor_text + ", and Landlock ABI " + std::to_string(abi) +
              " has no network rules (ABI 4) to refuse the ports no rule grants");
    }
    return;
  }
  for (const policy::PortAclRule& rule : rules) {
    const std::string proto = rule.protocol == policy::Protocol::kTcp ? "TCP" : "UDP";
    const std::string port = proto + " port " + std::to_string(rule.port);
    if (!applies(rule)) {
      add(rule.span, Fidelity::kExact,
          "does not apply to the program (" + SubjectText(subject) + "), as on FreeBSD");
    } else if (rule.port == 0 || rule.port > kPortHigh) {
      add(rule.span, Fidelity::kExact,
          "mac_portacl checks only ports 1 to 1023 (port_high, autoport_exempt): no effect");
    } else if (rule.port < floor) {
      add(rule.span, Fidelity::kApproximated,
          "the program cannot bind " + port + ": " +
              (own_netns ? "Landlock ABI " + std::to_string(abi) +
                               " has no network rules (ABI 4), so linux-sim keeps the port floor "
                               "at 1024 rather than open every low port"
                         : "network: host keeps the host's port floor (" + std::to_string(floor) +
                               ", net.ipv4.ip_unprivileged_port_start), which stockade does not "
                               "change"));
    } else if (rule.protocol == policy::Protocol::kTcp) {
      add(rule.span, Fidelity::kExact,
          "the program may bind " + port + (narrow_tcp ? ": Landlock allows it, " : ": ") +
              floor_text);
    } else if (open_range(udp)) {
      add(rule.span, Fidelity::kExact, "the program may bind " + port + ": " + floor_text);
    } else {
      add(rule.span, Fidelity::kApproximated,
          "the program may bind " + port + ", but Landlock has no UDP rules: every UDP port from " +
              std::to_string(floor) + " to 1023 is open to it");
    }
  }
  // The clause as a whole: the floor, the Landlock rules, and what they leave open.
  std::string how;
  Fidelity fidelity = Fidelity::kExact;
  if (floor > kPortHigh && all.empty()) {
    how = "no rule grants the program (" + SubjectText(subject) +
          ") a port below 1024: the privileged-port floor refuses them all, as mac_portacl does "
          "(EACCES where FreeBSD says EPERM)";
  } else if (floor > kPortHigh) {
    fidelity = Fidelity::kApproximated;
    how = "the privileged-port floor stays at " + std::to_string(floor) +
          (own_netns ? " (Landlock ABI " + std::to_string(abi) + " has no network rules)"
                     : " (network: host)") +
          ": no port below it can be bound, the granted ones (" + PortList(all) + ") included";
  } else {
    how = floor_text;
    if (narrow_tcp) {
      how += "; Landlock ABI " + std::to_string(abi) + " lets it bind TCP ports " +
             (tcp.empty() ? std::string() : PortList(tcp) + ", ") +
             "0 and 1024-65535 only (a refused bind fails with EACCES where FreeBSD says EPERM)";
    }
    if (!open_range(udp)) {
      fidelity = Fidelity::kApproximated;
      how += "; UDP and other non-TCP ports from " + std::to_string(floor) +
             " to 1023 are open to it: Landlock has no UDP rules";
    }
  }
  entries.insert(entries.begin(), {"mac.portacl", rules.front().span, fidelity, how});
  if (own_netns && floor <= kPortHigh) out.landlock.port_floor = floor;
  if (narrow_tcp) {
    LandlockPlan& l = out.landlock;
    l.handled_net |= ll::kNetBindTcp;
    l.net_rules.push_back({0, 0, ll::kNetBindTcp});
    for (int p : tcp) {
      if (p < floor) continue;
      if (!l.net_rules.empty() && l.net_rules.back().last + 1 == p && l.net_rules.back().first) {
        l.net_rules.back().last = static_cast<uint16_t>(p);
      } else {
        l.net_rules.push_back(
            {static_cast<uint16_t>(p), static_cast<uint16_t>(p), ll::kNetBindTcp});
      }
    }
    l.net_rules.push_back({kPortHigh + 1, 65535, ll::kNetBindTcp});
  }
}

std::vector<MappingRow> PortAclRows() {
  std::vector<MappingRow> rows;
  for (const auto& row : kPortAclRows) {
    rows.push_back({std::string(row.clause), std::string(row.mechanism), row.fidelity,
                    std::string(row.reason)});
  }
  return rows;
}

}  // namespace stockade::linux_sim::detail
