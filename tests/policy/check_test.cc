// SPDX-License-Identifier: BSD-2-Clause
// The checker, feature by feature (docs/policy-language.md): valid policies and the IR they
// produce, and the name and position of every diagnostic a mistake draws.

#include "stockade/policy/check.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::policy {
namespace {

struct Checked {
  SourceSet sources;
  Diagnostics diags;
  std::optional<Policy> policy;
};

// Checks `text` as the policy file "p.yaml" (never read from disk).
std::unique_ptr<Checked> Check(const std::string& text) {
  auto checked = std::make_unique<Checked>();
  const FileId file = checked->sources.Add("p.yaml", text);
  checked->policy = CheckBuffer(checked->sources, file, checked->diags);
  return checked;
}

// "version: 1\nname: t\n" + `body`: most tests only care about one section.
std::unique_ptr<Checked> CheckBody(const std::string& body) {
  return Check("version: 1\nname: t\n" + body);
}

std::string Where(const SourceSet& sources, SourceSpan span) {
  if (!span.valid()) return "nowhere";
  const LineColumn at = sources.Position(span.file, span.begin);
  std::string file = sources.path(span.file);
  file = file.substr(file.find_last_of('/') + 1);
  return (file == "p.yaml" ? "" : file + ":") + std::to_string(at.line) + ":" +
         std::to_string(at.column);
}

// Every diagnostic as "severity name@line:col" ("error unknown-key@3:1"), sorted as the CLI
// prints them, one per line; notes follow as "  note@line:col message".
std::string Diags(const Checked& checked) {
  std::string out;
  for (const Diagnostic& d : checked.diags.Sorted()) {
    out += std::string(d.severity == Severity::kError ? "error " : "warning ") + d.name + "@" +
           Where(checked.sources, d.span) + "\n";
    for (const DiagnosticNote& note : d.notes) {
      out += "  note@" + Where(checked.sources, note.span) + " " + note.message + "\n";
    }
  }
  return out;
}

// The policy of a check that must succeed without any diagnostic.
const Policy& Clean(const Checked& checked) {
  EXPECT_EQ(Diags(checked), "");
  STOCKADE_CHECK(checked.policy.has_value()) << "the policy has errors:\n" << Diags(checked);
  return *checked.policy;
}

// ---- values ------------------------------------------------------------------------------

// The first diagnostic's full text, "name: message; expected".
std::string FirstMessage(const Checked& checked) {
  if (checked.diags.all().empty()) return "no diagnostic";
  const Diagnostic d = checked.diags.Sorted().front();
  return d.name + ": " + d.message + "; " + d.expected;
}

TEST(ValuesTest, QuotedBooleanSaysItIsAString) {
  auto checked = CheckBody("capability_mode: \"true\"\n");
  EXPECT_EQ(Diags(*checked), "error wrong-type@3:18\n");
  EXPECT_EQ(FirstMessage(*checked),
            "wrong-type: 'capability_mode' must be true or false, found the quoted string "
            "'true'; 'true' or 'false' (without quotes)");
  EXPECT_EQ(FirstMessage(*CheckBody("capability_mode: 1\n")),
            "wrong-type: 'capability_mode' must be true or false, found '1'; 'true' or 'false'");
}

TEST(ValuesTest, QuotedVersionIsAWrongType) {
  auto checked = Check("version: \"1\"\nname: t\n");
  EXPECT_EQ(Diags(*checked), "error wrong-type@1:10\n");
  EXPECT_EQ(FirstMessage(*checked),
            "wrong-type: 'version' must be an integer, found the quoted string '1'; version: 1 "
            "(without quotes)");
  EXPECT_EQ(Diags(*Check("version: 2\nname: t\n")), "error unknown-version@1:10\n");
  EXPECT_EQ(Diags(*Check("version: \"2\"\nname: t\n")), "error unknown-version@1:10\n");
}

TEST(ValuesTest, NumbersBeyond64BitsAreOutOfRangeNotWrongType) {
  EXPECT_EQ(Diags(*CheckBody("jail:\n  securelevel: 99999999999999999999\n")),
            "error value-out-of-range@4:16\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  securelevel: -0x99999999999999999999\n")),
            "error value-out-of-range@4:16\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  memoryuse: 99999999999999999999k\n")),
            "error value-out-of-range@4:14\n");
  EXPECT_EQ(Diags(*CheckBody("exec:\n  timeout: 99999999999999999999s\n")),
            "error value-out-of-range@4:12\n");
  // Not numbers at all: still the wrong type.
  EXPECT_EQ(Diags(*CheckBody("jail:\n  securelevel: 9x\n")), "error wrong-type@4:16\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  memoryuse: -5M\n")), "error wrong-type@4:14\n");
  EXPECT_EQ(Diags(*CheckBody("exec:\n  timeout: 0x10s\n")), "error wrong-type@4:12\n");
}

