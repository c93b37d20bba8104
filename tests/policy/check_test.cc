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

// Checks the file at `path` and everything it extends.
std::unique_ptr<Checked> CheckPath(const std::filesystem::path& path) {
  auto checked = std::make_unique<Checked>();
  auto result = CheckFile(path, checked->sources, checked->diags);
  EXPECT_TRUE(result.has_value()) << result.error().message();
  if (result) checked->policy = std::move(*result);
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

// The names of a filter's rules, in order ("read write").
std::string RuleNames(const std::vector<SyscallRule>& rules) {
  std::string out;
  for (const SyscallRule& rule : rules) out += (out.empty() ? "" : " ") + rule.name;
  return out;
}

const SyscallRule* FindRule(const std::vector<SyscallRule>& rules, std::string_view name) {
  for (const SyscallRule& rule : rules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
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

TEST(AcceptApproximateTest, FidelityIsApproximatedOrNotEnforced) {
  auto checked = CheckBody(
      "limits:\n  memoryuse: 64M\n"
      "accept_approximate:\n"
      "  - {clause: limits.memoryuse, backend: linux, fidelity: not-enforced, justification: w}\n");
  EXPECT_EQ(Diags(*checked), "");
  ASSERT_TRUE(checked->policy);
  ASSERT_EQ(checked->policy->accept_approximate.size(), 1u);
  EXPECT_TRUE(checked->policy->accept_approximate[0].not_enforced);
  auto plain = CheckBody(
      "limits:\n  memoryuse: 64M\n"
      "accept_approximate:\n  - {clause: limits.memoryuse, justification: w}\n");
  ASSERT_TRUE(plain->policy);
  EXPECT_FALSE(plain->policy->accept_approximate[0].not_enforced);
  auto bad = CheckBody(
      "limits:\n  memoryuse: 64M\n"
      "accept_approximate:\n  - {clause: limits.memoryuse, fidelity: none, justification: w}\n");
  EXPECT_EQ(Diags(*bad), "error invalid-value@6:42\n");
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

// fuzz/regressions/policy_load_fuzzer/nul-byte-in-exec-command (the fuzzer's NUL property): a
// "\0" escape in a quoted argument checked clean, and '/bin/sh\0-evil' would have run /bin/sh.
TEST(ExecTest, NulByteInCommandIsRefused) {
  auto checked = CheckBody("exec:\n  command: [\"/bin/sh\\0-evil\", \"a\\0b\"]\n");
  EXPECT_EQ(Diags(*checked), "error invalid-value@4:13\nerror invalid-value@4:31\n");
  EXPECT_FALSE(checked->policy);
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

TEST(NetworkTest, GatewayDefaultsToTheFirstFreeHostOfTheFirstPrefix) {
  auto gateway = [](const std::string& network) -> std::string {
    auto checked = CheckBody("network:\n  mode: vnet\n" + network);
    EXPECT_TRUE(checked->policy.has_value()) << Diags(*checked);
    if (!checked->policy) return "error";
    const auto& g = checked->policy->network.gateway;
    return g ? g->text : "none";
  };
  EXPECT_EQ(gateway("  addresses: [10.77.0.2/24]\n"), "10.77.0.1/32");
  EXPECT_EQ(gateway("  addresses: [10.77.0.1/24, 10.77.0.2/24]\n"), "10.77.0.3/32");
  EXPECT_EQ(gateway("  addresses: [fd77:1::2/64, 10.0.0.2/8]\n"), "fd77:1::1/128");
  EXPECT_EQ(gateway("  addresses: [10.0.0.255/23]\n"), "10.0.0.1/32");
  EXPECT_EQ(gateway("  addresses: [10.0.0.1/30, 10.0.0.2/30]\n"), "none");  // .3 broadcasts
  EXPECT_EQ(gateway("  addresses: [10.0.0.2/32]\n"), "none");
  EXPECT_EQ(gateway("  addresses: [10.0.0.2/31]\n"), "none");
  EXPECT_EQ(gateway("  addresses: [fd00::2/127]\n"), "none");
  EXPECT_EQ(gateway("  addresses: [10.0.0.2/24]\n  gateway: 10.9.9.9\n"), "10.9.9.9/32");
}

// ---- extends -----------------------------------------------------------------------------

TEST(ExtendsTest, MergeRules) {
  testing::TempDir dir;
  dir.Write("base/common.yaml",
            "version: 1\n"
            "name: common\n"
            "hostname: base-host\n"
            "exec:\n"
            "  user: nobody\n"
            "  workdir: /base\n"
            "  command: [/bin/sh, -c, base]\n"
            "syscalls:\n"
            "  default: kill\n"
            "  allow: [write, read]\n"
            "network:\n"
            "  mode: vnet\n"
            "  addresses: [10.0.0.2/24, fd00::2/64]\n"
            "  gateway: 10.0.0.1\n"
            "limits:\n"
            "  memoryuse: 512M\n"
            "  maxproc: 32\n"
            "  vmemoryuse: [{amount: 1G, action: log}, {amount: 2G, action: deny}]\n"
            "filesystem:\n"
            "  mounts: [{source: /usr}]\n");
  const auto path = dir.Write("agent.yaml",
                              "version: 1\n"
                              "extends: base/common.yaml\n"
                              "name: agent\n"
                              "exec:\n"
                              "  workdir: /agent\n"
                              "  command: [/usr/bin/python3]\n"
                              "syscalls:\n"
                              "  allow: [mmap]\n"
                              "network:\n"
                              "  addresses: [10.0.0.3/24]\n"
                              "limits:\n"
                              "  memoryuse: 1G\n"
                              "  vmemoryuse: 3G\n"
                              "filesystem:\n"
                              "  mounts: [{source: /opt}]\n");
  auto checked = CheckPath(path);
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.name, "agent");          // 2: scalars are replaced
  EXPECT_EQ(p.hostname, "base-host");  // 1: a key only the base has is kept
  EXPECT_EQ(p.exec.user, "nobody");
  EXPECT_EQ(p.exec.workdir, "/agent");  // 1: mappings merge, one level down too
  EXPECT_EQ(p.exec.command, std::vector<std::string>{"/usr/bin/python3"});    // 3: replaced whole
  EXPECT_EQ(RuleNames(p.syscalls[Target::kLinux].allow), "mmap read write");  // 3: concatenated
  ASSERT_EQ(p.network.addresses.size(), 1u);                                  // 3: replaced whole
  EXPECT_EQ(p.network.addresses[0].text, "10.0.0.3/24");
  ASSERT_TRUE(p.network.gateway);
  EXPECT_EQ(p.network.gateway->text, "10.0.0.1/32");
  ASSERT_EQ(p.filesystem.mounts.size(), 2u);  // 3: base entries first
  EXPECT_EQ(p.filesystem.mounts[0].source, "/usr");
  EXPECT_EQ(p.filesystem.mounts[1].source, "/opt");
  // 4: a list in the base, a scalar here: replaced, so one rule of 3G is left.
  std::vector<std::string> limits;
  for (const Limit& limit : p.limits) {
    limits.push_back(limit.resource + "=" + std::to_string(limit.amount));
  }
  EXPECT_EQ(limits, (std::vector<std::string>{"memoryuse=1073741824", "maxproc=32",
                                              "vmemoryuse=3221225472"}));
  // Spans point into the file that wrote each value; the files are listed root first.
  EXPECT_EQ(Where(checked->sources, p.exec.user_span), "common.yaml:5:9");
  EXPECT_EQ(Where(checked->sources, p.exec.workdir_span), "agent.yaml:5:12");
  ASSERT_EQ(p.files.size(), 2u);
  EXPECT_EQ(p.files[0], path.string());
  EXPECT_EQ(std::filesystem::path(p.files[1]).filename(), "common.yaml");
}

TEST(ExtendsTest, BasesAreReadInListOrderEachAfterItsOwnBases) {
  testing::TempDir dir;
  dir.Write("a.yaml", "version: 1\nextends: a0.yaml\nhostname: from-a\n");
  dir.Write("a0.yaml", "version: 1\nhostname: from-a0\nexec: {workdir: /a0}\n");
  dir.Write("b.yaml", "version: 1\nhostname: from-b\nexec: {workdir: /b}\n");
  auto checked = CheckPath(dir.Write("p.yaml", "version: 1\nextends: [a.yaml, b.yaml]\nname: p\n"));
  const Policy& p = Clean(*checked);
  // a0, then a, then b, then p: the last writer of each scalar wins.
  EXPECT_EQ(p.hostname, "from-b");
  EXPECT_EQ(p.exec.workdir, "/b");
  std::vector<std::string> files;
  for (const std::string& file : p.files) {
    files.push_back(std::filesystem::path(file).filename().string());
  }
  EXPECT_EQ(files, (std::vector<std::string>{"p.yaml", "a.yaml", "a0.yaml", "b.yaml"}));
}

TEST(ExtendsTest, DiamondIsMergedOnce) {
  testing::TempDir dir;
  dir.Write("left.yaml", "version: 1\nextends: shared.yaml\n");
  dir.Write("right.yaml", "version: 1\nextends: shared.yaml\n");
  dir.Write("shared.yaml",
            "version: 1\nsyscalls:\n  allow: [read]\nfilesystem:\n  mounts: [/usr]\n");
  auto checked =
      CheckPath(dir.Write("p.yaml", "version: 1\nextends: [left.yaml, right.yaml]\nname: p\n"));
  const Policy& p = Clean(*checked);
  // Merged twice, the mount would clash with itself (duplicate-target) and read be listed twice.
  EXPECT_EQ(RuleNames(p.syscalls[Target::kLinux].allow), "read");
  EXPECT_EQ(p.filesystem.mounts.size(), 1u);
}

TEST(ExtendsTest, DiagnosticsInABaseNameWhereItIsExtended) {
  testing::TempDir dir;
  dir.Write("bases/outer.yaml", "version: 1\nextends: inner.yaml\n");
  dir.Write("bases/inner.yaml", "version: 1\nlimits:\n  memroyuse: 1G\n");
  auto checked = CheckPath(dir.Write("p.yaml", "version: 1\nname: p\nextends: bases/outer.yaml\n"));
  const std::string bases = (dir.path() / "bases").string();
  EXPECT_EQ(Diags(*checked),
            "error unknown-resource@inner.yaml:3:3\n"
            "  note@outer.yaml:2:10 '" +
                bases +
                "/inner.yaml' is extended here\n"
                "  note@3:10 '" +
                bases + "/outer.yaml' is extended here\n");
}

TEST(ExtendsTest, ClashesAfterMergingPointAtBothFiles) {
  testing::TempDir dir;
  dir.Write("base.yaml", "version: 1\ndescriptors:\n  - {path: /srv/a, fd: 3}\n");
  auto checked = CheckPath(dir.Write(
      "p.yaml",
      "version: 1\nextends: base.yaml\nname: p\ndescriptors:\n  - {path: /srv/b, fd: 3}\n"));
  EXPECT_EQ(Diags(*checked),
            "error duplicate-fd@5:24\n  note@base.yaml:3:24 first described here\n");
}

TEST(ExtendsTest, EveryFileNeedsItsVersionAndExtendsIsNotMerged) {
  testing::TempDir dir;
  dir.Write("noversion.yaml", "hostname: x\n");
  auto missing = CheckPath(dir.Write("p.yaml", "version: 1\nname: p\nextends: noversion.yaml\n"));
  const std::string base = (dir.path() / "noversion.yaml").string();
  EXPECT_EQ(Diags(*missing),
            "error missing-key@noversion.yaml:1:1\n  note@3:10 '" + base + "' is extended here\n");
  // A base's own 'extends' is resolved relative to the base, and never reaches the policy.
  dir.Write("sub/b1.yaml", "version: 1\nextends: b2.yaml\n");
  dir.Write("sub/b2.yaml", "version: 1\nhostname: deep\n");
  auto chain = CheckPath(dir.Write("q.yaml", "version: 1\nname: q\nextends: [sub/b1.yaml]\n"));
  EXPECT_EQ(Clean(*chain).hostname, "deep");
}

TEST(ExtendsTest, ChainOfSixteenFilesIsTheLimit) {
  testing::TempDir dir;
  for (int i = 1; i <= 16; ++i) {
    dir.Write("b" + std::to_string(i) + ".yaml",
              i < 16 ? "version: 1\nextends: b" + std::to_string(i + 1) + ".yaml\n"
                     : std::string("version: 1\nname: deep\n"));
  }
  auto fifteen = CheckPath(dir.Write("p.yaml", "version: 1\nextends: b2.yaml\n"));
  EXPECT_EQ(Clean(*fifteen).name, "deep");  // p + b2..b16: 16 files
  auto sixteen = CheckPath(dir.Write("q.yaml", "version: 1\nextends: b1.yaml\n"));
  ASSERT_TRUE(sixteen->diags.has_errors());
  EXPECT_EQ(sixteen->diags.Sorted()[0].name, "extends-too-deep");
  EXPECT_EQ(Where(sixteen->sources, sixteen->diags.Sorted()[0].span), "b15.yaml:2:10");
}

// CheckOptions::read_base (the fuzzers' in-memory files): every base comes from the function,
// paths are compared lexically, and nothing is read from disk, not even a file that exists.
TEST(ExtendsTest, ReadBaseServesEveryBaseFromMemory) {
  testing::TempDir dir;
  const std::filesystem::path on_disk = dir.Write("real.yaml", "version: 1\nname: disk\n");
  std::vector<std::string> asked;
  CheckOptions options;
  options.read_base = [&](const std::filesystem::path& path,
                          const LoadLimits&) -> Expected<std::string> {
    asked.push_back(path.string());
    if (path == "/mem/base.yaml") return std::string("version: 1\nname: memory\n");
    if (path == "/mem/loop.yaml") return std::string("version: 1\nextends: ../mem/p.yaml\n");
    return Error(ErrorCode::kNotFound, "not in memory");
  };
  auto check = [&](const std::string& text) {
    auto checked = std::make_unique<Checked>();
    const FileId file = checked->sources.Add("/mem/p.yaml", text);
    checked->policy = CheckBuffer(checked->sources, file, checked->diags, options);
    return checked;
  };
  EXPECT_EQ(Clean(*check("version: 1\nextends: ./sub/../base.yaml\n")).name, "memory");
  EXPECT_EQ(asked, std::vector<std::string>{"/mem/base.yaml"});
  auto missing = check("version: 1\nextends: " + on_disk.string() + "\n");
  EXPECT_EQ(Diags(*missing), "error extends-not-found@2:10\n");
  auto cycle = check("version: 1\nname: t\nextends: loop.yaml\n");
  EXPECT_EQ(cycle->diags.Sorted().at(0).name, "extends-cycle");
}

// ---- exec --------------------------------------------------------------------------------

TEST(ExecTest, Defaults) {
  auto checked = CheckBody("");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.hostname, "t");  // hostname defaults to the name
  EXPECT_EQ(p.exec.user, "nobody");
  EXPECT_EQ(p.exec.group, "");
  EXPECT_EQ(p.exec.workdir, "/");
  EXPECT_TRUE(p.exec.env_clean);
  EXPECT_FALSE(p.exec.timeout_ms);
  EXPECT_FALSE(p.exec.core_dumps);
  EXPECT_TRUE(p.exec.command.empty());
}

TEST(ExecTest, EveryField) {
  auto checked = CheckBody(
      "exec:\n"
      "  user: 1000\n"
      "  group: staff\n"
      "  workdir: /work\n"
      "  env:\n"
      "    clean: true\n"
      "    keep: [LANG, TZ]\n"
      "    set: {PATH: /usr/bin, EMPTY: \"\", _x1: \"a b\"}\n"
      "  timeout: 1500ms\n"
      "  core_dumps: true\n"
      "  command: [/bin/echo, \"\", hi]\n");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.exec.user, "1000");
  EXPECT_EQ(p.exec.group, "staff");
  EXPECT_EQ(p.exec.workdir, "/work");
  EXPECT_EQ(p.exec.env_keep, (std::vector<std::string>{"LANG", "TZ"}));
  ASSERT_EQ(p.exec.env_set.size(), 3u);
  EXPECT_EQ(p.exec.env_set[0].name, "PATH");
  EXPECT_EQ(p.exec.env_set[1].value, "");
  EXPECT_EQ(p.exec.env_set[2].value, "a b");
  EXPECT_EQ(p.exec.timeout_ms, 1500u);
  EXPECT_TRUE(p.exec.core_dumps);
  EXPECT_EQ(p.exec.command, (std::vector<std::string>{"/bin/echo", "", "hi"}));
  EXPECT_EQ(Where(checked->sources, p.exec.timeout_span), "11:12");
}

TEST(ExecTest, DurationUnits) {
  const std::pair<const char*, uint64_t> cases[] = {{"45", 45'000},     {"30s", 30'000},
                                                    {"5m", 300'000},    {"2h", 7'200'000},
                                                    {"1d", 86'400'000}, {"1500ms", 1'500}};
  for (const auto& [text, ms] : cases) {
    auto checked = CheckBody("exec:\n  timeout: " + std::string(text) + "\n");
    EXPECT_EQ(Clean(*checked).exec.timeout_ms, ms) << text;
  }
  EXPECT_EQ(Diags(*CheckBody("exec:\n  timeout: 5w\n")), "error wrong-type@4:12\n");
  EXPECT_EQ(Diags(*CheckBody("exec:\n  timeout: 0\n")), "error value-out-of-range@4:12\n");
}

TEST(ExecTest, RootIsADangerousGrantUnlessJustified) {
  EXPECT_EQ(Diags(*CheckBody("exec:\n  user: root\n")), "warning dangerous-grant@4:9\n");
  EXPECT_EQ(Diags(*CheckBody("exec:\n  user: 0\n")), "warning dangerous-grant@4:9\n");
  auto justified = CheckBody("exec:\n  user: {name: root, justification: \"it binds port 80\"}\n");
  const Policy& p = Clean(*justified);
  EXPECT_EQ(p.exec.user, "root");
  EXPECT_TRUE(p.exec.user_justified);
  EXPECT_EQ(Diags(*CheckBody("exec:\n  user: {name: root, justification: \"\"}\n")),
            "error invalid-value@4:37\n");
}

TEST(ExecTest, DirtyEnvironmentIsWarned) {
  auto checked = CheckBody("exec:\n  env: {clean: false}\n");
  EXPECT_EQ(Diags(*checked), "warning env-not-clean@4:16\n");
  ASSERT_TRUE(checked->policy);
  EXPECT_FALSE(checked->policy->exec.env_clean);
}

// ---- syscalls ----------------------------------------------------------------------------

TEST(SyscallsTest, NoSectionMeansNoFilter) {
  auto checked = CheckBody("");
  const Policy& p = Clean(*checked);
  EXPECT_FALSE(p.syscalls[Target::kLinux].present);
  EXPECT_FALSE(p.syscalls[Target::kFreeBsd].present);
}

TEST(SyscallsTest, DefaultActions) {
  struct Case {
    const char* text;
    ActionKind kind;
    // What a deny rule without 'action' gets (docs: the default when it denies, else EPERM).
    ActionKind deny_kind;
  };
  const Case cases[] = {
      {"", ActionKind::kKillProcess, ActionKind::kKillProcess},
      {"  default: kill\n", ActionKind::kKillProcess, ActionKind::kKillProcess},
      {"  default: trap\n", ActionKind::kTrap, ActionKind::kTrap},
      {"  default: log\n", ActionKind::kLog, ActionKind::kErrno},
      {"  default: allow\n  justification: \"a deny-list policy\"\n", ActionKind::kAllow,
       ActionKind::kErrno},
      {"  default: {errno: ENOSYS}\n", ActionKind::kErrno, ActionKind::kErrno},
  };
  for (const Case& c : cases) {
    auto checked = CheckBody("syscalls:\n" + std::string(c.text) + "  deny: [mkdir]\n");
    const Policy& p = Clean(*checked);
    for (Target target : kAllTargets) {
      const SyscallFilter& filter = p.syscalls[target];
      EXPECT_TRUE(filter.present);
      EXPECT_EQ(filter.default_action.kind, c.kind) << c.text;
      ASSERT_EQ(filter.deny.size(), 1u);
      EXPECT_EQ(filter.deny[0].action.kind, c.deny_kind) << c.text;
    }
  }
  // The errno default, and the EPERM a deny rule falls back to, have each target's value.
  auto enosys = CheckBody("syscalls:\n  default: {errno: ENOSYS}\n  deny: [mkdir]\n");
  const Policy& p = Clean(*enosys);
  EXPECT_EQ(p.syscalls[Target::kLinux].default_action.errno_value[Target::kLinux], 38);
  EXPECT_EQ(p.syscalls[Target::kFreeBsd].default_action.errno_value[Target::kFreeBsd], 78);
  EXPECT_EQ(p.syscalls[Target::kLinux].deny[0].action.errno_name, "ENOSYS");
  auto log = CheckBody("syscalls:\n  default: log\n  deny: [mkdir]\n");
  EXPECT_EQ(Clean(*log).syscalls[Target::kFreeBsd].deny[0].action.errno_name, "EPERM");
}

TEST(SyscallsTest, ExplicitDenyActionsWin) {
  auto checked = CheckBody(
      "syscalls:\n  default: trap\n  deny:\n"
      "    - {name: mkdir, action: {errno: EACCES}}\n"
      "    - {name: rmdir, action: kill}\n"
      "    - {name: chdir, action: log}\n");
  const Policy& p = Clean(*checked);
  const SyscallFilter& linux = p.syscalls[Target::kLinux];
  EXPECT_EQ(FindRule(linux.deny, "mkdir")->action.errno_name, "EACCES");
  EXPECT_EQ(FindRule(linux.deny, "mkdir")->action.errno_value[Target::kLinux], 13);
  EXPECT_EQ(FindRule(linux.deny, "rmdir")->action.kind, ActionKind::kKillProcess);
  EXPECT_EQ(FindRule(linux.deny, "chdir")->action.kind, ActionKind::kLog);
}

TEST(SyscallsTest, DefaultAllowWantsAJustification) {
  EXPECT_EQ(Diags(*CheckBody("syscalls:\n  default: allow\n")), "warning dangerous-grant@4:12\n");
}

TEST(SyscallsTest, GroupsExpandPerTarget) {
  auto checked = CheckBody("syscalls:\n  allow: [\"@file-system\"]\n");
  const Policy& p = Clean(*checked);
  for (Target target : kAllTargets) {
    std::vector<std::string_view> expected = ExpandGroup(target, "@file-system");
    ASSERT_FALSE(expected.empty());
    std::vector<std::string_view> actual;
    for (const SyscallRule& rule : p.syscalls[target].allow) {
      actual.push_back(rule.name);
      EXPECT_EQ(rule.group, "@file-system");
      EXPECT_EQ(rule.number, FindSyscall(target, rule.name)->number);
      EXPECT_EQ(Where(checked->sources, rule.span), "4:11");
    }
    EXPECT_EQ(actual, expected) << TargetName(target);
  }
  // Each target's own names.
  EXPECT_TRUE(FindRule(p.syscalls[Target::kLinux].allow, "newfstatat"));
  EXPECT_FALSE(FindRule(p.syscalls[Target::kFreeBsd].allow, "newfstatat"));
  EXPECT_TRUE(FindRule(p.syscalls[Target::kFreeBsd].allow, "fstatat"));
}

TEST(SyscallsTest, PerTargetListsApplyToTheirTargetOnly) {
  auto checked = CheckBody(
      "syscalls:\n  allow: [read]\n  linux:\n    allow: [rseq]\n    deny: [newfstatat]\n"
      "  freebsd:\n    allow: [cap_enter]\n");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(RuleNames(p.syscalls[Target::kLinux].allow), "read rseq");
  EXPECT_EQ(RuleNames(p.syscalls[Target::kLinux].deny), "newfstatat");
  EXPECT_EQ(RuleNames(p.syscalls[Target::kFreeBsd].allow), "cap_enter read");
  EXPECT_EQ(RuleNames(p.syscalls[Target::kFreeBsd].deny), "");
}

TEST(SyscallsTest, NameOfOneTargetInTheCommonListWarnsAndAppliesThere) {
  auto checked = CheckBody("syscalls:\n  allow: [read, newfstatat]\n");
  EXPECT_EQ(Diags(*checked), "warning syscall-target-only@4:17\n");
  ASSERT_TRUE(checked->policy);
  EXPECT_TRUE(FindRule(checked->policy->syscalls[Target::kLinux].allow, "newfstatat"));
  EXPECT_EQ(RuleNames(checked->policy->syscalls[Target::kFreeBsd].allow), "read");
}

// The conditions of the only rule named `name` on `target`.
std::vector<ArgCondition> ConditionsOf(const Policy& p, Target target, std::string_view name) {
  const SyscallRule* rule = FindRule(p.syscalls[target].allow, name);
  STOCKADE_CHECK(rule != nullptr) << name << " is not allowed on " << TargetName(target);
  return rule->conditions;
}

TEST(SyscallsTest, ConstantsResolvePerTarget) {
  auto checked = CheckBody(
      "syscalls:\n  allow:\n"
      "    - {name: openat, when: \"arg2 & O_CREAT == O_CREAT\"}\n"
      "    - {name: ioctl, when: \"arg1 == FIONREAD\"}\n"
      "    - {name: open, when: \"arg1 & O_CREAT|O_EXCL == 0\"}\n");
  const Policy& p = Clean(*checked);
  auto openat_linux = ConditionsOf(p, Target::kLinux, "openat");
  auto openat_freebsd = ConditionsOf(p, Target::kFreeBsd, "openat");
  ASSERT_EQ(openat_linux.size(), 1u);
  EXPECT_EQ(openat_linux[0].arg, 2);
  EXPECT_EQ(openat_linux[0].op, CmpOp::kMaskedEq);
  EXPECT_EQ(openat_linux[0].mask, 0x40u);
  EXPECT_EQ(openat_linux[0].value, 0x40u);
  EXPECT_EQ(openat_freebsd[0].mask, 0x200u);
  EXPECT_EQ(openat_freebsd[0].value, 0x200u);
  EXPECT_EQ(openat_linux[0].text, "arg2 & O_CREAT == O_CREAT");
  EXPECT_EQ(Where(checked->sources, openat_linux[0].span), "5:28");
  EXPECT_EQ(ConditionsOf(p, Target::kLinux, "ioctl")[0].value, 0x541bu);
  EXPECT_EQ(ConditionsOf(p, Target::kFreeBsd, "ioctl")[0].value, 0x4004667fu);
  EXPECT_EQ(ConditionsOf(p, Target::kLinux, "open")[0].mask, 0xc0u);  // terms are ORed
  EXPECT_EQ(ConditionsOf(p, Target::kFreeBsd, "open")[0].mask, 0xa00u);
}

TEST(SyscallsTest, OperatorsAndNumbers) {
  auto checked = CheckBody(
      "syscalls:\n  allow:\n"
      "    - {name: openat, when: \"arg0 == -100\"}\n"
      "    - {name: openat, when: \"arg0 == AT_FDCWD\"}\n"
      "    - {name: read, when: [\"arg0 != 0x10\", \"arg1 < 0o17\", \"arg2 <= 3\"]}\n"
      "    - {name: write, when: [\"arg0 > 2\", \"arg5 >= 18446744073709551615\"]}\n");
  const Policy& p = Clean(*checked);
  const std::vector<SyscallRule>& allow = p.syscalls[Target::kLinux].allow;
  ASSERT_EQ(RuleNames(allow), "openat openat read write");
  // A negative literal is its two's complement, like the sign-extended register seccomp sees.
  EXPECT_EQ(allow[0].conditions[0].value, 0xffffffffffffff9cu);
  EXPECT_EQ(allow[1].conditions[0].value, 0xffffffffffffff9cu);
  const std::vector<ArgCondition>& read = allow[2].conditions;
  EXPECT_EQ(read[0].op, CmpOp::kNe);
  EXPECT_EQ(read[0].value, 16u);
  EXPECT_EQ(read[1].op, CmpOp::kLt);
  EXPECT_EQ(read[1].arg, 1);
  EXPECT_EQ(read[1].value, 15u);
  EXPECT_EQ(read[2].op, CmpOp::kLe);
  const std::vector<ArgCondition>& write = allow[3].conditions;
  EXPECT_EQ(write[0].op, CmpOp::kGt);
  EXPECT_EQ(write[1].op, CmpOp::kGe);
  EXPECT_EQ(write[1].arg, 5);
  EXPECT_EQ(write[1].value, UINT64_MAX);
}

TEST(SyscallsTest, ConstantOneTargetLacks) {
  // An allow rule in the common list then applies to the other target only, with a warning.
  auto allow =
      CheckBody("syscalls:\n  allow:\n    - {name: openat, when: \"arg2 & O_TMPFILE == 0\"}\n");
  EXPECT_EQ(Diags(*allow), "warning constant-target-only@5:36\n");
  ASSERT_TRUE(allow->policy);
  EXPECT_TRUE(FindRule(allow->policy->syscalls[Target::kLinux].allow, "openat"));
  EXPECT_FALSE(FindRule(allow->policy->syscalls[Target::kFreeBsd].allow, "openat"));
  // In a common deny rule it is an error: the deny would silently not apply to FreeBSD.
  EXPECT_EQ(
      Diags(*CheckBody("syscalls:\n  deny:\n    - {name: ioctl, when: \"arg1 == TCGETS\"}\n")),
      "error constant-target-only@5:36\n");
  // In a per-target list, a constant that target lacks is an error.
  EXPECT_EQ(Diags(*CheckBody("syscalls:\n  freebsd:\n    allow:\n"
                             "      - {name: ioctl, when: \"arg1 == TCGETS\"}\n")),
            "error constant-target-only@6:38\n");
}

TEST(SyscallsTest, ContradictionsAndCarveOuts) {
  auto both = CheckBody("syscalls:\n  allow: [read, mkdir]\n  deny: [mkdir]\n");
  EXPECT_EQ(Diags(*both), "warning contradiction@5:10\n  note@4:17 allowed here\n");
  // Denying a member of an allowed group carves the group up: no warning.
  auto carve = CheckBody("syscalls:\n  allow: [\"@file-system\"]\n  deny: [mkdir]\n");
  const Policy& p = Clean(*carve);
  EXPECT_TRUE(FindRule(p.syscalls[Target::kLinux].allow, "mkdir"));
  EXPECT_TRUE(FindRule(p.syscalls[Target::kLinux].deny, "mkdir"));
}

TEST(SyscallsTest, DangerousGrants) {
  EXPECT_EQ(Diags(*CheckBody("syscalls:\n  allow: [read, ptrace]\n")),
            "warning dangerous-grant@4:17\n");
  auto justified =
      CheckBody("syscalls:\n  allow:\n    - {name: ptrace, justification: \"a debugger\"}\n");
  EXPECT_TRUE(Clean(*justified).syscalls[Target::kLinux].allow[0].justified);
  // A dangerous grant that a deny rule voids is no grant.
  auto denied = CheckBody("syscalls:\n  allow: [ptrace]\n  deny: [ptrace]\n");
  EXPECT_EQ(Diags(*denied), "warning contradiction@5:10\n  note@4:11 allowed here\n");
}

TEST(SyscallsTest, ARuleTestsEachArgumentOnce) {
  EXPECT_EQ(Diags(*CheckBody("syscalls:\n  allow:\n"
                             "    - {name: read, when: [\"arg0 > 2\", \"arg0 < 9\"]}\n")),
            "error duplicate-arg-condition@5:39\n");
}

// ---- descriptors -------------------------------------------------------------------------

TEST(DescriptorsTest, StdioNamesAndNumbering) {
  auto checked = CheckBody(
      "capability_mode: true\n"
      "descriptors:\n"
      "  - {path: /srv/b}\n"
      "  - {path: /srv/a, fd: 3}\n"
      "  - {fd: stdout, rights: [CAP_WRITE]}\n"
      "  - {fd: 2}\n"
      "  - {path: /srv/c, fd: 5}\n"
      "  - {path: /srv/d}\n"
      "  - {fd: stdin}\n");
  const Policy& p = Clean(*checked);
  std::vector<std::string> seen;
  for (const Descriptor& d : p.descriptors) seen.push_back(std::to_string(d.fd) + "=" + d.path);
  // Explicit numbers first; the others take the free numbers from 3 in source order.
  EXPECT_EQ(seen, (std::vector<std::string>{"0=", "1=", "2=", "3=/srv/a", "4=/srv/b", "5=/srv/c",
                                            "6=/srv/d"}));
  EXPECT_EQ(p.descriptors[0].kind, Descriptor::Kind::kStdin);
  EXPECT_EQ(p.descriptors[1].kind, Descriptor::Kind::kStdout);
  EXPECT_EQ(p.descriptors[2].kind, Descriptor::Kind::kStderr);
  EXPECT_EQ(p.descriptors[3].kind, Descriptor::Kind::kFile);
  EXPECT_FALSE(p.descriptors[0].rights);  // not limited
  EXPECT_EQ(Where(checked->sources, p.descriptors[1].span), "7:10");
  EXPECT_EQ(Where(checked->sources, p.descriptors[4].span), "5:12");
}

TEST(DescriptorsTest, FlagsModeAndType) {
  auto checked = CheckBody(
      "descriptors:\n"
      "  - {path: /srv/log, flags: [O_WRONLY, O_CREAT, O_APPEND], mode: 0o640}\n"
      "  - {path: /srv/new, flags: [O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_SYNC]}\n"
      "  - {path: /srv/dir, type: directory}\n"
      "  - {path: /srv/dir2, flags: [O_DIRECTORY, O_NONBLOCK]}\n"
      "  - {path: /srv/in}\n"
      "  - {path: /srv/bin, flags: [O_EXEC]}\n");
  const Policy& p = Clean(*checked);
  ASSERT_EQ(p.descriptors.size(), 6u);
  EXPECT_EQ(p.descriptors[0].open_flags, kOpenWrite | kOpenCreate | kOpenAppend);
  EXPECT_EQ(p.descriptors[0].create_mode, 0640u);
  EXPECT_EQ(p.descriptors[1].open_flags, kOpenRead | kOpenWrite | kOpenCreate | kOpenExclusive |
                                             kOpenTruncate | kOpenNoFollow | kOpenSync);
  EXPECT_EQ(p.descriptors[1].create_mode, 0600u);  // the default
  EXPECT_EQ(p.descriptors[2].kind, Descriptor::Kind::kDirectory);
  EXPECT_EQ(p.descriptors[2].open_flags, kOpenRead | kOpenDirectory);
  EXPECT_EQ(p.descriptors[3].kind, Descriptor::Kind::kDirectory);  // O_DIRECTORY implies it
  EXPECT_EQ(p.descriptors[3].open_flags, kOpenRead | kOpenDirectory | kOpenNonBlock);
  EXPECT_EQ(p.descriptors[4].open_flags, kOpenRead);  // default [O_RDONLY]
  EXPECT_EQ(p.descriptors[5].open_flags, kOpenRead | kOpenExec);
}

uint64_t Right(std::string_view name) {
  const RightInfo* right = FindRight(name);
  STOCKADE_CHECK(right != nullptr) << name;
  return right->value;
}

TEST(DescriptorsTest, RightsIoctlsAndFcntls) {
  auto checked = CheckBody(
      "capability_mode: true\n"
      "descriptors:\n"
      "  - path: /srv/data\n"
      "    flags: [O_RDWR]\n"
      "    rights: [CAP_MMAP_RW, CAP_IOCTL, CAP_FCNTL]\n"
      "    ioctls: [FIONREAD, 21505]\n"
      "    fcntls: [CAP_FCNTL_GETFL, CAP_FCNTL_SETFL]\n"
      "  - {fd: stdout, rights: [CAP_WRITE, CAP_IOCTL], ioctls: []}\n");
  const Policy& p = Clean(*checked);
  ASSERT_EQ(p.descriptors.size(), 2u);
  const Descriptor& data = p.descriptors[1];
  ASSERT_TRUE(data.rights);
  // CAP_MMAP_RW is CAP_MMAP | CAP_SEEK | CAP_READ | CAP_WRITE (sys/capsicum.h).
  RightSet expected;
  for (const char* name :
       {"CAP_MMAP", "CAP_SEEK", "CAP_READ", "CAP_WRITE", "CAP_IOCTL", "CAP_FCNTL"}) {
    expected.Add(Right(name));
  }
  EXPECT_EQ(*data.rights, expected);
  EXPECT_FALSE(data.rights->Has(Right("CAP_MMAP_X")));
  EXPECT_EQ(Where(checked->sources, data.rights_span), "7:13");
  ASSERT_TRUE(data.ioctls);
  ASSERT_EQ(data.ioctls->size(), 2u);
  EXPECT_EQ((*data.ioctls)[0].name, "FIONREAD");
  EXPECT_EQ((*data.ioctls)[0].value[Target::kLinux], 0x541bu);
  EXPECT_EQ((*data.ioctls)[0].value[Target::kFreeBsd], 0x4004667fu);
  EXPECT_EQ((*data.ioctls)[1].value[Target::kFreeBsd], 21505u);
  EXPECT_EQ(data.fcntls, 0x18u);  // 1 << F_GETFL | 1 << F_SETFL
  const Descriptor& out = p.descriptors[0];
  ASSERT_TRUE(out.ioctls);
  EXPECT_TRUE(out.ioctls->empty());  // []: no ioctl at all
  EXPECT_FALSE(out.fcntls);          // absent: every fcntl the rights allow
}

TEST(DescriptorsTest, CapabilityModeAndItsWarning) {
  auto on = CheckBody("capability_mode: true\n");
  EXPECT_TRUE(Clean(*on).capability_mode);
  EXPECT_EQ(Where(on->sources, on->policy->capability_mode_span), "3:18");
  EXPECT_EQ(
      Diags(*CheckBody("descriptors:\n  - {path: /srv, type: directory, rights: [CAP_LOOKUP]}\n")),
      "warning rights-without-capability-mode@4:12\n");
}

// ---- ipc ---------------------------------------------------------------------------------

TEST(IpcTest, FreeBsdsRules) {
  struct Case {
    const char* body;
    JailSys shm, msg, sem;
  };
  const Case cases[] = {
      {"", JailSys::kDisable, JailSys::kDisable, JailSys::kDisable},
      {"ipc:\n  sysvshm: new\n", JailSys::kNew, JailSys::kDisable, JailSys::kDisable},
      {"ipc:\n  allow.sysvipc: true\n", JailSys::kInherit, JailSys::kInherit, JailSys::kInherit},
      {"ipc:\n  allow.sysvipc: false\n", JailSys::kDisable, JailSys::kDisable, JailSys::kDisable},
      // An explicit sysv* value wins over allow.sysvipc.
      {"ipc:\n  allow.sysvipc: true\n  sysvmsg: new\n  sysvsem: disable\n", JailSys::kInherit,
       JailSys::kNew, JailSys::kDisable},
  };
  for (const Case& c : cases) {
    auto checked = CheckBody(c.body);
    ASSERT_TRUE(checked->policy) << c.body << Diags(*checked);
    EXPECT_EQ(checked->policy->ipc.sysvshm, c.shm) << c.body;
    EXPECT_EQ(checked->policy->ipc.sysvmsg, c.msg) << c.body;
    EXPECT_EQ(checked->policy->ipc.sysvsem, c.sem) << c.body;
  }
  EXPECT_EQ(Diags(*CheckBody("ipc:\n  allow.sysvipc: true\n")), "warning deprecated-param@4:3\n");
}

// ---- jail --------------------------------------------------------------------------------

TEST(JailTest, KnownParametersAndPassThrough) {
  auto checked = CheckBody(
      "jail:\n"
      "  securelevel: 3\n"
      "  enforce_statfs: 1\n"
      "  children.max: {value: 2, justification: \"it runs nested sandboxes\"}\n"
      "  devfs_ruleset: 4\n"
      "  allow.mlock: true\n"
      "  allow.raw_sockets: {value: true, justification: \"ping\"}\n"
      "  allow.set_hostname: false\n"
      "  osrelease: 14.2-RELEASE\n"
      "  osreldate: 1402000\n"
      "  host.hostid: 42\n"
      "  linux: new\n"
      "  linux.osname: Linux\n");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.jail.securelevel, 3);
  EXPECT_EQ(p.jail.enforce_statfs, 1);
  EXPECT_EQ(p.jail.children_max, 2);
  EXPECT_EQ(p.jail.devfs_ruleset, 4);
  std::vector<std::string> allow;
  for (const JailFlag& flag : p.jail.allow) {
    allow.push_back(flag.name + "=" + (flag.value ? "true" : "false") +
                    (flag.justified ? " justified" : ""));
  }
  EXPECT_EQ(allow, (std::vector<std::string>{"allow.mlock=true", "allow.raw_sockets=true justified",
                                             "allow.set_hostname=false"}));
  std::vector<std::string> params;
  for (const JailParam& param : p.jail.params) params.push_back(param.name + "=" + param.value);
  EXPECT_EQ(params,
            (std::vector<std::string>{"osrelease=14.2-RELEASE", "osreldate=1402000",
                                      "host.hostid=42", "linux=new", "linux.osname=Linux"}));
  EXPECT_EQ(Where(checked->sources, p.jail.params[1].span), "12:14");
}

TEST(JailTest, Defaults) {
  auto checked = CheckBody("");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.jail.securelevel, -1);
  EXPECT_EQ(p.jail.enforce_statfs, 2);
  EXPECT_EQ(p.jail.children_max, 0);
  EXPECT_FALSE(p.jail.devfs_ruleset);
}

TEST(JailTest, TypeChecksAndOwnership) {
  EXPECT_EQ(Diags(*CheckBody("jail:\n  osreldate: 0\n")), "error value-out-of-range@4:14\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  linux: maybe\n")), "error invalid-value@4:10\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  allow.mlock: 1\n")), "error wrong-type@4:16\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  host.hostname: box\n")),
            "error param-owned-elsewhere@4:3\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  parent: 1\n")), "error param-read-only@4:3\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  allow.noraw_sockets: true\n")),
            "error unknown-jail-param@4:3\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  children.max: 1\n")), "warning dangerous-grant@4:17\n");
  EXPECT_EQ(Diags(*CheckBody("jail:\n  allow.chflags: true\n")), "warning dangerous-grant@4:18\n");
}

