// SPDX-License-Identifier: BSD-2-Clause
// The three quoting languages the FreeBSD artifacts are written in: jail.conf(5) values, sh(1)
// words, and the fstab(5) fields of jail(8)'s 'mount' lines. Pure string functions.

#ifndef STOCKADE_FREEBSD_QUOTING_H_
#define STOCKADE_FREEBSD_QUOTING_H_

#include <span>
#include <string>
#include <string_view>

namespace stockade::freebsd {

// One jail.conf(5) value. A value made only of letters, digits, '_', '.' and '-' is written
// bare; anything else is single-quoted. jail(8)'s lexer (usr.sbin/jail/jaillex.l) still
// processes backslash escapes inside single quotes (it only skips variable substitution there),
// so '\' becomes "\\" and '\'' becomes "\'"; newline, tab, carriage return and the other control
// bytes become C escapes ("\n", "\t", "\r", or three-digit octal "\001") so that a value never
// spans lines and a backslash-newline continuation can never form. Bytes from 0x80 up (UTF-8)
// are kept as they are. '$', ';', '{', '}', '#' and "//" need nothing inside single quotes.
// The empty value is "''".
std::string QuoteJailConf(std::string_view value);

// One sh(1) word: bare when made only of [A-Za-z0-9_@%+=:,./-] (and not empty), otherwise in
// single quotes with each '\'' written as '\'' (close, escaped quote, reopen). Inside single
// quotes sh takes every byte literally, newlines included.
std::string ShellQuote(std::string_view word);

// Quotes each word with ShellQuote and joins them with single spaces.
std::string ShellCommand(std::span<const std::string> words);

// One field of an fstab(5) line as jail(8) reads its 'mount' parameter: it splits the line at
// blanks and, for the device and mount point fields, decodes vis(3) escapes (strunvis). So space,
// tab, newline, carriage return, vertical tab, form feed and backslash become three-digit octal
// escapes ("\040", "\134", ...); every other byte is kept.
std::string FstabEscape(std::string_view field);

}  // namespace stockade::freebsd

#endif  // STOCKADE_FREEBSD_QUOTING_H_
