// SPDX-License-Identifier: BSD-2-Clause
// jail.conf, sh and fstab quoting: every value must come back unchanged through the reader
// that does what jail(8)'s lexer does, through a real sh(1), and through vis(3) decoding.

#include "stockade/freebsd/quoting.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "freebsd_test_util.h"
#include "jail_conf_reader.h"

namespace stockade::freebsd {
namespace {

const std::vector<std::string>& Hostile() {
  static const std::vector<std::string> values = {
      "",
      "plain",
      "with space",
      "it's",
      "\"double\"",
      "back\\slash",
      "trailing backslash\\",
      "$HOME ${HOME} $(id) `id`",
      "semi;colon {brace} # not a comment // nor this /* nor */",
      "new\nline",
      "\nleading newline",
      "tab\there\r\v\f",
      "\\\n",
      "\\012 looks like an escape",
      "un\xc3\xaf"
      "code \xe2\x98\x83 \xf0\x9f\x90\xa1",
      "=,+=;",
      "'\"'\"'",
      "-starts-with-dash",
      std::string("bell\a\x01\x1f\x7f end"),
      "0123",
  };
  return values;
}

std::string RoundTripJailConf(const std::string& value) {
  const std::string text = "j {\n\tp = " + QuoteJailConf(value) + ";\n}\n";
  testing::JailConfFile file = testing::ReadJailConf(text);
  EXPECT_EQ(file.error, "") << text;
  if (file.jails.size() != 1 || file.jails[0].params.size() != 1 ||
      file.jails[0].params[0].values.size() != 1) {
    ADD_FAILURE() << "unexpected structure for " << text;
    return "<none>";
  }
  return file.jails[0].params[0].values[0];
}

TEST(QuoteJailConfTest, HostileValuesRoundTrip) {
  for (const std::string& value : Hostile()) {
    EXPECT_EQ(RoundTripJailConf(value), value) << QuoteJailConf(value);
  }
}

TEST(QuoteJailConfTest, EveryByteRoundTripsAlone) {
  for (int byte = 1; byte < 256; ++byte) {
    const std::string value = "a" + std::string(1, static_cast<char>(byte)) + "7b";
    EXPECT_EQ(RoundTripJailConf(value), value) << "byte " << byte;
  }
}

TEST(QuoteJailConfTest, OutputStaysOnOneLineWithoutControlBytes) {
  for (const std::string& value : Hostile()) {
    for (char c : QuoteJailConf(value)) {
      const auto byte = static_cast<unsigned char>(c);
      EXPECT_FALSE(byte < 0x20 || byte == 0x7f)
          << "control byte " << int(byte) << " in " << QuoteJailConf(value);
    }
  }
}

TEST(QuoteJailConfTest, SimpleTokensStayBare) {
  EXPECT_EQ(QuoteJailConf("web-nginx"), "web-nginx");
  EXPECT_EQ(QuoteJailConf("10.77.1.2"), "10.77.1.2");
  EXPECT_EQ(QuoteJailConf("/var/run"), "'/var/run'");  // '/' may start a comment
  EXPECT_EQ(QuoteJailConf(""), "''");
  EXPECT_EQ(QuoteJailConf("a'b\\c"), "'a\\'b\\\\c'");
}

TEST(ShellQuoteTest, RealShellPrintsTheWordBack) {
  for (const std::string& word : Hostile()) {
    std::string output;
    ASSERT_EQ(testing::RunShell("printf '%s' " + ShellQuote(word), &output), 0) << word;
    EXPECT_EQ(output, word);
  }
}

TEST(ShellQuoteTest, CommandKeepsWordsApart) {
  std::string output;
  const std::vector<std::string> words = {"printf", "[%s]", "a b", "", "c'd", "$x"};
  ASSERT_EQ(testing::RunShell(ShellCommand(words), &output), 0);
  EXPECT_EQ(output, "[a b][][c'd][$x]");
  EXPECT_EQ(ShellQuote("/usr/bin/rctl"), "/usr/bin/rctl");
  EXPECT_EQ(ShellQuote("jail:x:memoryuse:deny=1"), "jail:x:memoryuse:deny=1");
}

// vis(3)'s octal escapes, as strunvis decodes them in jail(8)'s 'mount' lines.
std::string Unvis(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

TEST(FstabEscapeTest, NoBlanksLeftAndDecodesBack) {
  for (const std::string& value : Hostile()) {
    const std::string escaped = FstabEscape(value);
    EXPECT_EQ(escaped.find_first_of(" \t\n\r\v\f"), std::string::npos) << escaped;
    EXPECT_EQ(Unvis(escaped), value);
  }
  EXPECT_EQ(FstabEscape("/srv/my dir\\x"), "/srv/my\\040dir\\134x");
}

}  // namespace
}  // namespace stockade::freebsd