// ---- filesystem --------------------------------------------------------------------------

TEST(FilesystemTest, EveryEntryKind) {
  auto checked = CheckBody(
      "filesystem:\n"
      "  root: {type: template, path: /srv/tmpl, zfs_snapshot: zroot/tmpl@v1, size: 256M}\n"
      "  mounts:\n"
      "    - /usr\n"
      "    - {source: /srv/shared, target: /data, readonly: false}\n"
      "  scratch: [{target: /tmp, size: 64M}]\n"
      "  symlinks: [{path: /bin, target: usr/bin}]\n"
      "  dev: false\n");
  const Policy& p = Clean(*checked);
  const Filesystem& fs = p.filesystem;
  EXPECT_EQ(fs.root.kind, RootFs::Kind::kTemplate);
  EXPECT_EQ(fs.root.path, "/srv/tmpl");
  EXPECT_EQ(fs.root.zfs_snapshot, "zroot/tmpl@v1");
  EXPECT_EQ(fs.root.size_bytes, 256u << 20);
  ASSERT_EQ(fs.mounts.size(), 2u);
  EXPECT_EQ(fs.mounts[0].source, "/usr");
  EXPECT_EQ(fs.mounts[0].target, "/usr");  // target defaults to source
  EXPECT_TRUE(fs.mounts[0].readonly);      // read-only unless it says otherwise
  EXPECT_EQ(fs.mounts[1].target, "/data");
  EXPECT_FALSE(fs.mounts[1].readonly);
  ASSERT_EQ(fs.scratch.size(), 1u);
  EXPECT_EQ(fs.scratch[0].size_bytes, 64u << 20);
  ASSERT_EQ(fs.symlinks.size(), 1u);
  EXPECT_EQ(fs.symlinks[0].target, "usr/bin");
  EXPECT_TRUE(fs.proc);
  EXPECT_FALSE(fs.dev);
  auto directory =
      CheckBody("filesystem:\n  root: {type: directory, path: /srv/root, readonly: true}\n");
  EXPECT_EQ(Clean(*directory).filesystem.root.kind, RootFs::Kind::kDirectory);
  EXPECT_TRUE(directory->policy->filesystem.root.readonly);
  auto empty = CheckBody("filesystem:\n  root: {size: 16M}\n");
  EXPECT_EQ(Clean(*empty).filesystem.root.kind, RootFs::Kind::kEmpty);
}

