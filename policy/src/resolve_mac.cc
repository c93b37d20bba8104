// SPDX-License-Identifier: BSD-2-Clause
// The 'mac' section: mac_bsdextended rules in ugidfw(8) syntax and mac_portacl elements.

#include <charconv>
#include <set>

#include "resolver.h"

namespace stockade::policy::detail {
namespace {

struct Word {
  std::string text;
  size_t offset;
};

std::vector<Word> SplitWords(const std::string& text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) break;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    words.push_back({text.substr(start, i - start), start});
  }
  return words;
}

std::optional<uint32_t> ParseId(std::string_view text) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// ugidfw's rule grammar (ugidfw(8); lib/libugidfw/ugidfw.c bsde_parse_rule).
class UgidfwParser {
 public:
  UgidfwParser(const Node& node, Resolver& r)
      : node_(node), r_(r), words_(SplitWords(node.scalar)) {}

  std::optional<BsdExtendedRule> Parse() {
    BsdExtendedRule rule;
    rule.span = node_.span;
    if (!Expect("subject")) return std::nullopt;
    if (!ParseSubject(rule)) return std::nullopt;
    if (!Expect("object")) return std::nullopt;
    if (!ParseObject(rule)) return std::nullopt;
    if (!Expect("mode")) return std::nullopt;
    if (pos_ >= words_.size()) return FailAtEnd("mode letters from 'arswxn'");
    const Word& mode = words_[pos_++];
    if (mode.text.find_first_not_of("arswxn") != std::string::npos) {
      return Fail(mode, "mode letters from a r s w x n (ugidfw(8))");
    }
    rule.mode = mode.text;
    if (pos_ < words_.size()) return Fail(words_[pos_], "the end of the rule after the mode");
    return rule;
  }

 private:
  bool Expect(std::string_view keyword) {
    if (pos_ < words_.size() && words_[pos_].text == keyword) {
      ++pos_;
      return true;
    }
    if (pos_ >= words_.size()) {
      FailAtEnd("'" + std::string(keyword) + "'");
    } else {
      Fail(words_[pos_], "'" + std::string(keyword) + "'");
    }
    return false;
  }

  bool AtKeyword(std::string_view keyword) const {
    return pos_ < words_.size() && words_[pos_].text == keyword;
  }

  std::optional<IdRange> ParseRange() {
    if (pos_ >= words_.size()) {
      FailAtEnd("a user or group, or a range a:b");
      return std::nullopt;
    }
    const Word& word = words_[pos_++];
    IdRange range;
    range.text = word.text;
    size_t colon = word.text.find(':');
    std::string low = word.text.substr(0, colon);
    std::string high = colon == std::string::npos ? low : word.text.substr(colon + 1);
    if (low.empty() || high.empty() || high.find(':') != std::string::npos) {
      Fail(word, "a name, a number, or a range a:b");
      return std::nullopt;
    }
    auto l = ParseId(low), h = ParseId(high);
    if (l && h) {
      if (*l > *h) {
        Fail(word, "a range whose first id is not above its second");
        return std::nullopt;
      }
      range.low = *l;
      range.high = *h;
    }
    return range;
  }

  bool ParseSubject(BsdExtendedRule& rule) {
    if (AtKeyword("not")) {
      rule.subject_not = true;
      ++pos_;
    }
    std::set<std::string> seen;
    while (pos_ < words_.size() && !AtKeyword("object")) {
      bool negated = false;
      if (AtKeyword("!")) {
        negated = true;
        ++pos_;
        if (AtKeyword("!")) {
          Fail(words_[pos_], "one '!' (ugidfw refuses a double negative)");
          return false;
        }
      }
      if (pos_ >= words_.size()) return FailAtEnd("a subject condition"), false;
      const Word& word = words_[pos_++];
      if (!seen.insert(word.text).second) {
        Fail(word, "each condition once per clause");
        return false;
      }
      if (word.text == "uid" || word.text == "gid") {
        auto range = ParseRange();
        if (!range) return false;
        (word.text == "uid" ? rule.subject_uid : rule.subject_gid) =
            std::make_pair(negated, *range);
      } else if (word.text == "jailid") {
        r_.diags().AddError("invalid-mac-rule", r_.SubSpan(node_, word.offset, word.text.size()),
                            "'jailid' is added by stockade",
                            "rules without 'jailid': each one is scoped to this policy's jail");
        return false;
      } else {
        Fail(word, "a subject condition: uid or gid");
        return false;
      }
    }
    return true;
  }

