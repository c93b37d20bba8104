// SPDX-License-Identifier: BSD-2-Clause
// A small jail.conf(5) reader for tests, written from the grammar of jail(8)'s own lexer
// (usr.sbin/jail/jaillex.l): C, C++ and shell comments; bare tokens, single- and double-quoted
// strings with backslash escapes (octal, hex, C letters, backslash-newline), adjacent pieces
// concatenated; '=' and '+='; comma lists; valueless boolean parameters. Variables ($name,
// ${name}) are refused: stockade never writes them, so one in its output is a quoting bug.

#ifndef STOCKADE_TESTS_FREEBSD_JAIL_CONF_READER_H_
#define STOCKADE_TESTS_FREEBSD_JAIL_CONF_READER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stockade::testing {

struct JailConfParam {
  std::string name;
  std::vector<std::string> values;  // empty for a valueless "name;"
};

struct JailConfJail {
  std::string name;
  std::vector<JailConfParam> params;  // in first-appearance order; '+=' appends, '=' replaces
};

struct JailConfFile {
  std::vector<JailConfJail> jails;
  std::string error;  // empty when the text parsed; else "line N: what"
};

JailConfFile ReadJailConf(std::string_view text);

}  // namespace stockade::testing

#endif  // STOCKADE_TESTS_FREEBSD_JAIL_CONF_READER_H_