TEST(FilesystemTest, PathsAreAbsoluteAndNormal) {
  EXPECT_EQ(Diags(*CheckBody("filesystem:\n  mounts: [/usr/../etc]\n")),
            "error invalid-path@4:12\n");
  EXPECT_EQ(Diags(*CheckBody("filesystem:\n  mounts: [usr]\n")), "error invalid-path@4:12\n");
  EXPECT_EQ(Diags(*CheckBody("filesystem:\n  mounts: [/usr, {source: /opt, target: /usr}]\n")),
            "error duplicate-target@4:41\n  note@4:12 first used here\n");
}

// ---- network -----------------------------------------------------------------------------

TEST(NetworkTest, ModesAddressesAndEgress) {
  auto checked = CheckBody(
      "network:\n"
      "  mode: vnet\n"
      "  addresses: [10.77.0.2/24, \"FD00:0:0::2/64\", \"::ffff:10.0.0.1/128\"]\n"
      "  gateway: 10.77.0.1\n"
      "  egress:\n"
      "    - {to: 10.77.0.1/32, proto: udp, port: 53}\n"
      "    - {to: 0.0.0.0/0, proto: tcp, ports: 80-443}\n"
      "    - {to: \"fd00::/8\", proto: tcp, port: 22}\n"
      "    - {to: 192.168.1.7, proto: tcp, port: 443}\n");
  const Network& n = Clean(*checked).network;
  EXPECT_EQ(n.mode, Network::Mode::kVnet);
  std::vector<std::string> addresses;
  for (const Cidr& cidr : n.addresses) addresses.push_back(cidr.text);
  // Normalised: RFC 5952 for IPv6 (lower case, the longest zero run as ::).
  EXPECT_EQ(addresses,
            (std::vector<std::string>{"10.77.0.2/24", "fd00::2/64", "::ffff:a00:1/128"}));
  EXPECT_TRUE(n.addresses[1].ipv6);
  EXPECT_EQ(n.addresses[1].prefix, 64);
  EXPECT_EQ(n.addresses[0].address[3], 2);
  ASSERT_TRUE(n.gateway);
  EXPECT_EQ(n.gateway->text, "10.77.0.1/32");
  ASSERT_EQ(n.egress.size(), 4u);
  EXPECT_EQ(n.egress[0].protocol, Protocol::kUdp);
  EXPECT_EQ(n.egress[0].port_low, 53);
  EXPECT_EQ(n.egress[0].port_high, 53);
  EXPECT_EQ(n.egress[1].to.text, "0.0.0.0/0");
  EXPECT_EQ(n.egress[1].port_low, 80);
  EXPECT_EQ(n.egress[1].port_high, 443);
  EXPECT_EQ(n.egress[2].to.text, "fd00::/8");
  EXPECT_EQ(n.egress[3].to.text, "192.168.1.7/32");  // a host without a prefix
}