  bool ParseObject(BsdExtendedRule& rule) {
    if (AtKeyword("not")) {
      rule.object_not = true;
      ++pos_;
    }
    std::set<std::string> seen;
    while (pos_ < words_.size() && !AtKeyword("mode")) {
      bool negated = false;
      if (AtKeyword("!")) {
        negated = true;
        ++pos_;
        if (AtKeyword("!")) {
          Fail(words_[pos_], "one '!' (ugidfw refuses a double negative)");
          return false;
        }
      }
      if (pos_ >= words_.size()) return FailAtEnd("an object condition"), false;
      const Word& word = words_[pos_++];
      if (!seen.insert(word.text).second) {
        Fail(word, "each condition once per clause");
        return false;
      }
      if (word.text == "uid" || word.text == "gid") {
        auto range = ParseRange();
        if (!range) return false;
        (word.text == "uid" ? rule.object_uid : rule.object_gid) = std::make_pair(negated, *range);
      } else if (word.text == "filesys") {
        if (pos_ >= words_.size()) return FailAtEnd("a path"), false;
        const Word& path = words_[pos_++];
        if (path.text.empty() || path.text[0] != '/') {
          Fail(path, "an absolute path inside the sandbox");
          return false;
        }
        rule.object_filesys = std::make_pair(negated, path.text);
      } else if (word.text == "suid") {
        rule.object_suid = negated;
      } else if (word.text == "sgid") {
        rule.object_sgid = negated;
      } else if (word.text == "uid_of_subject") {
        rule.object_uid_of_subject = negated;
      } else if (word.text == "gid_of_subject") {
        rule.object_gid_of_subject = negated;
      } else if (word.text == "type") {
        if (pos_ >= words_.size()) return FailAtEnd("type letters from 'ar-dbclsp'"), false;
        const Word& types = words_[pos_++];
        if (types.text.find_first_not_of("ar-dbclsp") != std::string::npos) {
          Fail(types, "type letters from a r - d b c l s p");
          return false;
        }
        rule.object_type = std::make_pair(negated, types.text);
      } else {
        Fail(word,
             "an object condition: uid gid filesys suid sgid uid_of_subject gid_of_subject type");
        return false;
      }
    }
    return true;
  }

  std::nullopt_t Fail(const Word& word, const std::string& expected) {
    r_.diags().AddError("invalid-mac-rule", r_.SubSpan(node_, word.offset, word.text.size()),
                        "unexpected '" + word.text + "' in ugidfw rule", expected);
    return std::nullopt;
  }
  std::nullopt_t FailAtEnd(const std::string& expected) {
    r_.diags().AddError("invalid-mac-rule", r_.SubSpan(node_, node_.scalar.size(), 0),
                        "the ugidfw rule ends too early", expected);
    return std::nullopt;
  }

  const Node& node_;
  Resolver& r_;
  std::vector<Word> words_;
  size_t pos_ = 0;
};

std::optional<PortAclRule> ParsePortAcl(const Node& node, Resolver& r) {
  const std::string& text = node.scalar;
  std::vector<std::pair<std::string, size_t>> fields;
  size_t start = 0;
  while (true) {
    size_t colon = text.find(':', start);
    fields.emplace_back(text.substr(start, colon == std::string::npos ? colon : colon - start),
                        start);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  auto fail = [&](size_t field, std::string expected) {
    const auto& [value, offset] = fields[std::min(field, fields.size() - 1)];
    r.diags().AddError("invalid-mac-rule",
                       r.SubSpan(node, offset, std::max<size_t>(value.size(), 1)),
                       "'" + text + "' is not a mac_portacl rule", std::move(expected));
    return std::nullopt;
  };
  if (fields.size() != 4) {
    // No single field is at fault when there are too few or too many: underline the rule.
    r.diags().AddError("invalid-mac-rule", node.span,
                       "'" + text + "' is not a mac_portacl rule: it has " +
                           std::to_string(fields.size()) + " fields instead of 4",
                       "uid|gid:ID:tcp|udp:PORT, e.g. uid:80:tcp:80");
    return std::nullopt;
  }
  PortAclRule rule;
  rule.span = node.span;
  if (fields[0].first != "uid" && fields[0].first != "gid") return fail(0, "'uid' or 'gid' first");
  rule.by_uid = fields[0].first == "uid";
  auto id = ParseId(fields[1].first);
  if (!id) return fail(1, "a numeric id (mac_portacl takes no names)");
  rule.id = *id;
  if (fields[2].first != "tcp" && fields[2].first != "udp") return fail(2, "'tcp' or 'udp'");
  rule.protocol = fields[2].first == "udp" ? Protocol::kUdp : Protocol::kTcp;
  auto port = ParseId(fields[3].first);
  if (!port || *port > 65535) return fail(3, "a port number from 0 to 65535");
  rule.port = static_cast<uint16_t>(*port);
  return rule;
}

}  // namespace

void ResolveMac(const Node& node, Resolver& r, Policy& policy) {
  if (!r.ExpectMapping(node, "'mac'")) return;
  r.CheckKeys(node, {"bsdextended", "portacl"}, "in 'mac'");
  if (const Node* rules = node.Find("bsdextended");
      rules && r.ExpectSequence(*rules, "'mac.bsdextended'")) {
    for (const Node& item : rules->items) {
      if (!r.String(item, "a ugidfw rule")) continue;
      if (auto rule = UgidfwParser(item, r).Parse()) policy.mac.bsdextended.push_back(*rule);
    }
    if (policy.mac.bsdextended.size() > 256) {
      r.diags().AddError("too-large", rules->span, "more than 256 mac_bsdextended rules",
                         "at most 256 rules (the kernel's rule_count limit)");
    }
  }
  if (const Node* rules = node.Find("portacl");
      rules && r.ExpectSequence(*rules, "'mac.portacl'")) {
    std::string joined;
    for (const Node& item : rules->items) {
      if (!r.String(item, "a mac_portacl rule")) continue;
      if (auto rule = ParsePortAcl(item, r)) {
        policy.mac.portacl.push_back(*rule);
        joined += (joined.empty() ? "" : ",") + item.scalar;
      }
    }
    if (joined.size() > 1023) {
      r.diags().AddError(
          "too-large", rules->span,
          "the mac_portacl rules take " + std::to_string(joined.size()) + " characters",
          "at most 1023 characters in security.mac.portacl.rules");
    }
  }
}

}  // namespace stockade::policy::detail
