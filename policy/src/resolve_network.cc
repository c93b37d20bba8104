// SPDX-License-Identifier: BSD-2-Clause
// The 'network' section: none, a virtual stack with addresses and an egress allow-list, or
// the host's stack.

#include <algorithm>
#include <charconv>

#include "resolver.h"

namespace stockade::policy::detail {
namespace {

// Parses dotted-quad IPv4 ("10.0.0.1"); no leading zeros, as inet_pton(3) for AF_INET.
bool ParseIpv4(std::string_view text, std::array<uint8_t, 16>& out) {
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 3) return false;
    std::string_view part = text.substr(0, dot);
    if (part.size() > 1 && part[0] == '0') return false;
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size() || value > 255) return false;
    out[i] = static_cast<uint8_t>(value);
    text.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  return text.empty();
}

// Parses IPv6 text as RFC 4291 section 2.2 allows: groups of 1-4 hex digits, one "::", and an
// optional trailing dotted-quad.
bool ParseIpv6(std::string_view text, std::array<uint8_t, 16>& out) {
  std::array<uint16_t, 8> groups{};
  int count = 0;
  int gap = -1;  // index where "::" stands
  if (text.substr(0, 2) == "::") {
    gap = 0;
    text.remove_prefix(2);
    if (text.empty()) {
      out.fill(0);
      return true;
    }
  }
  while (!text.empty()) {
    if (count >= 8) return false;
    size_t colon = text.find(':');
    std::string_view part = text.substr(0, colon);
    if (part.find('.') != std::string_view::npos && colon == std::string_view::npos) {
      std::array<uint8_t, 16> v4{};
      if (count > 6 || !ParseIpv4(part, v4)) return false;
      groups[count++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      groups[count++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      text = {};
      break;
    }
    if (part.empty() || part.size() > 4) return false;
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value, 16);
    if (ec != std::errc() || ptr != part.data() + part.size()) return false;
    groups[count++] = static_cast<uint16_t>(value);
    if (colon == std::string_view::npos) {
      text = {};
    } else if (text.substr(colon, 2) == "::") {
      if (gap >= 0) return false;
      gap = count;
      text.remove_prefix(colon + 2);
    } else {
      text.remove_prefix(colon + 1);
      if (text.empty()) return false;
    }
  }
  if (gap < 0 && count != 8) return false;
  if (gap >= 0 && count >= 8) return false;
  std::array<uint16_t, 8> full{};
  const int tail = gap < 0 ? 0 : count - gap;
  for (int i = 0; i < (gap < 0 ? count : gap); ++i) full[i] = groups[i];
  for (int i = 0; i < tail; ++i) full[8 - tail + i] = groups[gap + i];
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(full[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(full[i] & 0xff);
  }
  return true;
}

std::string FormatAddress(const Cidr& cidr) {
  if (!cidr.ipv6) {
    return std::to_string(cidr.address[0]) + "." + std::to_string(cidr.address[1]) + "." +
           std::to_string(cidr.address[2]) + "." + std::to_string(cidr.address[3]);
  }
  // RFC 5952: lower case, the longest run of two or more zero groups becomes "::".
  std::array<uint16_t, 8> groups;
  for (int i = 0; i < 8; ++i)
    groups[i] = static_cast<uint16_t>(cidr.address[2 * i] << 8 | cidr.address[2 * i + 1]);
  int best = -1, best_length = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length && j - i >= 2) {
      best = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  char buffer[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof(buffer), groups[i], 16);
    out.append(buffer, ptr);
  }
  return out;
}

// "10.0.0.2/24", "fd00::2/64"; without a prefix, a host address (/32 or /128) when
// `default_host` is set.
std::optional<Cidr> ReadCidr(Resolver& r, const Node& node, std::string_view what,
                             bool default_host, bool allow_prefix = true) {
  std::optional<std::string> text = r.String(node, what);
  if (!text) return std::nullopt;
  Cidr cidr;
  std::string_view address = *text;
  std::optional<unsigned> prefix;
  if (size_t slash = address.find('/'); slash != std::string_view::npos) {
    std::string_view digits = address.substr(slash + 1);
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (!allow_prefix || digits.empty() || ec != std::errc() ||
        ptr != digits.data() + digits.size()) {
      r.diags().AddError("invalid-address", node.span,
                         std::string(what) + " '" + *text + "' is not an address",
                         allow_prefix ? "an address with a prefix length, e.g. 10.0.0.2/24"
                                      : "an address without a prefix length, e.g. 10.0.0.1");
      return std::nullopt;
    }
    prefix = value;
    address = address.substr(0, slash);
  }
  cidr.ipv6 = address.find(':') != std::string_view::npos;
  const bool parsed =
      cidr.ipv6 ? ParseIpv6(address, cidr.address) : ParseIpv4(address, cidr.address);
  const unsigned max = cidr.ipv6 ? 128 : 32;
  if (!parsed || (prefix && *prefix > max) || (!prefix && !default_host)) {
    r.diags().AddError("invalid-address", node.span,
                       std::string(what) + " '" + *text + "' is not " +
                           (!parsed  ? "an IPv4 or IPv6 address"
                            : prefix ? "a valid prefix length"
                                     : "an address with a prefix length"),
                       "an address like 10.0.0.2/24 or fd00::2/64");
    return std::nullopt;
  }
  cidr.prefix = static_cast<uint8_t>(prefix.value_or(max));
  cidr.text = FormatAddress(cidr) + "/" + std::to_string(cidr.prefix);
  return cidr;
}

bool HasHostBits(const Cidr& cidr) {
  const int bytes = cidr.ipv6 ? 16 : 4;
  for (int i = 0; i < bytes; ++i) {
    const int bits_before = i * 8;
    const int keep = std::clamp(cidr.prefix - bits_before, 0, 8);
    const uint8_t mask = keep == 8 ? 0xff : static_cast<uint8_t>(0xff00 >> keep);
    if (cidr.address[i] & ~mask) return true;
  }
  return false;
}

// The default gateway when the policy writes none: the lowest host address of the first
// address's prefix that the sandbox itself does not use (10.77.0.2/24 -> 10.77.0.1). A prefix
// without room for two hosts (/31 and /32, /127 and /128) gets none.
std::optional<Cidr> DefaultGateway(const std::vector<Cidr>& addresses) {
  if (addresses.empty()) return std::nullopt;
  const Cidr& first = addresses.front();
  const int bits = first.ipv6 ? 128 : 32;
  if (first.prefix >= bits - 1) return std::nullopt;
  Cidr network = first;
  for (int i = 0; i < bits / 8; ++i) {
    const int keep = std::clamp(first.prefix - i * 8, 0, 8);
    network.address[i] &= keep == 8 ? 0xff : static_cast<uint8_t>(0xff00 >> keep);
  }
  Cidr broadcast = network;  // IPv4's all-ones host part is no host address
  for (int i = 0; i < bits / 8; ++i) {
    const int keep = std::clamp(first.prefix - i * 8, 0, 8);
    broadcast.address[i] |= keep == 8 ? 0 : static_cast<uint8_t>(0xff >> keep);
  }
  // Candidates network+1, network+2, ...: the first the sandbox does not use.
  for (int step = 1; step <= static_cast<int>(addresses.size()) + 1; ++step) {
    Cidr candidate = network;
    int carry = step;
    for (int i = bits / 8 - 1; i >= 0 && carry; --i) {
      const int sum = candidate.address[i] + carry;
      candidate.address[i] = static_cast<uint8_t>(sum & 0xff);
      carry = sum >> 8;
    }
    bool used = !first.ipv6 && candidate.address == broadcast.address;
    for (const Cidr& a : addresses) {
      used = used || (a.ipv6 == candidate.ipv6 && a.address == candidate.address);
    }
    if (used) continue;
    candidate.prefix = static_cast<uint8_t>(bits);
    candidate.text = FormatAddress(candidate) + "/" + std::to_string(bits);
    return candidate;
  }
  return std::nullopt;
}

}  // namespace