TEST(NetworkTest, NoneAndHost) {
  auto none = CheckBody("");
  EXPECT_EQ(Clean(*none).network.mode, Network::Mode::kNone);
  EXPECT_EQ(Diags(*CheckBody("network:\n  mode: host\n")), "warning dangerous-grant@4:9\n");
  auto host = CheckBody("network:\n  mode: host\n  justification: \"a monitoring agent\"\n");
  EXPECT_TRUE(Clean(*host).network.justified);
  EXPECT_EQ(Diags(*CheckBody("network:\n  mode: none\n  gateway: 10.0.0.1\n")),
            "error invalid-key@5:3\n");
}

TEST(NetworkTest, EgressMistakes) {
  const std::string vnet = "network:\n  mode: vnet\n  addresses: [10.0.0.2/24]\n  egress:\n";
  EXPECT_EQ(Diags(*CheckBody(vnet + "    - {to: 10.0.0.1/24, proto: tcp, port: 1}\n")),
            "error invalid-address@7:12\n");
  EXPECT_EQ(Diags(*CheckBody(vnet + "    - {to: 10.0.0.0/24, proto: tcp, ports: 90-80}\n")),
            "error invalid-value@7:44\n");
  EXPECT_EQ(Diags(*CheckBody(vnet + "    - {to: 10.0.0.0/24, proto: sctp, port: 1}\n")),
            "error invalid-value@7:32\n");
}

