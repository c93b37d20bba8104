// SPDX-License-Identifier: BSD-2-Clause
// Typed readers of syntax-tree values, each with its own diagnostics.

#include "resolver.h"

#include <limits>
#include <vector>

namespace stockade::policy::detail {
namespace {

std::string Quote(std::string_view text) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  if (text.size() > kMax) {
    out.append(text.substr(0, kMax));
    out += "...";
  } else {
    out.append(text);
  }
  out += "'";
  return out;
}

// True when `text` is written like an integer literal (ParseIntLiteral's syntax) whatever its
// size: then a literal that does not parse is too large, not of the wrong type.
bool LooksLikeInteger(std::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  std::string_view digits = "0123456789";
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    digits = "0123456789abcdefABCDEF";
    text.remove_prefix(2);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
    digits = "01234567";
    text.remove_prefix(2);
  }
  return !text.empty() && text.find_first_not_of(digits) == std::string_view::npos;
}

}  // namespace

std::optional<IntLiteral> ParseIntLiteral(std::string_view text) {
  IntLiteral result;
  if (!text.empty() && text[0] == '-') {
    result.negative = true;
    text.remove_prefix(1);
  }
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
    base = 8;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  if (result.negative && value > (uint64_t{1} << 63)) return std::nullopt;
  result.magnitude = value;
  return result;
}

void Resolver::CheckKeys(const Node& node, std::initializer_list<std::string_view> allowed,
                         std::string_view where) {
  if (!node.is_mapping()) return;
  std::vector<std::string_view> candidates(allowed);
  for (const MapEntry& entry : node.entries) {
    bool known = false;
    for (std::string_view key : allowed) known = known || key == entry.key;
    if (known) continue;
    std::string expected = "one of";
    for (std::string_view key : allowed) expected += " '" + std::string(key) + "'";
    diags_.AddError("unknown-key", entry.key_span,
                    "unknown key " + Quote(entry.key) + " " + std::string(where),
                    expected + DidYouMean(entry.key, candidates));
  }
}

bool Resolver::ExpectMapping(const Node& node, std::string_view what) {
  if (node.is_mapping()) return true;
  diags_.AddError("wrong-type", node.span,
                  std::string(what) + " must be a mapping, found " + std::string(node.KindName()),
                  "a mapping of keys to values (see docs/policy-language.md)");
  return false;
}

bool Resolver::ExpectSequence(const Node& node, std::string_view what) {
  if (node.is_sequence()) return true;
  diags_.AddError("wrong-type", node.span,
                  std::string(what) + " must be a list, found " + std::string(node.KindName()),
                  "a list, written [a, b] or with '- ' items");
  return false;
}

std::optional<std::string> Resolver::String(const Node& node, std::string_view what,
                                            bool allow_empty) {
  if (!node.is_scalar()) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a string, found " + std::string(node.KindName()),
                    "a string");
    return std::nullopt;
  }
  if (node.scalar.empty() && !allow_empty) {
    diags_.AddError("invalid-value", node.span, std::string(what) + " is empty",
                    "a non-empty string");
    return std::nullopt;
  }
  return node.scalar;
}

std::optional<bool> Resolver::Bool(const Node& node, std::string_view what) {
  if (node.is_scalar() && !node.quoted) {
    if (node.scalar == "true") return true;
    if (node.scalar == "false") return false;
    const std::string& s = node.scalar;
    if (s == "yes" || s == "no" || s == "on" || s == "off" || s == "True" || s == "False" ||
        s == "TRUE" || s == "FALSE" || s == "y" || s == "n") {
      diags_.AddError("wrong-type", node.span, std::string(what) + " is " + Quote(s),
                      "'true' or 'false' (other YAML spellings of booleans are not accepted)");
      return std::nullopt;
    }
  }
  // A quoted "true" is a string (docs: quoted scalars are always strings); saying so is the
  // only way the author sees why the value that reads like a boolean was refused.
  const bool quoted_bool = node.quoted && (node.scalar == "true" || node.scalar == "false");
  diags_.AddError(
      "wrong-type", node.span,
      std::string(what) + " must be true or false, found " +
          (node.is_scalar() ? (node.quoted ? "the quoted string " : "") + Quote(node.scalar)
                            : std::string(node.KindName())),
      quoted_bool ? "'true' or 'false' (without quotes)" : "'true' or 'false'");
  return std::nullopt;
}

