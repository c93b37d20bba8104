// SPDX-License-Identifier: BSD-2-Clause
// The loader: a pre-scan that guards yaml-cpp, then yaml-cpp's event parser feeding our own
// syntax tree. This is the only file that includes yaml-cpp, and the only place its
// exceptions are caught.

#include "stockade/policy/load.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "utf8.h"

namespace stockade::policy {

Expected<std::string> ReadPolicyFile(const std::filesystem::path& path, const LoadLimits& limits) {
  const std::string name = path.string();
  const std::string what = "cannot read policy '" + name + "'";
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec) return Error::FromErrno(what, ec.value());
  if (std::filesystem::is_directory(status)) {
    return Error(ErrorCode::kInvalidArgument, what + ": it is a directory; expected a policy file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Error(ErrorCode::kInvalidArgument,
                 what + ": not a regular file; expected a policy file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Error::FromErrno(what, ec.value());
  if (size > limits.max_file_bytes) {
    return Error(ErrorCode::kResourceExhausted,
                 what + ": " + std::to_string(size) + " bytes is larger than the limit of " +
                     std::to_string(limits.max_file_bytes) + " bytes");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::FromErrno(what, errno != 0 ? errno : EACCES);
  // Read past the limit, so a file that grew after the size check is still refused; in chunks,
  // so that a small file costs its size (a zeroed buffer of the limit's size per file was most
  // of what 'check' spent: docs/benchmarks.md).
  std::string text;
  text.reserve(static_cast<size_t>(size) + 1);
  char chunk[16384];
  while (in && text.size() <= limits.max_file_bytes) {
    in.read(chunk, sizeof(chunk));
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Error::FromErrno(what, errno != 0 ? errno : EIO);
  if (text.size() > limits.max_file_bytes) {
    return Error(
        ErrorCode::kResourceExhausted,
        what + ": larger than the limit of " + std::to_string(limits.max_file_bytes) + " bytes");
  }
  return text;
}

namespace {

// The byte at `offset` of `text`, or the empty span at its end when `offset` is there (yaml-cpp
// reports an unclosed flow collection at the end of the file): a span never runs past its
// buffer (found by fuzz/policy_load_fuzzer.cc).
SourceSpan PointSpan(FileId file, std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return {file, static_cast<uint32_t>(offset),
          static_cast<uint32_t>(std::min(offset + 1, text.size()))};
}

// The lexical pre-scan. Refuses what yaml-cpp must never see: bytes that are not UTF-8, NUL
// bytes, and nesting deep enough to exhaust its recursive parser. The depth is an
// over-estimate from indentation, sequence dashes and flow brackets, so real nesting beyond
// the limit is always caught here; the tree builder then enforces the exact limit.
bool PreScan(std::string_view text, FileId file, Diagnostics& diags, const LoadLimits& limits) {
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      diags.AddError("invalid-utf8", PointSpan(file, text, i), "the file contains a NUL byte",
                     "a text file in UTF-8");
      return false;
    }
    const detail::Utf8Char c = detail::DecodeUtf8(text, i);
    if (c.code_point < 0) {
      static const char* hex = "0123456789abcdef";
      const auto b = static_cast<unsigned char>(text[i]);
      diags.AddError("invalid-utf8", PointSpan(file, text, i),
                     std::string("byte 0x") + hex[b >> 4] + hex[b & 15] + " is not valid UTF-8",
                     "a policy file encoded in UTF-8");
      return false;
    }
    const auto cp = static_cast<uint32_t>(c.code_point);
    // Control characters, bidirectional-text controls and invisible characters can make a
    // policy read differently from what it says; a reviewer must see every byte that matters.
    // These are the code points the renderers escape (the C1 controls, U+2028, U+2029 and a
    // U+FEFF after the start were let through; found by fuzz/policy_load_fuzzer.cc).
    if (detail::IsUnsafeCodePoint(cp) && cp != '\t' && cp != '\n' && cp != '\r' &&
        !(cp == 0xFEFF && i == 0)) {
      char code[16];
      std::snprintf(code, sizeof(code), "U+%04X", cp);
      diags.AddError("unsafe-character",
                     {file, static_cast<uint32_t>(i), static_cast<uint32_t>(i + c.length)},
                     std::string("the file contains the invisible control character ") + code,
                     "plain text (bidirectional and control characters can hide what a policy "
                     "says from its reviewers)");
      return false;
    }
    const size_t length = c.length;
    i += length;
  }

  std::vector<size_t> indents;            // indentation of enclosing block nodes
  size_t flow = 0;                        // open [ and { brackets
  char quote = 0;                         // inside a '...' or "..." scalar that may span lines
  size_t block_scalar_indent = SIZE_MAX;  // inside a | or > block scalar: its parent's indent
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const bool blank = indent == line.size() || line[indent] == '#' || line[indent] == '\r';
    if (block_scalar_indent != SIZE_MAX) {
      if (blank || indent > block_scalar_indent) {
        pos = eol + 1;
        continue;
      }
      block_scalar_indent = SIZE_MAX;
    }
    if (blank && !quote) {
      pos = eol + 1;
      continue;
    }
    size_t depth_here = 0;
    size_t i = 0;
    if (!quote && flow == 0) {
      while (!indents.empty() && indents.back() >= indent) indents.pop_back();
      indents.push_back(indent);
      i = indent;
      // "- - - x": every dash opens one more sequence; the one past the limit is the culprit.
      while (i < line.size() && line[i] == '-' &&
             (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t' ||
              line[i + 1] == '\r')) {
        ++depth_here;
        if (indents.size() + depth_here > limits.max_depth) {
          diags.AddError("too-deep", PointSpan(file, text, pos + i),
                         "mappings and lists are nested more than " +
                             std::to_string(limits.max_depth) + " levels deep",
                         "at most " + std::to_string(limits.max_depth) + " levels of nesting");
          return false;
        }
        i += 2;
        while (i < line.size() && line[i] == ' ') ++i;
      }
    }
    char previous = ' ';
    for (; i < line.size(); ++i) {
      const char c = line[i];
      if (quote) {
        if (quote == '"' && c == '\\') {
          ++i;
        } else if (c == quote) {
          if (quote == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
            ++i;
          } else {
            quote = 0;
          }
        }
      } else if (c == '#' && (previous == ' ' || previous == '\t')) {
        break;
      } else if ((c == '"' || c == '\'') &&
                 (previous == ' ' || previous == '[' || previous == '{' || previous == ',' ||
                  previous == ':' || previous == '-' || i == 0)) {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++flow;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      } else if ((c == '|' || c == '>') && (previous == ' ' || previous == ':') && flow == 0) {
        // A block scalar indicator ends the line apart from its modifiers and a comment.
        std::string_view rest = line.substr(i + 1);
        const size_t end = rest.find_first_not_of("+-0123456789 \t\r");
        if (end == std::string_view::npos || rest[end] == '#') block_scalar_indent = indent;
      }
      previous = c;
      const size_t depth = indents.size() + depth_here + flow;
      if (depth > limits.max_depth) {
        diags.AddError("too-deep", PointSpan(file, text, pos + i),
                       "mappings and lists are nested more than " +
                           std::to_string(limits.max_depth) + " levels deep",
                       "at most " + std::to_string(limits.max_depth) + " levels of nesting");
        return false;
      }
    }
    if (indents.size() + depth_here > limits.max_depth) {
      diags.AddError("too-deep", PointSpan(file, text, pos + indent),
                     "mappings and lists are nested more than " + std::to_string(limits.max_depth) +
                         " levels deep",
                     "at most " + std::to_string(limits.max_depth) + " levels of nesting");
      return false;
    }
    pos = eol + 1;
  }
  return true;
}

// The end of the quoted scalar whose opening quote is text[begin], just past its closing quote;
// nullopt when the quote is never closed.
std::optional<size_t> QuotedEnd(std::string_view text, size_t begin) {
  const char quote = text[begin];
  for (size_t i = begin + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return std::nullopt;
}

// Where a scalar token ends, for carets that underline the whole token. yaml-cpp only gives the
// start; the end is found in the source text from the token's first character.
size_t ScalarEnd(std::string_view text, size_t begin, bool in_flow) {
  if (begin >= text.size()) return begin;
  const char first = text[begin];
  if (first == '"' || first == '\'') return QuotedEnd(text, begin).value_or(text.size());
  if (first == '|' || first == '>') return begin + 1;
  size_t end = begin;
  for (size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') break;
    if (c == '#' && i > begin && (text[i - 1] == ' ' || text[i - 1] == '\t')) break;
    if (c == ':' &&
        (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n' || text[i + 1] == '\r' ||
         (in_flow && (text[i + 1] == ',' || text[i + 1] == ']' || text[i + 1] == '}')))) {
      break;
    }
    if (in_flow && (c == ',' || c == ']' || c == '}' || c == '[' || c == '{')) break;
    if (c != ' ' && c != '\t') end = i + 1;
  }
  return end > begin ? end : begin + 1;
}

// Raised inside the event handler to stop yaml-cpp once the document is unusable.
struct StopParsing {};

// Builds our Node tree from yaml-cpp's events, enforcing the YAML subset of the language.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, FileId file, Diagnostics& diags, const LoadLimits& limits)
      : text_(text), file_(file), diags_(diags), limits_(limits) {}

  std::optional<Node> TakeRoot() { return std::move(root_); }
  int documents() const { return documents_; }
  bool failed() const { return failed_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    ++documents_;
    if (documents_ > 1) {
      diags_.AddError("multiple-documents", Span(mark, 3),
                      "the file holds more than one YAML document",
                      "one policy per file (remove the second '---' and what follows)");
      failed_ = true;
      throw StopParsing{};
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    CheckAnchor(mark, anchor);
    Node node;
    node.kind = Node::Kind::kNull;
    node.span = Span(mark, 0);
    Attach(std::move(node), mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    diags_.AddError("anchor-alias", Span(mark, 1), "YAML aliases are not allowed in a policy",
                    "write the value out in full (anchors and aliases are refused)");
    failed_ = true;
    Node node;
    node.span = Span(mark, 1);
    Attach(std::move(node), mark);
  }

  void OnAnchor(const YAML::Mark& mark, const std::string&) override {
    diags_.AddError("anchor-alias", Span(mark, 1), "YAML anchors are not allowed in a policy",
                    "write every value out where it is used (anchors and aliases are refused)");
    failed_ = true;
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    const size_t begin = Offset(mark);
    // yaml-cpp 0.7 ends a quoted scalar that is never closed at the end of the file instead of
    // refusing it, so `name: "demo` would silently swallow every line after it.
    if (tag == "!" && begin < text_.size() && (text_[begin] == '"' || text_[begin] == '\'') &&
        !QuotedEnd(text_, begin)) {
      diags_.AddError("malformed-yaml", Span(mark, 1),
                      std::string("malformed YAML: the quoted string that starts here is never "
                                  "closed"),
                      std::string("a closing ") + text_[begin] + " on the same or a later line");
      failed_ = true;
      throw StopParsing{};
    }
    Node node;
    node.kind = Node::Kind::kScalar;
    node.quoted = tag == "!";
    node.span = {file_, static_cast<uint32_t>(begin),
                 static_cast<uint32_t>(ScalarEnd(text_, begin, InFlow()))};
    if (value.size() > limits_.max_scalar_bytes) {
      diags_.AddError("too-large", node.span,
                      "a value of " + std::to_string(value.size()) + " bytes is too large",
                      "values of at most " + std::to_string(limits_.max_scalar_bytes) + " bytes");
      failed_ = true;
      throw StopParsing{};
    }
    node.scalar = value;
    Attach(std::move(node), mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    Open(Node::Kind::kSequence, mark, tag, anchor, style);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    Open(Node::Kind::kMapping, mark, tag, anchor, style);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    Node node;
    bool flow = false;
    bool expecting_key = true;  // mappings only
    std::string key;
    SourceSpan key_span;
  };

  size_t Offset(const YAML::Mark& mark) const {
    if (mark.pos < 0) return text_.size();
    return std::min<size_t>(static_cast<size_t>(mark.pos) + bom_, text_.size());
  }
  SourceSpan Span(const YAML::Mark& mark, size_t length) const {
    const size_t begin = Offset(mark);
    return {file_, static_cast<uint32_t>(begin),
            static_cast<uint32_t>(std::min(begin + length, text_.size()))};
  }
  bool InFlow() const { return !stack_.empty() && stack_.back().flow; }

  void CheckAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return;
    // OnAnchor already reported it with the anchor's own position.
    (void)mark;
    failed_ = true;
  }
  void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    // yaml-cpp hands over the resolved tag ("tag:yaml.org,2002:str"); the author wrote "!!str".
    const size_t begin = Offset(mark);
    std::string written = tag;
    size_t length = 1;
    if (begin < text_.size() && text_[begin] == '!') {
      const size_t end = std::min(text_.find_first_of(" \t\r\n,[]{}", begin), text_.size());
      written = std::string(text_.substr(begin, end - begin));
      length = end - begin;
    }
    diags_.AddError("yaml-tag", Span(mark, length),
                    "YAML tag '" + written + "' is not allowed in a policy",
                    "plain values without tags");
    failed_ = true;
  }

  void Open(Node::Kind kind, const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
            YAML::EmitterStyle::value style) {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    if (stack_.size() >= limits_.max_depth) {
      diags_.AddError("too-deep", Span(mark, 1),
                      "mappings and lists are nested more than " +
                          std::to_string(limits_.max_depth) + " levels deep",
                      "at most " + std::to_string(limits_.max_depth) + " levels of nesting");
      failed_ = true;
      throw StopParsing{};
    }
    Count(mark);
    Frame frame;
    frame.node.kind = kind;
    frame.node.span = Span(mark, 1);
    frame.flow = style == YAML::EmitterStyle::Flow;
    // A mapping's or list's own position: yaml-cpp marks flow collections at their bracket and
    // block collections at their first token.
    stack_.push_back(std::move(frame));
  }

  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Deliver(std::move(frame.node));
  }

  void Count(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes) {
      diags_.AddError("too-large", Span(mark, 1),
                      "the document has more than " + std::to_string(limits_.max_nodes) + " values",
                      "at most " + std::to_string(limits_.max_nodes) + " values in one policy");
      failed_ = true;
      throw StopParsing{};
    }
  }

  void Attach(Node node, const YAML::Mark& mark) {
    Count(mark);
    Deliver(std::move(node));
  }

  // Hands a finished node to its parent: a list item, a mapping key or value, or the root.
  void Deliver(Node node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.kind == Node::Kind::kSequence) {
      parent.node.items.push_back(std::move(node));
      return;
    }
    if (parent.expecting_key) {
      parent.expecting_key = false;
      if (node.kind != Node::Kind::kScalar) {
        diags_.AddError("wrong-type", node.span,
                        std::string("a mapping key must be a plain name, found ") +
                            std::string(node.KindName()),
                        "keys that are plain names such as 'syscalls'");
        failed_ = true;
        parent.key.clear();
        parent.key_span = node.span;
        return;
      }
      parent.key = std::move(node.scalar);
      parent.key_span = node.span;
      return;
    }
    parent.expecting_key = true;
    // Duplicate keys are legal for yaml-cpp; for a policy they are an error (the second value
    // would silently win).
    for (const MapEntry& existing : parent.node.entries) {
      if (existing.key == parent.key) {
        diags_
            .AddError("duplicate-key", parent.key_span, "duplicate key '" + parent.key + "'",
                      "each key may appear once in a mapping")
            .AddNote(existing.key_span, "first defined here");
        failed_ = true;
        break;
      }
    }
    MapEntry entry;
    entry.key = std::move(parent.key);
    entry.key_span = parent.key_span;
    // An empty value ("key:" with nothing after it) gets the key's position: there is no text
    // of its own to point at.
    if (node.kind == Node::Kind::kNull && node.span.begin == node.span.end) {
      node.span = parent.key_span;
    }
    entry.value = std::move(node);
    parent.node.entries.push_back(std::move(entry));
  }