// ---- limits ------------------------------------------------------------------------------

TEST(LimitsTest, UnitsAndActions) {
  auto checked = CheckBody(
      "limits:\n"
      "  memoryuse: 512M\n"
      "  vmemoryuse:\n"
      "    - {amount: 1g, action: log}\n"
      "    - {amount: 2G, action: devctl}\n"
      "    - {amount: 3G, action: deny}\n"
      "  maxproc: 64\n"
      "  pcpu: {amount: 250, action: deny}\n"
      "  wallclock: {amount: 1h, action: sigkill}\n"
      "  cputime: {amount: 90, action: sigxcpu}\n"
      "  readbps: {amount: 10M, action: throttle}\n"
      "  writeiops: {amount: 100, action: throttle}\n"
      "  stacksize: 8k\n"
      "  datasize: 1e\n");
  const Policy& p = Clean(*checked);
  std::vector<std::string> limits;
  for (const Limit& limit : p.limits) {
    static const char* kActions[] = {"deny", "log", "devctl", "sig", "throttle"};
    limits.push_back(limit.resource + " " + std::to_string(limit.amount) + " " +
                     kActions[static_cast<int>(limit.action)] + limit.signal);
  }
  EXPECT_EQ(limits, (std::vector<std::string>{
                        "memoryuse 536870912 deny", "vmemoryuse 1073741824 log",
                        "vmemoryuse 2147483648 devctl", "vmemoryuse 3221225472 deny",
                        "maxproc 64 deny", "pcpu 250 deny", "wallclock 3600 sigkill",
                        "cputime 90 sigxcpu", "readbps 10485760 throttle", "writeiops 100 throttle",
                        "stacksize 8192 deny", "datasize 1152921504606846976 deny"}));
  EXPECT_EQ(Where(checked->sources, p.limits[0].span), "4:14");
}