std::optional<int64_t> Resolver::Int(const Node& node, std::string_view what, int64_t min,
                                     int64_t max) {
  const std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!node.is_scalar() || node.quoted) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be an integer, found " +
                        (node.is_scalar() ? "the quoted string " + Quote(node.scalar)
                                          : std::string(node.KindName())),
                    range + (node.quoted ? " (without quotes)" : ""));
    return std::nullopt;
  }
  std::optional<IntLiteral> literal = ParseIntLiteral(node.scalar);
  if (!literal && LooksLikeInteger(node.scalar)) {
    diags_.AddError("value-out-of-range", node.span,
                    std::string(what) + " " + node.scalar + " is out of range", range);
    return std::nullopt;
  }
  if (!literal) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be an integer, found " + Quote(node.scalar), range);
    return std::nullopt;
  }
  const bool too_big = literal->negative
                           ? literal->magnitude > static_cast<uint64_t>(-(min + 1)) + 1
                           : literal->magnitude > static_cast<uint64_t>(std::max<int64_t>(max, 0));
  int64_t value = 0;
  if (!too_big) {
    value = literal->negative ? -static_cast<int64_t>(literal->magnitude - 1) - 1
                              : static_cast<int64_t>(literal->magnitude);
  }
  if (too_big || value < min || value > max) {
    diags_.AddError("value-out-of-range", node.span,
                    std::string(what) + " " + node.scalar + " is out of range", range);
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> Resolver::Size(const Node& node, std::string_view what) {
  constexpr std::string_view kExpected =
      "a size in bytes, optionally with a suffix k, m, g, t, p or e (powers of 1024), e.g. 512M";
  if (!node.is_scalar() || node.quoted || node.scalar.empty()) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a size, found " +
                        (node.is_scalar() ? Quote(node.scalar) : std::string(node.KindName())),
                    std::string(kExpected));
    return std::nullopt;
  }
  std::string_view text = node.scalar;
  unsigned shift = 0;
  switch (text.back()) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    case 'p':
    case 'P':
      shift = 50;
      break;
    case 'e':
    case 'E':
      shift = 60;
      break;
    default:
      break;
  }
  if (shift) text.remove_suffix(1);
  std::optional<IntLiteral> literal = ParseIntLiteral(text);
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if ((!literal && LooksLikeInteger(text) && text[0] != '-') ||
      (literal && !literal->negative && literal->magnitude > (kMax >> shift))) {
    diags_.AddError("value-out-of-range", node.span,
                    std::string(what) + " " + node.scalar + " is too large",
                    "a size of at most 2^63 - 1 bytes");
    return std::nullopt;
  }
  if (!literal || literal->negative) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a size, found " + Quote(node.scalar),
                    std::string(kExpected));
    return std::nullopt;
  }
  return literal->magnitude << shift;
}

std::optional<uint64_t> Resolver::DurationMs(const Node& node, std::string_view what) {
  constexpr std::string_view kExpected =
      "a duration: whole seconds, or a number with ms, s, m, h or d (e.g. 30s, 5m)";
  if (!node.is_scalar() || node.quoted || node.scalar.empty()) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a duration, found " +
                        (node.is_scalar() ? Quote(node.scalar) : std::string(node.KindName())),
                    std::string(kExpected));
    return std::nullopt;
  }
  std::string_view text = node.scalar;
  uint64_t unit_ms = 1000;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    unit_ms = 1;
    text.remove_suffix(2);
  } else {
    switch (text.back()) {
      case 's':
        unit_ms = 1000;
        text.remove_suffix(1);
        break;
      case 'm':
        unit_ms = 60'000;
        text.remove_suffix(1);
        break;
      case 'h':
        unit_ms = 3'600'000;
        text.remove_suffix(1);
        break;
      case 'd':
        unit_ms = 86'400'000;
        text.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::optional<IntLiteral> literal = ParseIntLiteral(text);
  const bool decimal = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  // Durations are capped at 100 years: far beyond any sandbox, far below overflow.
  constexpr uint64_t kMaxMs = 100ull * 365 * 86'400'000;
  if (decimal && (!literal || literal->magnitude > kMaxMs / unit_ms)) {
    diags_.AddError("value-out-of-range", node.span,
                    std::string(what) + " " + node.scalar + " is too long",
                    "a duration of at most 100 years");
    return std::nullopt;
  }
  if (!literal || !decimal) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a duration, found " + Quote(node.scalar),
                    std::string(kExpected));
    return std::nullopt;
  }
  return literal->magnitude * unit_ms;
}

