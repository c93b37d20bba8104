// SPDX-License-Identifier: BSD-2-Clause
// The FreeBSD syscall table and its per-release capability-mode answers, against
// ../shared/reference/freebsd/syscalls.tsv and syscall_variants.tsv.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::policy {
namespace {

// The rule the generator applies (gen_freebsd_syscalls.sh): callable by name.
bool Callable(const std::map<std::string, std::string>& row) {
  return !row.at("sys_macro").empty() && row.at("type").find("COMPAT") == std::string::npos;
}

TEST(FreeBsdSyscallsTest, EveryCallableRowMatches) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "syscalls.tsv");
  ASSERT_GT(table.rows.size(), 600u);
  std::set<std::string> callable;
  for (const auto& row : table.rows) {
    const int number = std::stoi(row.at("number"));
    const SyscallInfo* info = FindSyscallByNumber(Target::kFreeBsd, number);
    if (!Callable(row)) {
      EXPECT_EQ(info, nullptr) << number << " " << row.at("name") << " (" << row.at("type")
                               << ") is not callable by name";
      continue;
    }
    callable.insert(row.at("name"));
    ASSERT_NE(info, nullptr) << "missing " << row.at("name") << " (" << number << ")";
    EXPECT_EQ(info->name, row.at("name")) << number;
    EXPECT_EQ(info->capability_mode_allowed, row.at("capability_mode_allowed") == "yes")
        << row.at("name");
    EXPECT_EQ(FindSyscall(Target::kFreeBsd, row.at("name")), info);
  }
  EXPECT_EQ(callable.size(), Syscalls(Target::kFreeBsd).size())
      << "the table has syscalls the reference does not list as callable";
}

TEST(FreeBsdSyscallsTest, CapabilityModeSetIsExactlyTheCapenabledRows) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "syscalls.tsv");
  std::set<std::string> expected;
  for (const auto& row : table.rows) {
    if (Callable(row) && row.at("capability_mode_allowed") == "yes")
      expected.insert(row.at("name"));
  }
  std::set<std::string> actual;
  for (const SyscallInfo& info : Syscalls(Target::kFreeBsd)) {
    if (info.capability_mode_allowed) actual.insert(std::string(info.name));
    EXPECT_EQ(FreeBsdCapabilityModeAllowed(FreeBsdRelease::k15, info.name),
              info.capability_mode_allowed)
        << info.name;
  }
  EXPECT_EQ(actual, expected);
}

TEST(FreeBsdSyscallsTest, Release14FollowsTheS14Snapshot) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table variants = testing::ReadTsv(*reference / "freebsd" / "syscall_variants.tsv");
  int checked = 0;
  for (const auto& row : variants.rows) {
    if (row.at("snapshot") != "S14") continue;
    const bool callable = row.at("type").find("OBSOL") == std::string::npos;
    ASSERT_TRUE(callable) << row.at("name");
    EXPECT_EQ(FreeBsdCapabilityModeAllowed(FreeBsdRelease::k14, row.at("name")),
              row.at("capability_mode_allowed") == "yes")
        << row.at("name");
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(FreeBsdSyscallsTest, MainOnlySnapshotsApplyToNoRelease) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  const testing::Table variants = testing::ReadTsv(*reference / "freebsd" / "syscall_variants.tsv");
  const testing::Table table = testing::ReadTsv(*reference / "freebsd" / "syscalls.tsv");
  for (const auto& row : variants.rows) {
    if (row.at("snapshot") != "KB" && row.at("snapshot") != "CA") continue;
    // The release answer is syscalls.tsv's, whatever main says.
    std::optional<bool> expected;
    for (const auto& base : table.rows) {
      if (base.at("name") == row.at("name") && Callable(base)) {
        expected = base.at("capability_mode_allowed") == "yes";
      }
    }
    EXPECT_EQ(FreeBsdCapabilityModeAllowed(FreeBsdRelease::k15, row.at("name")), expected)
        << row.at("name") << " from " << row.at("snapshot");
  }
}