TEST(LimitsTest, UnsupportedActionsAndDuplicates) {
  EXPECT_EQ(Diags(*CheckBody("limits:\n  wallclock: 1h\n")),
            "error limit-action-unsupported@4:3\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  readbps: {amount: 1M, action: deny}\n")),
            "error limit-action-unsupported@4:33\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  maxproc: {amount: 1, action: throttle}\n")),
            "error limit-action-unsupported@4:32\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  maxproc: [10, 20]\n")), "error duplicate-limit@4:3\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  maxproc: {amount: 1, action: sigbogus}\n")),
            "error invalid-value@4:32\n");
  EXPECT_EQ(Diags(*CheckBody("limits:\n  memroyuse: 1G\n")), "error unknown-resource@4:3\n");
}

// ---- mac ---------------------------------------------------------------------------------

TEST(MacTest, UgidfwRules) {
  auto checked = CheckBody(
      "mac:\n"
      "  bsdextended:\n"
      "    - \"subject uid 1001:1999 object filesys /data mode rs\"\n"
      "    - \"subject not uid root object type d mode rsx\"\n"
      "    - \"subject ! gid 20 object not ! uid_of_subject suid sgid gid 0:10 mode n\"\n");
  const Policy& p = Clean(*checked);
  ASSERT_EQ(p.mac.bsdextended.size(), 3u);
  const BsdExtendedRule& first = p.mac.bsdextended[0];
  ASSERT_TRUE(first.subject_uid);
  EXPECT_FALSE(first.subject_uid->first);
  EXPECT_EQ(first.subject_uid->second.low, 1001u);
  EXPECT_EQ(first.subject_uid->second.high, 1999u);
  ASSERT_TRUE(first.object_filesys);
  EXPECT_EQ(first.object_filesys->second, "/data");
  EXPECT_EQ(first.mode, "rs");
  EXPECT_EQ(Where(checked->sources, first.span), "5:7");
  const BsdExtendedRule& second = p.mac.bsdextended[1];
  EXPECT_TRUE(second.subject_not);
  EXPECT_EQ(second.subject_uid->second.text, "root");  // names are kept for ugidfw
  ASSERT_TRUE(second.object_type);
  EXPECT_EQ(second.object_type->second, "d");
  const BsdExtendedRule& third = p.mac.bsdextended[2];
  EXPECT_TRUE(third.subject_gid->first);  // "! gid 20"
  EXPECT_TRUE(third.object_not);
  EXPECT_EQ(third.object_uid_of_subject, true);  // negated
  EXPECT_EQ(third.object_suid, false);
  EXPECT_EQ(third.object_sgid, false);
  EXPECT_EQ(third.object_gid->second.high, 10u);
  EXPECT_EQ(third.mode, "n");
}

