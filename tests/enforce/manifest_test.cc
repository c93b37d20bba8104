// SPDX-License-Identifier: BSD-2-Clause
// The launcher manifest: round trips and the parser's refusals.

#include "stockade/launch/manifest.h"

#include <gtest/gtest.h>

namespace stockade::launch {
namespace {

Manifest Sample() {
  Manifest m;
  m.program = "/usr/local/bin/python3.11";
  m.argv = {"python3", "-c", "print('a b\n%c')", ""};
  m.workdir = "/work dir";
  m.user = "www";
  m.group = "www";
  m.env_clean = true;
  m.env_keep = {"LANG", "TZ"};
  m.env_set = {"PATH=/usr/bin:/bin", "GREETING=héllo wörld", "EMPTY="};
  m.capability_mode = true;
  m.interpreter = "/libexec/ld-elf.so.1";
  m.library_dirs = {"/lib", "/usr/lib", "/usr/local/lib"};
  m.preload = "/usr/local/lib/stockade/libstockade-preopen.so";
  m.keep = {0, 1, 2};
  m.preopens = {{3, kRead | kDirectory, 0, "/srv/data"},
                {4, kWrite | kCreate | kAppend, 0640, "/srv/out/log file.txt"}};
  RightSet rights;
  rights.Add(FindRight("CAP_READ")->value).Add(FindRight("CAP_LOOKUP")->value);
  m.limits = {{1, rights, std::vector<uint64_t>{0x40087468, 0x4004667f}, std::nullopt},
              {3, rights, std::nullopt, 0x8},
              {4, std::nullopt, std::vector<uint64_t>{}, std::nullopt}};
  return m;
}

TEST(ManifestTest, RoundTrips) {
  const Manifest m = Sample();
  const std::string text = WriteManifest(m);
  Expected<Manifest> parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message() << "\n" << text;
  EXPECT_EQ(*parsed, m);
  EXPECT_EQ(WriteManifest(*parsed), text);
}

TEST(ManifestTest, HostileStringsStayOneField) {
  Manifest m;
  m.program = "/bin/x";
  // (A NUL byte cannot reach the program inside a C string: the parser refuses it, see
  // RefusesNulBytes.)
  m.argv = {"x", "a\nend\nprogram /evil", "%41", " ", "\t\r", "\x7f\xff"};
  m.keep = {1};
  const std::string text = WriteManifest(m);
  EXPECT_EQ(text.find("\nend\nprogram /evil"), std::string::npos);
  Expected<Manifest> parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->argv, m.argv);
  EXPECT_EQ(parsed->program, "/bin/x");
}

TEST(ManifestTest, FieldEncoding) {
  EXPECT_EQ(EncodeField("a b%c\n"), "a%20b%25c%0A");
  EXPECT_EQ(DecodeField("a%20b%25c%0A"), "a b%c\n");
  EXPECT_FALSE(DecodeField("%41"));  // 'A' must not be encoded: one spelling only
  EXPECT_FALSE(DecodeField("%0a"));  // lower-case hex is not canonical
  EXPECT_FALSE(DecodeField("%2"));
  EXPECT_FALSE(DecodeField("%"));
  EXPECT_FALSE(DecodeField("a\tb"));
}

std::string Minimal(const std::string& body) {
  return "stockade-manifest 1\nprogram /bin/x\narg x\n" + body + "end\n";
}

void ExpectRefused(const std::string& text, const std::string& why) {
  Expected<Manifest> parsed = ParseManifest(text);
  ASSERT_FALSE(parsed.has_value()) << "accepted:\n" << text;
  EXPECT_NE(parsed.error().message().find(why), std::string::npos)
      << parsed.error().message() << "\nexpected to mention: " << why;
}

TEST(ManifestTest, RefusesMalformedInput) {
  ExpectRefused("", "empty");
  ExpectRefused("stockade-manifest 2\nend\n", "unsupported manifest version '2'");
  ExpectRefused("stockade-manifest 1\nprogram /bin/x\narg x\n", "no 'end'");
  ExpectRefused("stockade-manifest 1\nprogram /bin/x\narg x\nend", "truncated");
  ExpectRefused(Minimal("") + "arg y\n", "after 'end'");
  ExpectRefused(Minimal("frobnicate 1\n"), "line 4: unknown record 'frobnicate'");
  ExpectRefused(Minimal("program /bin/y\n"), "'program PATH' once");
  ExpectRefused(Minimal("keep 3\n"), "keep 0|1|2");
  ExpectRefused(Minimal("keep 1\nkeep 1\n"), "descriptor named twice");
  ExpectRefused(Minimal("open 2 rdonly 0 /x\n"), "from 3 to 1023");
  ExpectRefused(Minimal("open 1024 rdonly 0 /x\n"), "from 3 to 1023");
  ExpectRefused(Minimal("open 03 rdonly 0 /x\n"), "from 3 to 1023");
  ExpectRefused(Minimal("keep -0\n"), "keep 0|1|2");  // one spelling per number
  ExpectRefused(Minimal("open -3 rdonly 0 /x\n"), "from 3 to 1023");
  ExpectRefused(Minimal("open 3 rdonly,wronly 0 /x\n"), "invalid open flags");
  ExpectRefused(Minimal("open 3 rdonly,bogus 0 /x\n"), "invalid open flags");
  ExpectRefused(Minimal("open 3 rdonly 9 /x\n"), "invalid mode");
  ExpectRefused(Minimal("open 3 rdonly 0 relative\n"), "absolute");
  ExpectRefused(Minimal("rights 7 0x200000000000001 0x400000000000000\n"), "does not get");
  ExpectRefused(Minimal("keep 1\nrights 1 0x1 0x400000000000000\n"), "not a cap_rights_t");
  ExpectRefused(Minimal("keep 1\nrights 1 0x200000000000001 0x400000000000000\n"
                        "rights 1 0x200000000000001 0x400000000000000\n"),
                "once per descriptor");
  ExpectRefused(Minimal("keep 1\nfcntls 1 0x80\n"), "within 0x78");
  ExpectRefused(Minimal("keep 1\nioctls 1 12\n"), "invalid ioctl command");
  ExpectRefused(Minimal("env-set =x\n"), "NAME=VALUE");
  ExpectRefused(Minimal("library-dir /lib\n"), "without 'interpreter'");
  ExpectRefused(Minimal("group wheel\n"), "'group' without 'user'");
  ExpectRefused(Minimal("capability-mode yes\n"), "capability-mode 0|1");
  ExpectRefused("stockade-manifest 1\narg x\nend\n", "no 'program'");
  ExpectRefused(Minimal("arg  two-spaces\n"), "");
}

// fuzz/regressions/manifest_fuzzer/refusal-message-carries-decoded-newline: a refusal quoted
// the decoded field, so "%0A" put a newline (and "%1B" a terminal escape) into the message the
// launcher prints. Fields are quoted as the manifest spells them, and cut short.
TEST(ManifestTest, RefusalsQuoteFieldsEncoded) {
  ExpectRefused(Minimal("rightse%0A\n"), "unknown record 'rightse%0A'");
  ExpectRefused(Minimal("%1B[2J 1\n"), "unknown record '%1B[2J'");
  ExpectRefused("stockade-manifest %0A\nend\n", "unsupported manifest version '%0A'");
  ExpectRefused(Minimal("keep 1\nioctls 1 0x1 %7F\n"), "invalid ioctl command '%7F'");
  ExpectRefused(Minimal("open 3 rdonly,%09 0 /x\n"), "invalid open flags 'rdonly,%09'");
  const std::string long_key(1000, 'k');
  Expected<Manifest> parsed = ParseManifest(Minimal(long_key + "\n"));
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LT(parsed.error().message().size(), 120u) << parsed.error().message();
  EXPECT_NE(parsed.error().message().find("kkk...'"), std::string::npos);
  for (const std::string& bad : {Minimal("rightse%0A\n"), Minimal("%1B[2J 1\n")}) {
    const std::string message = ParseManifest(bad).error().message();
    for (char c : message) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << message;
  }
}

// fuzz/regressions/manifest_fuzzer/nul-byte-in-program-path: "%00" decoded to a NUL, and the
// launcher's c_str() would have opened /usr/r instead of the path the manifest names.
TEST(ManifestTest, RefusesNulBytes) {
  ExpectRefused("stockade-manifest 1\nprogram /bin/sh%00x\narg x\nend\n", "NUL byte");
  ExpectRefused(Minimal("arg a%00b\n"), "line 4: a field holds a NUL byte");
  ExpectRefused(Minimal("env-set A=%00\n"), "NUL byte");
  ExpectRefused(Minimal("open 3 rdonly 0 /srv%00/x\n"), "NUL byte");
  EXPECT_EQ(DecodeField("%00"), std::string(1, '\0'));  // the encoding itself is fine
}

TEST(ManifestTest, RefusesOversizedInput) {
  std::string huge = "stockade-manifest 1\n";
  while (huge.size() <= kMaxManifestBytes) huge += "# padding padding padding padding\n";
  ExpectRefused(huge, "larger than 1 MiB");
  std::string many = "stockade-manifest 1\nprogram /bin/x\n";
  for (size_t i = 0; i <= kMaxRecords; ++i) many += "arg x\n";
  ExpectRefused(many + "end\n", "more than 8192 records");
}

}  // namespace
}  // namespace stockade::launch
