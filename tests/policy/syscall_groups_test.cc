// SPDX-License-Identifier: BSD-2-Clause
// Syscall groups: Linux's against `systemd-analyze syscall-filter`, FreeBSD's against the
// FreeBSD syscall table, and ExpandGroup.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

using ::testing::Contains;
using ::testing::Not;

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

struct Group {
  std::string description;
  std::vector<std::string> members;
};

// Parses systemd-analyze's listing: "@name", then "    # description", then "    member" lines,
// a blank line between groups; "# ..." lines at column 0 (ungrouped syscalls) are not groups.
std::vector<std::pair<std::string, Group>> ParseSyscallFilter(const std::string& text) {
  std::vector<std::pair<std::string, Group>> groups;
  bool in_group = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      in_group = false;
    } else if (line[0] == '@') {
      groups.emplace_back(line, Group{});
      in_group = true;
    } else if (in_group && line.starts_with("    # ")) {
      groups.back().second.description = line.substr(6);
    } else if (in_group && line.starts_with("    ")) {
      groups.back().second.members.push_back(line.substr(4));
    }
  }
  return groups;
}

TEST(LinuxSyscallGroupsTest, MatchSystemdAnalyze) {
  if (std::system("command -v systemd-analyze > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "skipped: systemd-analyze is not installed; the table is systemd 252's";
  }
  const std::string version = RunCommand("systemd-analyze --version 2>/dev/null");
  if (!version.starts_with("systemd 252 ")) {
    GTEST_SKIP() << "skipped: the table is systemd 252's, this host has "
                 << version.substr(0, version.find('\n'));
  }
  const auto expected =
      ParseSyscallFilter(RunCommand("systemd-analyze syscall-filter --no-pager 2>/dev/null"));
  const auto actual = SyscallGroups(Target::kLinux);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, group] = expected[i];
    EXPECT_EQ(actual[i].name, name);
    EXPECT_EQ(actual[i].description, group.description) << name;
    const std::vector<std::string> members(actual[i].members.begin(), actual[i].members.end());
    EXPECT_EQ(members, group.members) << name;
  }
}

TEST(LinuxSyscallGroupsTest, ParserReadsNestedGroupsAndSkipsTheUngroupedList) {
  const auto groups = ParseSyscallFilter(
      "@a\n    # First\n    @b\n    read\n\n@b\n    # Second\n    write\n\n"
      "# Ungrouped System Calls (known but not included in any of the groups except @known):\n"
      "#   foo\n");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].second.description, "First");
  EXPECT_EQ(groups[0].second.members, (std::vector<std::string>{"@b", "read"}));
  EXPECT_EQ(groups[1].second.members, (std::vector<std::string>{"write"}));
}

TEST(LinuxSyscallGroupsTest, KeepsNonX8664NamesButExpandSkipsThem) {
  const SyscallGroup* basic_io = FindSyscallGroup(Target::kLinux, "@basic-io");
  ASSERT_NE(basic_io, nullptr);
  EXPECT_THAT(basic_io->members, Contains("_llseek"));
  const auto expanded = ExpandGroup(Target::kLinux, "@basic-io");
  EXPECT_THAT(expanded, Not(Contains("_llseek")));
  EXPECT_THAT(expanded, Contains("lseek"));
  EXPECT_THAT(expanded, Contains("read"));
}

TEST(LinuxSyscallGroupsTest, ExpandFollowsNestedGroups) {
  const auto service = ExpandGroup(Target::kLinux, "@system-service");
  for (const char* group : {"@default", "@file-system", "@signal", "@timer"}) {
    for (std::string_view name : ExpandGroup(Target::kLinux, group)) {
      EXPECT_THAT(service, Contains(name)) << group;
    }
  }
  EXPECT_THAT(service, Not(Contains("mount")));
  const auto privileged = ExpandGroup(Target::kLinux, "@privileged");
  EXPECT_THAT(privileged, Contains("chown"));          // from @chown
  EXPECT_THAT(privileged, Contains("clock_settime"));  // from @clock
  EXPECT_THAT(privileged, Contains("kexec_load"));     // from @reboot
  EXPECT_THAT(ExpandGroup(Target::kLinux, "@known"), Contains("futex_requeue"));
}