// The rest holds without the reference tables.
TEST(FreeBsdSyscallsTest, ReleaseDifferences) {
  using R = FreeBsdRelease;
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "wait4"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "wait4"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "vfork"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "rfork"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "getgroups"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "getgroups"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "setgroups"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "_exit"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "exit"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "exit"), std::nullopt);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "nfssvc"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "nfssvc"), std::nullopt);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "fchroot"), std::nullopt);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "fchroot"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "inotify_add_watch_at"), std::nullopt);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "inotify_add_watch_at"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k14, "timerfd_settime"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "ptrace"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "clock_nanosleep"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "openat"), true);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "open"), false);
  EXPECT_EQ(FreeBsdCapabilityModeAllowed(R::k15, "no_such_call"), std::nullopt);
}

TEST(FreeBsdSyscallsTest, TableShape) {
  const auto table = Syscalls(Target::kFreeBsd);
  EXPECT_EQ(table.size(), 409u);
  for (size_t i = 1; i < table.size(); ++i) EXPECT_LT(table[i - 1].number, table[i].number);
  EXPECT_EQ(FindSyscall(Target::kFreeBsd, "fstatat")->number, 552);
  EXPECT_EQ(FindSyscall(Target::kFreeBsd, "cap_enter")->number, 516);
  EXPECT_EQ(FindSyscall(Target::kFreeBsd, "getgroups")->number, 595);
  EXPECT_EQ(FindSyscall(Target::kFreeBsd, "newfstatat"), nullptr);  // Linux's name
  EXPECT_EQ(FindSyscall(Target::kFreeBsd, "lkmnosys"), nullptr);
  EXPECT_EQ(FindSyscallByNumber(Target::kFreeBsd, 599), nullptr);  // UNIMPL kexec_load
  EXPECT_EQ(FindSyscallByNumber(Target::kFreeBsd, 79), nullptr);   // COMPAT14 getgroups
  EXPECT_EQ(FindSyscallByNumber(Target::kFreeBsd, 602)->name, "renameat2");
}

TEST(DangerousSyscallsTest, EveryNameIsASyscallSomewhereWithAReason) {
  for (const DangerousSyscall& d : DangerousSyscalls()) {
    EXPECT_TRUE(FindSyscall(Target::kLinux, d.name) || FindSyscall(Target::kFreeBsd, d.name))
        << d.name << " is a syscall of neither target";
    EXPECT_FALSE(d.reason.empty()) << d.name;
    EXPECT_EQ(FindDangerousSyscall(d.name), &d);
  }
  // The list docs/policy-language.md promises, all Linux syscalls.
  for (std::string_view name : {"ptrace",
                                "bpf",
                                "mount",
                                "umount2",
                                "pivot_root",
                                "kexec_load",
                                "kexec_file_load",
                                "init_module",
                                "finit_module",
                                "delete_module",
                                "keyctl",
                                "add_key",
                                "request_key",
                                "perf_event_open",
                                "userfaultfd",
                                "io_uring_setup",
                                "io_uring_enter",
                                "io_uring_register",
                                "personality",
                                "unshare",
                                "setns",
                                "process_vm_writev",
                                "process_vm_readv",
                                "open_by_handle_at",
                                "swapon",
                                "swapoff",
                                "reboot",
                                "iopl",
                                "ioperm"}) {
    EXPECT_NE(FindDangerousSyscall(name), nullptr) << name;
    EXPECT_NE(FindSyscall(Target::kLinux, name), nullptr) << name;
  }
  for (std::string_view name : {"kldload", "jail_attach", "nmount", "unmount", "chroot"}) {
    EXPECT_NE(FindDangerousSyscall(name), nullptr) << name;
    EXPECT_NE(FindSyscall(Target::kFreeBsd, name), nullptr) << name;
  }
  EXPECT_EQ(FindDangerousSyscall("read"), nullptr);
}

}  // namespace
}  // namespace stockade::policy