void ResolveNetwork(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'network'")) return;
  r.CheckKeys(node, {"mode", "addresses", "gateway", "egress", "justification"}, "in 'network'");
  Network& network = policy.network;
  network.span = node.span;
  if (const Node* mode = node.Find("mode")) {
    std::optional<std::string> word = r.Choice(*mode, "'network.mode'", {"none", "vnet", "host"});
    if (!word) return;
    network.mode = *word == "vnet"   ? Network::Mode::kVnet
                   : *word == "host" ? Network::Mode::kHost
                                     : Network::Mode::kNone;
    network.mode_span = mode->span;
  }
  if (const Node* justification = node.Find("justification")) {
    network.justified = r.String(*justification, "a justification").has_value();
  }
  if (network.mode != Network::Mode::kVnet) {
    for (std::string_view key : {"addresses", "gateway", "egress"}) {
      if (const MapEntry* entry = node.FindEntry(key)) {
        r.diags().AddError("invalid-key", entry->key_span,
                           "'" + std::string(key) + "' only applies to 'mode: vnet'",
                           "mode: vnet, or no '" + std::string(key) + "'");
      }
    }
    if (network.mode == Network::Mode::kHost && !network.justified) {
      r.diags().AddWarning("dangerous-grant", network.mode_span,
                           "'mode: host' shares the host's network stack: every address, port "
                           "and interface the host has",
                           "mode: vnet with an egress list, or a 'justification:'");
    }
    return;
  }
  const Node* addresses = node.Find("addresses");
  if (addresses && r.ExpectSequence(*addresses, "'network.addresses'")) {
    for (const Node& item : addresses->items) {
      if (auto cidr = ReadCidr(r, item, "an address", /*default_host=*/false)) {
        network.addresses.push_back(*cidr);
      }
    }
  }
  // Only when none was written: an address that was written but refused already has its own
  // error, and "needs at least one address" would send the author looking for a missing key.
  if (!addresses || addresses->is_null() ||
      (addresses->is_sequence() && addresses->items.empty())) {
    r.diags().AddError("missing-key", addresses ? addresses->span : node.span,
                       "'mode: vnet' needs at least one address", "addresses: [10.77.0.2/24]");
  }
  if (const Node* gateway = node.Find("gateway")) {
    if (auto cidr = ReadCidr(r, *gateway, "'gateway'", /*default_host=*/true,
                             /*allow_prefix=*/false)) {
      network.gateway = *cidr;
    }
  } else {
    network.gateway = DefaultGateway(network.addresses);
  }
  if (const Node* egress = node.Find("egress"); egress && r.ExpectSequence(*egress, "'egress'")) {
    for (const Node& item : egress->items) {
      if (!r.ExpectMapping(item, "an egress rule")) continue;
      r.CheckKeys(item, {"to", "proto", "port", "ports"}, "in an egress rule");
      EgressRule rule;
      rule.span = item.span;
      const Node* to = item.Find("to");
      const Node* proto = item.Find("proto");
      if (!to || !proto) {
        r.diags().AddError("missing-key", item.span,
                           std::string("an egress rule needs ") + (to ? "'proto'" : "'to'"),
                           "{to: 10.0.0.1/32, proto: tcp, port: 443}");
        continue;
      }
      auto cidr = ReadCidr(r, *to, "'to'", /*default_host=*/true);
      auto word = r.Choice(*proto, "'proto'", {"tcp", "udp"});
      if (!cidr || !word) continue;
      if (HasHostBits(*cidr)) {
        r.diags().AddError("invalid-address", to->span,
                           "'" + to->scalar + "' has bits set beyond its prefix length",
                           "a network address, e.g. 10.0.0.0/8");
        continue;
      }
      rule.to = *cidr;
      rule.protocol = *word == "udp" ? Protocol::kUdp : Protocol::kTcp;
      const Node* port = item.Find("port");
      const Node* ports = item.Find("ports");
      if ((port != nullptr) == (ports != nullptr)) {
        r.diags().AddError("missing-key", item.span,
                           port ? "an egress rule has both 'port' and 'ports'"
                                : "an egress rule needs 'port' or 'ports'",
                           "port: 443, or ports: 8000-8100");
        continue;
      }
      if (port) {
        auto number = r.Int(*port, "'port'", 1, 65535);
        if (!number) continue;
        rule.port_low = rule.port_high = static_cast<uint16_t>(*number);
      } else {
        std::string_view text = ports->is_scalar() ? std::string_view(ports->scalar) : "";
        size_t dash = text.find('-');
        unsigned low = 0, high = 0;
        bool ok = dash != std::string_view::npos;
        if (ok) {
          auto a = std::from_chars(text.data(), text.data() + dash, low);
          auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), high);
          ok = a.ec == std::errc() && a.ptr == text.data() + dash && b.ec == std::errc() &&
               b.ptr == text.data() + text.size() && low >= 1 && low <= high && high <= 65535;
        }
        if (!ok) {
          r.diags().AddError("invalid-value", ports->span, "'ports' must be a range LOW-HIGH",
                             "two port numbers from 1 to 65535, e.g. 8000-8100");
          continue;
        }
        rule.port_low = static_cast<uint16_t>(low);
        rule.port_high = static_cast<uint16_t>(high);
      }
      network.egress.push_back(std::move(rule));
    }
  }
}

}  // namespace stockade::policy::detail