// ---- accept_approximate --------------------------------------------------------------------

TEST(AcceptApproximateTest, EveryClauseIdThePolicyWritesCanBeAccepted) {
  // exec.env is a clause id, but no clause of that id was ever listed: accepting it always
  // drew unused-acceptance.
  auto checked = CheckBody(
      "exec:\n  env: {keep: [LANG]}\n"
      "accept_approximate:\n  - {clause: exec.env, justification: \"why\"}\n");
  EXPECT_EQ(Diags(*checked), "");
  auto unused = CheckBody("accept_approximate:\n  - {clause: exec.env, justification: \"why\"}\n");
  EXPECT_EQ(Diags(*unused), "warning unused-acceptance@4:14\n");
}

// ---- jail --------------------------------------------------------------------------------

TEST(JailTest, StringParametersMayUseTheirWholeLength) {
  // osrelease "must be 1-31 bytes long" (kern_jail.c); max_length is 31.
  auto ok = CheckBody("jail:\n  osrelease: \"" + std::string(31, '1') + "\"\n");
  EXPECT_EQ(Diags(*ok), "");
  ASSERT_TRUE(ok->policy);
  ASSERT_EQ(ok->policy->jail.params.size(), 1u);
  EXPECT_EQ(ok->policy->jail.params[0].value, std::string(31, '1'));
  auto long_one = CheckBody("jail:\n  osrelease: \"" + std::string(32, '1') + "\"\n");
  EXPECT_EQ(Diags(*long_one), "error value-out-of-range@4:14\n");
  EXPECT_EQ(FirstMessage(*long_one),
            "value-out-of-range: 'osrelease' is 32 bytes long; at most 31 bytes");
}

// ---- descriptors -------------------------------------------------------------------------

TEST(DescriptorsTest, RightsNewInFreeBsd15AreWarnedAbout) {
  auto checked = CheckBody(
      "capability_mode: true\n"
      "descriptors:\n"
      "  - path: /srv\n"
      "    type: directory\n"
      "    rights: [CAP_LOOKUP, CAP_FCHROOT, CAP_READ]\n");
  EXPECT_EQ(Diags(*checked), "warning right-not-in-release@7:26\n");
  ASSERT_TRUE(checked->policy);
  const RightInfo* fchroot = FindRight("CAP_FCHROOT");
  ASSERT_NE(fchroot, nullptr);
  EXPECT_TRUE(checked->policy->descriptors.at(0).rights->Has(fchroot->value));
}

// ---- syscalls ----------------------------------------------------------------------------

TEST(SyscallsTest, ConditionNeverTrueIsReportedOncePerCause) {
  // The same on both targets: one warning that names no target.
  auto both = CheckBody("syscalls:\n  allow:\n    - {name: mmap, when: \"arg2 & 0x3 == 0x4\"}\n");
  EXPECT_EQ(Diags(*both), "warning condition-never-true@5:26\n");
  EXPECT_EQ(FirstMessage(*both),
            "condition-never-true: 'arg2 & 0x3 == 0x4' can never hold: the value has bits "
            "outside the mask; a value whose bits all lie inside the mask");
  // O_CREAT is 0x40 on Linux and 0x200 on FreeBSD: only the FreeBSD value lies outside 0xff.
  auto one =
      CheckBody("syscalls:\n  allow:\n    - {name: openat, when: \"arg2 & 0xff == O_CREAT\"}\n");
  EXPECT_EQ(Diags(*one), "warning condition-never-true@5:28\n");
  EXPECT_NE(FirstMessage(*one).find("can never hold on freebsd:"), std::string::npos);
}

TEST(SyscallsTest, ConditionThatEndsEarlySaysSo) {
  auto checked = CheckBody("syscalls:\n  allow:\n    - {name: socket, when: \"arg0 ==\"}\n");
  EXPECT_EQ(Diags(*checked), "error invalid-condition@5:36\n");
  EXPECT_EQ(FirstMessage(*checked),
            "invalid-condition: condition 'arg0 ==' ends too early; a number or a constant name");
}