  std::string_view text_;
  FileId file_;
  Diagnostics& diags_;
  const LoadLimits& limits_;
  std::vector<Frame> stack_;
  std::optional<Node> root_;
  int documents_ = 0;
  size_t nodes_ = 0;
  bool failed_ = false;

 public:
  size_t bom_ = 0;  // yaml-cpp does not count a UTF-8 byte order mark in its positions
};

}  // namespace

std::optional<Node> LoadDocument(const SourceSet& sources, FileId file, Diagnostics& diags,
                                 const LoadLimits& limits) {
  std::string_view text = sources.text(file);
  if (text.size() > limits.max_file_bytes) {
    diags.AddError("too-large", PointSpan(file, text, 0),
                   "the file has " + std::to_string(text.size()) + " bytes",
                   "a policy of at most " + std::to_string(limits.max_file_bytes) + " bytes");
    return std::nullopt;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    diags.AddError("empty-file", {file, 0, 0}, "the policy file is empty",
                   "a YAML mapping starting with 'version: 1'");
    return std::nullopt;
  }
  if (!PreScan(text, file, diags, limits)) return std::nullopt;

  TreeBuilder builder(text, file, diags, limits);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") builder.bom_ = 3;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const StopParsing&) {
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    size_t offset = e.mark.is_null() ? text.size() : static_cast<size_t>(e.mark.pos) + builder.bom_;
    if (offset > text.size()) offset = text.size();
    diags.AddError("malformed-yaml", PointSpan(file, text, offset), "malformed YAML: " + e.msg,
                   "well-formed YAML (a mapping of keys to values)");
    return std::nullopt;
  } catch (const std::exception& e) {
    diags.AddError("malformed-yaml", PointSpan(file, text, 0),
                   std::string("the YAML parser failed: ") + e.what(),
                   "well-formed YAML (a mapping of keys to values)");
    return std::nullopt;
  }
  if (builder.failed()) return std::nullopt;
  std::optional<Node> root = builder.TakeRoot();
  if (builder.documents() == 0 || !root || root->is_null()) {
    diags.AddError("empty-file", {file, 0, 0}, "the policy file holds no values",
                   "a YAML mapping starting with 'version: 1'");
    return std::nullopt;
  }
  return root;
}

}  // namespace stockade::policy
