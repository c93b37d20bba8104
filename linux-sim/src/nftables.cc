// SPDX-License-Identifier: BSD-2-Clause
// The egress ruleset: one list of rules, printed as nft(8) lists them and encoded as the
// nf_tables netlink messages nft(8) itself would send for that text (nft --debug=netlink shows
// them), so that `nft list ruleset` in the sandbox's namespace prints exactly the text.

#include "nftables.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

namespace stockade::linux_sim::detail {
namespace {

using netlink::Batch;

// One rule of the chain. Matches are anded; every rule ends in a verdict.
struct Rule {
  enum class Kind : uint8_t { kLoopback, kEstablished, kNeighbour, kEgress, kRejectTcp };
  Kind kind = Kind::kLoopback;
  uint8_t icmpv6_type = 0;    // kNeighbour
  policy::EgressRule egress;  // kEgress; for kNeighbour only egress.to, the destinations
};

// An IPv6 prefix from its first two bytes: fe80::/10, ff02::/16.
policy::Cidr LinkScope(uint8_t first, uint8_t second, uint8_t prefix) {
  policy::Cidr cidr;
  cidr.ipv6 = true;
  cidr.address[0] = first;
  cidr.address[1] = second;
  cidr.prefix = prefix;
  return cidr;
}

// The network of an address: "fd77:1::2/64" -> fd77:1::/64.
policy::Cidr Network(const policy::Cidr& address) {
  policy::Cidr network = address;
  for (int bit = address.prefix; bit < (address.ipv6 ? 128 : 32); ++bit) {
    network.address[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return network;
}

Rule Make(Rule::Kind kind, uint8_t icmpv6_type = 0) {
  Rule rule;
  rule.kind = kind;
  rule.icmpv6_type = icmpv6_type;
  return rule;
}

std::vector<Rule> Rules(const NetworkPlan& plan) {
  std::vector<Rule> rules;
  rules.push_back(Make(Rule::Kind::kLoopback));
  rules.push_back(Make(Rule::Kind::kEstablished));
  bool ipv6 = false;
  for (const policy::Cidr& a : plan.addresses) ipv6 = ipv6 || a.ipv6;
  if (ipv6) {
    // Without neighbour discovery the sandbox can neither find its gateway nor answer the
    // host's solicitations; FreeBSD's anchor passes the same two types. Only to where
    // neighbours are: link-local addresses, link-local multicast (solicited-node groups) and
    // the sandbox's own prefixes, so that a program with raw sockets cannot send "neighbour
    // discovery" beyond the link.
    std::vector<policy::Cidr> link = {LinkScope(0xfe, 0x80, 10), LinkScope(0xff, 0x02, 16)};
    for (const policy::Cidr& a : plan.addresses) {
      if (!a.ipv6) continue;
      const policy::Cidr prefix = Network(a);
      bool known = false;
      for (const policy::Cidr& c : link) {
        known = known || (c.address == prefix.address && c.prefix == prefix.prefix);
      }
      if (!known) link.push_back(prefix);
    }
    for (const policy::Cidr& to : link) {
      for (uint8_t type : {135, 136}) {
        Rule rule = Make(Rule::Kind::kNeighbour, type);
        rule.egress.to = to;
        rules.push_back(rule);
      }
    }
  }
  for (const policy::EgressRule& e : plan.egress) {
    Rule rule = Make(Rule::Kind::kEgress);
    rule.egress = e;
    rules.push_back(rule);
  }
  rules.push_back(Make(Rule::Kind::kRejectTcp));
  return rules;
}

// ---- text --------------------------------------------------------------------------------

// As nft(8) prints an address match: a host address without its prefix length.
std::string AddressText(const policy::Cidr& cidr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(cidr.ipv6 ? AF_INET6 : AF_INET, cidr.address.data(), text, sizeof(text));
  const bool host = cidr.prefix == (cidr.ipv6 ? 128 : 32);
  return host ? std::string(text) : std::string(text) + "/" + std::to_string(cidr.prefix);
}

std::string RuleText(const Rule& rule) {
  switch (rule.kind) {
    case Rule::Kind::kLoopback:
      return "oif \"lo\" accept";
    case Rule::Kind::kEstablished:
      return "ct state established,related accept";
    case Rule::Kind::kNeighbour:
      return "ip6 daddr " + AddressText(rule.egress.to) + " icmpv6 type " +
             (rule.icmpv6_type == 135 ? "nd-neighbor-solicit" : "nd-neighbor-advert") + " accept";
    case Rule::Kind::kEgress: {
      const policy::EgressRule& e = rule.egress;
      std::string text;
      if (e.to.prefix == 0) {
        text = e.to.ipv6 ? "meta nfproto ipv6 " : "meta nfproto ipv4 ";
      } else {
        text = std::string(e.to.ipv6 ? "ip6" : "ip") + " daddr " + AddressText(e.to) + " ";
      }
      text += e.protocol == policy::Protocol::kTcp ? "tcp dport " : "udp dport ";
      text += std::to_string(e.port_low);
      if (e.port_high != e.port_low) text += "-" + std::to_string(e.port_high);
      return text + " accept";
    }
    case Rule::Kind::kRejectTcp:
      return "meta l4proto tcp reject with tcp reset";
  }
  return "";
}

// ---- netlink -----------------------------------------------------------------------------

uint16_t NftType(int message) {
  return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | message);
}

struct nfgenmsg Family(uint8_t family, uint16_t res_id = 0) {
  struct nfgenmsg header {};
  header.nfgen_family = family;
  header.version = NFNETLINK_V0;
  header.res_id = htons(res_id);
  return header;
}

// One expression of a rule: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }.
class Expression {
 public:
  Expression(Batch& batch, const char* name) : batch_(batch) {
    element_ = batch_.Nest(NFTA_LIST_ELEM, true);
    batch_.PutString(NFTA_EXPR_NAME, name);
    data_ = batch_.Nest(NFTA_EXPR_DATA, true);
  }
  ~Expression() {
    batch_.End(data_);
    batch_.End(element_);
  }
  Batch& operator*() { return batch_; }

 private:
  Batch& batch_;
  size_t element_, data_;
};

void Data(Batch& b, uint16_t type, const void* value, size_t size) {
  const size_t nest = b.Nest(type, true);
  b.Put(NFTA_DATA_VALUE, value, size);
  b.End(nest);
}

void Meta(Batch& b, uint32_t key) {
  Expression e(b, "meta");
  b.PutBe32(NFTA_META_DREG, NFT_REG_1);
  b.PutBe32(NFTA_META_KEY, key);
}

void Payload(Batch& b, uint32_t base, uint32_t offset, uint32_t length) {
  Expression e(b, "payload");
  b.PutBe32(NFTA_PAYLOAD_DREG, NFT_REG_1);
  b.PutBe32(NFTA_PAYLOAD_BASE, base);
  b.PutBe32(NFTA_PAYLOAD_OFFSET, offset);
  b.PutBe32(NFTA_PAYLOAD_LEN, length);
}

void Cmp(Batch& b, uint32_t op, const void* value, size_t size) {
  Expression e(b, "cmp");
  b.PutBe32(NFTA_CMP_SREG, NFT_REG_1);
  b.PutBe32(NFTA_CMP_OP, op);
  Data(b, NFTA_CMP_DATA, value, size);
}

void Bitwise(Batch& b, const void* mask, size_t size) {
  Expression e(b, "bitwise");
  const uint8_t zero[16] = {};
  b.PutBe32(NFTA_BITWISE_SREG, NFT_REG_1);
  b.PutBe32(NFTA_BITWISE_DREG, NFT_REG_1);
  b.PutBe32(NFTA_BITWISE_LEN, static_cast<uint32_t>(size));
  Data(b, NFTA_BITWISE_MASK, mask, size);
  Data(b, NFTA_BITWISE_XOR, zero, size);
}

void Accept(Batch& b) {
  Expression e(b, "immediate");
  b.PutBe32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
  const size_t data = b.Nest(NFTA_IMMEDIATE_DATA, true);
  const size_t verdict = b.Nest(NFTA_DATA_VERDICT, true);
  b.PutBe32(NFTA_VERDICT_CODE, NF_ACCEPT);
  b.End(verdict);
  b.End(data);
}

void MatchByte(Batch& b, uint32_t meta_key, uint8_t value) {
  Meta(b, meta_key);
  Cmp(b, NFT_CMP_EQ, &value, 1);
}

// The destination address within a prefix, as nft(8) emits "ip daddr a/n": a prefix on a byte
// boundary loads and compares only the bytes it covers; any other loads the whole address and
// masks it.
void MatchDestination(Batch& b, const policy::Cidr& to) {
  if (to.prefix == 0) return;
  const uint32_t full = to.ipv6 ? 16 : 4;
  const uint32_t length = to.prefix % 8 ? full : to.prefix / 8u;
  Payload(b, NFT_PAYLOAD_NETWORK_HEADER, to.ipv6 ? 24 : 16, length);
  uint8_t value[16];
  memcpy(value, to.address.data(), length);
  if (to.prefix % 8) {
    uint8_t mask[16] = {};
    for (uint32_t bit = 0; bit < to.prefix; ++bit) mask[bit / 8] |= 0x80 >> (bit % 8);
    for (uint32_t i = 0; i < length; ++i) value[i] &= mask[i];
    Bitwise(b, mask, length);
  }
  Cmp(b, NFT_CMP_EQ, value, length);
}

void EncodeRule(Batch& b, const Rule& rule) {
  switch (rule.kind) {
    case Rule::Kind::kLoopback: {
      // The loopback device is ifindex 1 in every network namespace (LOOPBACK_IFINDEX).
      const uint32_t lo = 1;
      Meta(b, NFT_META_OIF);
      Cmp(b, NFT_CMP_EQ, &lo, sizeof(lo));
      Accept(b);
      break;
    }
    case Rule::Kind::kEstablished: {
      // ct state is a host-order bit mask: NF_CT_STATE_BIT(IP_CT_ESTABLISHED) = 2, RELATED = 4.
      const uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
      const uint32_t zero = 0;
      {
        Expression e(b, "ct");
        b.PutBe32(NFTA_CT_DREG, NFT_REG_1);
        b.PutBe32(NFTA_CT_KEY, NFT_CT_STATE);
      }
      Bitwise(b, &mask, sizeof(mask));
      Cmp(b, NFT_CMP_NEQ, &zero, sizeof(zero));
      Accept(b);
      break;
    }
    case Rule::Kind::kNeighbour:
      MatchByte(b, NFT_META_NFPROTO, NFPROTO_IPV6);
      MatchDestination(b, rule.egress.to);
      MatchByte(b, NFT_META_L4PROTO, IPPROTO_ICMPV6);
      Payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
      Cmp(b, NFT_CMP_EQ, &rule.icmpv6_type, 1);
      Accept(b);
      break;
    case Rule::Kind::kEgress: {
      const policy::EgressRule& e = rule.egress;
      MatchByte(b, NFT_META_NFPROTO, e.to.ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
      MatchDestination(b, e.to);
      MatchByte(b, NFT_META_L4PROTO,
                e.protocol == policy::Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP);
      Payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);  // the destination port
      const uint16_t low = htons(e.port_low), high = htons(e.port_high);
      if (e.port_low == e.port_high) {
        Cmp(b, NFT_CMP_EQ, &low, 2);
      } else {
        // Network byte order compares as memcmp does: big-endian numbers keep their order.
        Cmp(b, NFT_CMP_GTE, &low, 2);
        Cmp(b, NFT_CMP_LTE, &high, 2);
      }
      Accept(b);
      break;
    }
    case Rule::Kind::kRejectTcp: {
      MatchByte(b, NFT_META_L4PROTO, IPPROTO_TCP);
      Expression e(b, "reject");
      b.PutBe32(NFTA_REJECT_TYPE, NFT_REJECT_TCP_RST);
      b.PutU8(NFTA_REJECT_ICMP_CODE, 0);
      break;
    }
  }
}

}  // namespace

std::string EgressRulesetText(const NetworkPlan& plan) {
  std::string text = std::string("table inet ") + kNftTable + " {\n\tchain " + kNftChain +
                     " {\n\t\ttype filter hook output priority filter; policy drop;\n";
  for (const Rule& rule : Rules(plan)) text += "\t\t" + RuleText(rule) + "\n";
  return text + "\t}\n}\n";
}

Batch EgressRulesetBatch(const NetworkPlan& plan) {
  Batch b;
  b.Begin(NFNL_MSG_BATCH_BEGIN, 0, Family(AF_UNSPEC, NFNL_SUBSYS_NFTABLES), /*ack=*/false);

  b.Begin(NftType(NFT_MSG_NEWTABLE), NLM_F_CREATE | NLM_F_EXCL, Family(NFPROTO_INET));
  b.Describe(std::string("table inet ") + kNftTable);
  b.PutString(NFTA_TABLE_NAME, kNftTable);
  b.PutBe32(NFTA_TABLE_FLAGS, 0);

  b.Begin(NftType(NFT_MSG_NEWCHAIN), NLM_F_CREATE | NLM_F_EXCL, Family(NFPROTO_INET));
  b.Describe(std::string("chain ") + kNftChain);
  b.PutString(NFTA_CHAIN_TABLE, kNftTable);
  b.PutString(NFTA_CHAIN_NAME, kNftChain);
  const size_t hook = b.Nest(NFTA_CHAIN_HOOK, true);
  b.PutBe32(NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
  b.PutBe32(NFTA_HOOK_PRIORITY, 0);  // "filter"
  b.End(hook);
  b.PutBe32(NFTA_CHAIN_POLICY, NF_DROP);
  b.PutString(NFTA_CHAIN_TYPE, "filter");

  for (const Rule& rule : Rules(plan)) {
    b.Begin(NftType(NFT_MSG_NEWRULE), NLM_F_CREATE | NLM_F_APPEND, Family(NFPROTO_INET));
    b.Describe("rule '" + RuleText(rule) + "'");
    b.PutString(NFTA_RULE_TABLE, kNftTable);
    b.PutString(NFTA_RULE_CHAIN, kNftChain);
    const size_t expressions = b.Nest(NFTA_RULE_EXPRESSIONS, true);
    EncodeRule(b, rule);
    b.End(expressions);
  }

  b.Begin(NFNL_MSG_BATCH_END, 0, Family(AF_UNSPEC, NFNL_SUBSYS_NFTABLES), /*ack=*/false);
  return b;
}

}  // namespace stockade::linux_sim::detail