TEST(SyscallGroupsTest, ExpandIsSortedUniqueAndWithinTheTable) {
  for (Target target : kAllTargets) {
    for (const SyscallGroup& group : SyscallGroups(target)) {
      const auto names = ExpandGroup(target, group.name);
      EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << group.name;
      EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << group.name;
      for (std::string_view name : names) {
        EXPECT_NE(FindSyscall(target, name), nullptr) << group.name << ": " << name;
      }
      EXPECT_EQ(FindSyscallGroup(target, group.name), &group);
      EXPECT_FALSE(group.description.empty()) << group.name;
    }
    EXPECT_TRUE(ExpandGroup(target, "@no-such-group").empty());
    EXPECT_TRUE(ExpandGroup(target, "read").empty());
  }
}

TEST(SyscallGroupsTest, KnownCoversTheTable) {
  EXPECT_EQ(ExpandGroup(Target::kFreeBsd, "@known").size(), Syscalls(Target::kFreeBsd).size());
  // systemd 252's @known predates cachestat (Linux 6.5) and dropped nfsservctl (gone since
  // Linux 3.1, still in libseccomp and in systemd's @privileged).
  const auto known = ExpandGroup(Target::kLinux, "@known");
  std::vector<std::string_view> missing;
  for (const SyscallInfo& info : Syscalls(Target::kLinux)) {
    if (!std::binary_search(known.begin(), known.end(), info.name)) missing.push_back(info.name);
  }
  EXPECT_EQ(missing, (std::vector<std::string_view>{"nfsservctl", "cachestat"}));
}

TEST(FreeBsdSyscallGroupsTest, EveryMemberIsAFreeBsdSyscallOrGroup) {
  for (const SyscallGroup& group : SyscallGroups(Target::kFreeBsd)) {
    std::set<std::string_view> seen;
    for (std::string_view member : group.members) {
      EXPECT_TRUE(seen.insert(member).second) << group.name << " lists " << member << " twice";
      if (member.starts_with('@')) {
        EXPECT_NE(FindSyscallGroup(Target::kFreeBsd, member), nullptr)
            << group.name << ": " << member;
      } else {
        EXPECT_NE(FindSyscall(Target::kFreeBsd, member), nullptr) << group.name << ": " << member;
      }
    }
  }
}

TEST(FreeBsdSyscallGroupsTest, SameNamesAsLinuxPlusCapsicum) {
  for (const char* name :
       {"@basic-io",  "@file-system",    "@io-event",   "@ipc",     "@network-io", "@process",
        "@signal",    "@system-service", "@privileged", "@default", "@clock",      "@timer",
        "@resources", "@mount",          "@module",     "@reboot",  "@swap",       "@debug",
        "@raw-io",    "@setuid",         "@chown",      "@aio",     "@sync",       "@memlock",
        "@known",     "@capsicum"}) {
    EXPECT_NE(FindSyscallGroup(Target::kFreeBsd, name), nullptr) << name;
  }
  for (const SyscallGroup& group : SyscallGroups(Target::kFreeBsd)) {
    if (group.name == "@capsicum") continue;
    EXPECT_NE(FindSyscallGroup(Target::kLinux, group.name), nullptr) << group.name;
  }
  EXPECT_EQ(FindSyscallGroup(Target::kLinux, "@capsicum"), nullptr);
}

TEST(FreeBsdSyscallGroupsTest, GroupsHoldWhatTheirNamesSay) {
  const auto service = ExpandGroup(Target::kFreeBsd, "@system-service");
  for (std::string_view name : {"read", "openat", "fstatat", "kevent", "sigaction", "_umtx_op",
                                "mmap", "socket", "pipe2", "ioctl", "thr_new"}) {
    EXPECT_THAT(service, Contains(name));
  }
  for (std::string_view name : {"mount", "kldload", "jail_attach", "reboot", "ptrace"}) {
    EXPECT_THAT(service, Not(Contains(name)));
  }
  const auto privileged = ExpandGroup(Target::kFreeBsd, "@privileged");
  EXPECT_THAT(privileged, Contains("kldload"));  // from @module
  EXPECT_THAT(privileged, Contains("jail_attach"));
  EXPECT_THAT(ExpandGroup(Target::kFreeBsd, "@capsicum"), Contains("cap_enter"));
  EXPECT_TRUE(ExpandGroup(Target::kFreeBsd, "@raw-io").empty());
  // Every dangerous FreeBSD syscall stays out of @system-service.
  for (const DangerousSyscall& d : DangerousSyscalls()) {
    EXPECT_THAT(service, Not(Contains(d.name))) << d.name;
  }
}

}  // namespace
}  // namespace stockade::policy