TEST(MacTest, PortAcl) {
  auto checked = CheckBody("mac:\n  portacl: [uid:80:tcp:80, gid:53:udp:53]\n");
  const Policy& p = Clean(*checked);
  ASSERT_EQ(p.mac.portacl.size(), 2u);
  EXPECT_TRUE(p.mac.portacl[0].by_uid);
  EXPECT_EQ(p.mac.portacl[0].id, 80u);
  EXPECT_EQ(p.mac.portacl[0].protocol, Protocol::kTcp);
  EXPECT_EQ(p.mac.portacl[0].port, 80);
  EXPECT_FALSE(p.mac.portacl[1].by_uid);
  EXPECT_EQ(p.mac.portacl[1].protocol, Protocol::kUdp);
  EXPECT_EQ(Diags(*CheckBody("mac:\n  portacl: [uid:www:tcp:80]\n")),
            "error invalid-mac-rule@4:17\n");
  // A wrong number of fields underlines the whole rule.
  auto short_rule = CheckBody("mac:\n  portacl: [\"uid:80:tcp\"]\n");
  EXPECT_EQ(Diags(*short_rule), "error invalid-mac-rule@4:13\n");
  EXPECT_EQ(short_rule->sources.text(short_rule->diags.all()[0].span), "\"uid:80:tcp\"");
  EXPECT_EQ(FirstMessage(*short_rule),
            "invalid-mac-rule: 'uid:80:tcp' is not a mac_portacl rule: it has 3 fields instead "
            "of 4; uid|gid:ID:tcp|udp:PORT, e.g. uid:80:tcp:80");
  EXPECT_EQ(Diags(*CheckBody("mac:\n  bsdextended: [\"subject uid 1 object mode rq\"]\n")),
            "error invalid-mac-rule@4:44\n");
}