std::optional<std::string> Resolver::AbsolutePath(const Node& node, std::string_view what) {
  std::optional<std::string> path = String(node, what);
  if (!path) return std::nullopt;
  auto bad = [&](std::string why) {
    diags_.AddError("invalid-path", node.span, std::string(what) + " " + Quote(*path) + " " + why,
                    "an absolute path without '.', '..' or empty components, e.g. /srv/data");
    return std::nullopt;
  };
  if ((*path)[0] != '/') return bad("is not absolute");
  if (path->size() > 1023) return bad("is longer than 1023 bytes");
  if (path->find('\0') != std::string::npos) return bad("contains a NUL byte");
  if (*path == "/") return path;
  if (path->back() == '/') return bad("ends with '/'");
  size_t start = 1;
  while (start <= path->size()) {
    size_t slash = path->find('/', start);
    if (slash == std::string::npos) slash = path->size();
    std::string_view component(path->data() + start, slash - start);
    if (component.empty()) return bad("has an empty component ('//')");
    if (component == "." || component == "..") {
      return bad("has a '" + std::string(component) + "' component");
    }
    start = slash + 1;
  }
  return path;
}

std::optional<std::string> Resolver::Choice(const Node& node, std::string_view what,
                                            std::initializer_list<std::string_view> choices) {
  std::string expected = "one of";
  for (std::string_view choice : choices) expected += " '" + std::string(choice) + "'";
  if (!node.is_scalar()) {
    diags_.AddError("wrong-type", node.span,
                    std::string(what) + " must be a name, found " + std::string(node.KindName()),
                    expected);
    return std::nullopt;
  }
  for (std::string_view choice : choices) {
    if (node.scalar == choice) return node.scalar;
  }
  diags_.AddError("invalid-value", node.span,
                  std::string(what) + " " + Quote(node.scalar) + " is not valid",
                  expected + DidYouMean(node.scalar, std::vector<std::string_view>(choices)));
  return std::nullopt;
}

Granted Resolver::ReadGranted(const Node& node, std::string_view what, std::string_view value_key) {
  if (!node.is_mapping()) return {&node, false};
  CheckKeys(node, {value_key, "justification"}, "in " + std::string(what));
  Granted granted;
  granted.value = node.Find(value_key);
  if (!granted.value) {
    diags_.AddError("missing-key", node.span,
                    std::string(what) + " has no '" + std::string(value_key) + "'",
                    "{" + std::string(value_key) + ": ..., justification: \"why\"}");
  }
  if (const Node* justification = node.Find("justification")) {
    std::optional<std::string> text = String(*justification, "a justification");
    granted.justified = text.has_value();
  }
  return granted;
}

SourceSpan Resolver::SubSpan(const Node& scalar, size_t offset, size_t length) const {
  std::string_view source = sources_.text(scalar.span);
  size_t shift = 0;
  if (source == scalar.scalar) {
    shift = 0;
  } else if (source.size() == scalar.scalar.size() + 2 &&
             source.substr(1, scalar.scalar.size()) == scalar.scalar) {
    shift = 1;
  } else {
    return scalar.span;
  }
  if (offset > scalar.scalar.size()) return scalar.span;
  length = std::min(length, scalar.scalar.size() - offset);
  const uint32_t begin = scalar.span.begin + static_cast<uint32_t>(shift + offset);
  return {scalar.span.file, begin, begin + static_cast<uint32_t>(length)};
}

}  // namespace stockade::policy::detail
