// SPDX-License-Identifier: BSD-2-Clause
// The test jail.conf reader (see jail_conf_reader.h).

#include "jail_conf_reader.h"

#include <cctype>
#include <optional>

namespace stockade::testing {
namespace {

enum class Kind { kString, kPlusEq, kChar, kEnd };

struct Token {
  Kind kind = Kind::kEnd;
  std::string text;  // kString: the value; kChar: the character
  int line = 1;
};

bool IsAtomic(char c) {
  // jaillex.l: [A-Za-z0-9_!%&()\-.:<>?@\[\]^`|~]+, plus the one-character tokens * + / and a
  // '$' that starts no variable.
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_!%&()-.:<>?@[]^`|~*+/").find(c) != std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token, or an error in error_.
  Token Next() {
    SkipBlanks();
    Token token;
    token.line = line_;
    if (!error_.empty() || pos_ >= text_.size()) return token;
    const char c = text_[pos_];
    if (c == '+' && Peek(1) == '=') {
      pos_ += 2;
      token.kind = Kind::kPlusEq;
      return token;
    }
    if (c == ',' || c == ';' || c == '=' || c == '{' || c == '}') {
      ++pos_;
      token.kind = Kind::kChar;
      token.text = std::string(1, c);
      return token;
    }
    // A string: pieces (bare runs, quoted strings, escapes) joined while no blank separates them.
    token.kind = Kind::kString;
    bool any = false;
    while (pos_ < text_.size() && error_.empty()) {
      const char d = text_[pos_];
      if (d == '\'' || d == '"') {
        QuotedPiece(d, token.text);
      } else if (d == '\\') {
        ++pos_;
        Escape(token.text);
      } else if (d == '$') {
        if (std::isalpha(static_cast<unsigned char>(Peek(1))) || Peek(1) == '_' || Peek(1) == '{') {
          Fail("a variable; stockade writes none");
        } else {
          token.text += d;
          ++pos_;
        }
      } else if (d == '/' && (Peek(1) == '/' || Peek(1) == '*')) {
        break;  // a comment ends the token
      } else if (d == '+' && Peek(1) == '=') {
        break;
      } else if (IsAtomic(d) || static_cast<unsigned char>(d) >= 0x80) {
        token.text += d;
        ++pos_;
      } else {
        break;
      }
      any = true;
    }
    if (!any && error_.empty()) Fail(std::string("unexpected character '") + c + "'");
    return token;
  }

  const std::string& error() const { return error_; }
  int line() const { return line_; }

 private:
  char Peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  void SkipBlanks() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#' || (c == '/' && Peek(1) == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        const size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) {
          Fail("unterminated comment");
          return;
        }
        for (size_t i = pos_; i < end; ++i) line_ += text_[i] == '\n';
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }

  void QuotedPiece(char quote, std::string& out) {
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) {
        Fail("unterminated string");
        return;
      }
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return;
      }
      if (c == '\\') {
        ++pos_;
        Escape(out);
        if (!error_.empty()) return;
        continue;
      }
      if (quote == '"' && c == '$') {
        Fail("a variable in a double-quoted string; stockade writes none");
        return;
      }
      line_ += c == '\n';
      out += c;
      ++pos_;
    }
  }

  // text2lval's escapes; pos_ is just after the backslash.
  void Escape(std::string& out) {
    if (pos_ >= text_.size()) {
      Fail("backslash at the end");
      return;
    }
    const char c = text_[pos_++];
    if (c >= '0' && c <= '7') {
      int value = c - '0';
      for (int i = 0; i < 2 && pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '7';
           ++i) {
        value = value * 8 + (text_[pos_++] - '0');
      }
      out += static_cast<char>(value);
      return;
    }
    switch (c) {
      case 'a':
        out += '\a';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'v':
        out += '\v';
        return;
      case '\n':
        ++line_;
        return;  // a continuation line
      case 'x': {
        int value = 0;
        for (int i = 0; i < 2 && pos_ < text_.size() && HexValue(text_[pos_]) >= 0; ++i) {
          value = value * 16 + HexValue(text_[pos_++]);
        }
        out += static_cast<char>(value);
        return;
      }
      default:
        out += c;
    }
  }

  void Fail(std::string what) {
    if (error_.empty()) error_ = "line " + std::to_string(line_) + ": " + what;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  std::string error_;
};

}  // namespace

JailConfFile ReadJailConf(std::string_view text) {
  JailConfFile file;
  Lexer lexer(text);
  auto fail = [&](const Token& at, const std::string& what) {
    file.error =
        lexer.error().empty() ? "line " + std::to_string(at.line) + ": " + what : lexer.error();
    return file;
  };
  while (true) {
    Token name = lexer.Next();
    if (!lexer.error().empty()) return fail(name, "");
    if (name.kind == Kind::kEnd) return file;
    if (name.kind != Kind::kString) return fail(name, "expected a jail name");
    Token open = lexer.Next();
    if (open.kind != Kind::kChar || open.text != "{") return fail(open, "expected '{'");
    JailConfJail jail;
    jail.name = name.text;
    while (true) {
      Token param = lexer.Next();
      if (!lexer.error().empty()) return fail(param, "");
      if (param.kind == Kind::kChar && param.text == "}") break;
      if (param.kind != Kind::kString) return fail(param, "expected a parameter name");
      Token op = lexer.Next();
      std::vector<std::string> values;
      bool append = false;
      if (op.kind == Kind::kPlusEq || (op.kind == Kind::kChar && op.text == "=")) {
        append = op.kind == Kind::kPlusEq;
        while (true) {
          Token value = lexer.Next();
          if (value.kind != Kind::kString) return fail(value, "expected a value");
          values.push_back(value.text);
          Token sep = lexer.Next();
          if (sep.kind == Kind::kChar && sep.text == ",") continue;
          if (sep.kind == Kind::kChar && sep.text == ";") break;
          return fail(sep, "expected ',' or ';'");
        }
      } else if (!(op.kind == Kind::kChar && op.text == ";")) {
        return fail(op, "expected '=', '+=' or ';'");
      }
      JailConfParam* existing = nullptr;
      for (JailConfParam& p : jail.params) {
        if (p.name == param.text) existing = &p;
      }
      if (!existing) {
        jail.params.push_back({param.text, {}});
        existing = &jail.params.back();
      }
      if (!append) existing->values.clear();
      existing->values.insert(existing->values.end(), values.begin(), values.end());
    }
    file.jails.push_back(std::move(jail));
  }
}

}  // namespace stockade::testing