// ---- accept_approximate ------------------------------------------------------------------

TEST(AcceptApproximateTest, Entries) {
  auto checked = CheckBody(
      "jail:\n  securelevel: 3\nlimits:\n  pcpu: 50\n"
      "accept_approximate:\n"
      "  - {clause: securelevel, backend: linux, justification: \"read-only mounts instead\"}\n"
      "  - {clause: limits.pcpu, justification: \"cgroup cpu.max is per period\"}\n");
  const Policy& p = Clean(*checked);
  ASSERT_EQ(p.accept_approximate.size(), 2u);
  EXPECT_EQ(p.accept_approximate[0].clause, "securelevel");
  EXPECT_EQ(p.accept_approximate[0].backend, "linux");
  EXPECT_EQ(p.accept_approximate[1].backend, "");  // both backends
  EXPECT_EQ(p.accept_approximate[1].justification, "cgroup cpu.max is per period");
  EXPECT_EQ(Where(checked->sources, p.accept_approximate[1].span), "9:14");
  EXPECT_EQ(Diags(*CheckBody("accept_approximate:\n  - {clause: securelvl, justification: x}\n")),
            "error unknown-clause@4:14\n");
  EXPECT_EQ(Diags(*CheckBody("accept_approximate:\n  - {clause: securelevel, justification: x}\n")),
            "warning unused-acceptance@4:14\n");
}

// ---- top level ---------------------------------------------------------------------------

TEST(TopLevelTest, IdentityAndUnknownKeys) {
  auto checked = Check("version: 1\nname: web-1_a\nhostname: www.example.org\n");
  const Policy& p = Clean(*checked);
  EXPECT_EQ(p.name, "web-1_a");
  EXPECT_EQ(p.hostname, "www.example.org");
  EXPECT_EQ(Where(checked->sources, p.name_span), "2:7");
  EXPECT_EQ(Diags(*Check("version: 1\nname: t\nsycalls: {}\n")), "error unknown-key@3:1\n");
  EXPECT_EQ(Diags(*Check("version: 1\nname: " + std::string(64, 'a') + "\n")),
            "error invalid-name@2:7\n");
  EXPECT_EQ(Diags(*Check("version: 1\nname: \"007\"\n")), "error invalid-name@2:7\n");
  EXPECT_EQ(Diags(*Check("version: 1\n")), "error missing-key@1:1\n");
}

}  // namespace
}  // namespace stockade::policy
