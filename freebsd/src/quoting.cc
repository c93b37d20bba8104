// SPDX-License-Identifier: BSD-2-Clause
// jail.conf(5), sh(1) and fstab(5) quoting.

#include "stockade/freebsd/quoting.h"

#include <cstdio>

namespace stockade::freebsd {
namespace {

std::string Octal(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "\\%03o", byte);
  return buffer;
}

bool AllOf(std::string_view text, bool (*ok)(char)) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!ok(c)) return false;
  }
  return true;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string QuoteJailConf(std::string_view value) {
  // A bare token must not contain what jaillex.l treats specially: '$' starts a variable, '/'
  // may start a comment ("//", "/*"), and ';', ',', '=', '{', '}', '#' and blanks end a token.
  if (AllOf(value, [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return std::string(value);
  }
  std::string out = "'";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        // Other control bytes as three octal digits: text2lval reads at most three, so a digit
        // that follows cannot be taken into the escape.
        if (byte < 0x20 || byte == 0x7f) {
          out += Octal(byte);
        } else {
          out += c;
        }
    }
  }
  out += "'";
  return out;
}

std::string ShellQuote(std::string_view word) {
  if (AllOf(word, [](char c) {
        return IsAlnum(c) || c == '_' || c == '@' || c == '%' || c == '+' || c == '=' || c == ':' ||
               c == ',' || c == '.' || c == '/' || c == '-';
      })) {
    return std::string(word);
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string ShellCommand(std::span<const std::string> words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(word);
  }
  return out;
}

std::string FstabEscape(std::string_view field) {
  std::string out;
  for (char c : field) {
    // The separators jail(8) splits 'mount' lines at (" \t\f\v\r\n", usr.sbin/jail/command.c)
    // and the escape character itself.
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\\') {
      out += Octal(static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace stockade::freebsd
