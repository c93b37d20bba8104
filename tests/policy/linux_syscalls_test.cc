// SPDX-License-Identifier: BSD-2-Clause
// The Linux syscall table against the installed libseccomp, both ways.

#include <gtest/gtest.h>
#include <seccomp.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "stockade/policy/names.h"

namespace stockade::policy {
namespace {

// Far above any x86_64 number; the generator scans further, but 1000 is what the table promises.
constexpr int kScanLimit = 1000;

std::string Resolve(int number) {
  std::unique_ptr<char, decltype(&std::free)> name(
      seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, number), &std::free);
  return name ? std::string(name.get()) : std::string();
}

TEST(LinuxSyscallsTest, LibseccompIsTheGeneratorsVersion) {
  const scmp_version* version = seccomp_version();
  EXPECT_EQ(version->major, 2u);
  EXPECT_EQ(version->minor, 5u) << "regenerate with policy/src/tables/gen_linux_syscalls.sh";
}

TEST(LinuxSyscallsTest, EveryLibseccompNumberIsInTheTable) {
  for (int number = 0; number <= kScanLimit; ++number) {
    const std::string name = Resolve(number);
    const SyscallInfo* info = FindSyscallByNumber(Target::kLinux, number);
    if (name.empty()) {
      EXPECT_EQ(info, nullptr) << number << " is in the table but libseccomp does not know it";
      continue;
    }
    ASSERT_NE(info, nullptr) << "missing " << name << " (" << number << ")";
    EXPECT_EQ(info->name, name) << number;
    EXPECT_FALSE(info->capability_mode_allowed) << name;
  }
}

TEST(LinuxSyscallsTest, EveryTableRowResolvesBothWays) {
  for (const SyscallInfo& info : Syscalls(Target::kLinux)) {
    EXPECT_EQ(Resolve(info.number), info.name);
    const std::string name(info.name);
    EXPECT_EQ(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str()), info.number)
        << name;
    EXPECT_EQ(FindSyscall(Target::kLinux, info.name), &info);
  }
}

TEST(LinuxSyscallsTest, SizeAndHighestNumber) {
  const auto table = Syscalls(Target::kLinux);
  EXPECT_EQ(table.size(), 368u);
  EXPECT_EQ(table.back().number, kLinuxHighestKnownSyscall);
  EXPECT_EQ(FindSyscallByNumber(Target::kLinux, kLinuxHighestKnownSyscall + 1), nullptr);
}

TEST(LinuxSyscallsTest, LookupsAreExact) {
  EXPECT_EQ(FindSyscall(Target::kLinux, "openat")->number, 257);
  EXPECT_EQ(FindSyscall(Target::kLinux, "newfstatat")->number, 262);
  EXPECT_EQ(FindSyscall(Target::kLinux, "fstatat"), nullptr);  // FreeBSD's name
  EXPECT_EQ(FindSyscall(Target::kLinux, "OPENAT"), nullptr);
  EXPECT_EQ(FindSyscall(Target::kLinux, ""), nullptr);
  EXPECT_EQ(FindSyscallByNumber(Target::kLinux, -1), nullptr);
}

}  // namespace
}  // namespace stockade::policy