TEST(SyscallsTest, TargetOnlyNamesHintOnlyAtTheSameCall) {
  // An edit-distance hint would say "freebsd has 'close'" for clone.
  auto clone = CheckBody("syscalls:\n  allow: [clone]\n");
  EXPECT_EQ(Diags(*clone), "warning syscall-target-only@4:11\n");
  EXPECT_EQ(FirstMessage(*clone).find("has '"), std::string::npos) << FirstMessage(*clone);
  auto fstatat = CheckBody("syscalls:\n  allow: [newfstatat]\n");
  EXPECT_NE(FirstMessage(*fstatat).find("(freebsd has 'fstatat')"), std::string::npos);

  // Every hint, for every name one target lacks, names a syscall the other target has.
  for (Target target : kAllTargets) {
    const Target other = target == Target::kLinux ? Target::kFreeBsd : Target::kLinux;
    std::string list;
    for (const SyscallInfo& info : Syscalls(target)) {
      if (!FindSyscall(other, info.name))
        list += std::string(list.empty() ? "" : ", ") + "\"" + std::string(info.name) + "\"";
    }
    auto checked = CheckBody("syscalls:\n  deny: [" + list + "]\n");
    const std::string has = " (" + std::string(TargetName(other)) + " has '";
    size_t hints = 0;
    for (const Diagnostic& d : checked->diags.all()) {
      ASSERT_EQ(d.name, "syscall-target-only");
      const size_t at = d.expected.find(has);
      if (at == std::string::npos) continue;
      const size_t begin = at + has.size();
      const std::string hint = d.expected.substr(begin, d.expected.find('\'', begin) - begin);
      EXPECT_NE(FindSyscall(other, hint), nullptr) << d.message << ": " << hint;
      ++hints;
    }
    EXPECT_GT(hints, 10u) << TargetName(target);
  }
}

TEST(SyscallsTest, PerTargetListsNameTheOtherTargetsSpelling) {
  auto checked = CheckBody(
      "syscalls:\n  linux:\n    allow: [fstatat, \"@capsicum\"]\n"
      "  freebsd:\n    allow: [newfstatat, clone, fstat]\n");
  EXPECT_EQ(Diags(*checked),
            "error unknown-syscall@5:13\n"
            "error unknown-syscall-group@5:22\n"
            "error unknown-syscall@7:13\n"
            "error unknown-syscall@7:25\n");
  std::vector<std::string> messages;
  for (const Diagnostic& d : checked->diags.Sorted()) messages.push_back(d.message);
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "unknown syscall 'fstatat' for linux; 'fstatat' is a freebsd syscall, "
                          "linux calls it 'newfstatat'",
                          "unknown syscall group '@capsicum' for linux; '@capsicum' is a freebsd "
                          "group",
                          "unknown syscall 'newfstatat' for freebsd; 'newfstatat' is a linux "
                          "syscall, freebsd calls it 'fstatat'",
                          "unknown syscall 'clone' for freebsd; 'clone' is a linux syscall"}));
}

// ---- filesystem --------------------------------------------------------------------------

TEST(FilesystemTest, MountOnTheImplicitProcPointsAtTheMount) {
  auto implicit = CheckBody("filesystem:\n  root: {type: empty}\n  mounts: [/proc]\n");
  EXPECT_EQ(Diags(*implicit),
            "error duplicate-target@5:12\n"
            "  note@4:3 the sandbox's own procfs is mounted there ('filesystem.proc' is true by "
            "default)\n");
  auto explicit_dev = CheckBody("filesystem:\n  mounts: [/dev]\n  dev: true\n");
  EXPECT_EQ(Diags(*explicit_dev),
            "error duplicate-target@4:12\n  note@5:8 the sandbox's own devfs is mounted there\n");
  // With proc: false the path is free.
  auto free = CheckBody("filesystem:\n  proc: false\n  mounts: [/proc]\n");
  const Policy& p = Clean(*free);
  EXPECT_FALSE(p.filesystem.proc);
  ASSERT_EQ(p.filesystem.mounts.size(), 1u);
  EXPECT_EQ(p.filesystem.mounts[0].target, "/proc");
}

TEST(FilesystemTest, SymlinkOnTheRootIsAnError) {
  // It used to be dropped without a word.
  EXPECT_EQ(Diags(*CheckBody("filesystem:\n  symlinks: [{path: /, target: srv}]\n")),
            "error invalid-path@4:21\n");
}

// ---- network -----------------------------------------------------------------------------

TEST(NetworkTest, AnInvalidAddressIsNotAlsoAMissingOne) {
  EXPECT_EQ(Diags(*CheckBody("network:\n  mode: vnet\n  addresses: [10.0.0.300/24]\n")),
            "error invalid-address@5:15\n");
  EXPECT_EQ(Diags(*CheckBody("network:\n  mode: vnet\n  addresses: []\n")),
            "error missing-key@5:14\n");
  EXPECT_EQ(Diags(*CheckBody("network:\n  mode: vnet\n")), "error missing-key@4:3\n");
}

}  // namespace
}  // namespace stockade::policy
