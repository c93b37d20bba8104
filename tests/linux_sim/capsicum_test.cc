// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum emulation's filters, evaluated in user space: the layout of limited descriptor
// numbers, the rights each call needs (rights x operations), the BPF programs against the
// model on every call of the table with many register patterns, and the table's coverage of
// every descriptor argument the kernel names.

#include "stockade/linux_sim/capsicum.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "capsicum_capmode.h"
#include "capsicum_runtime.h"
#include "capsicum_table.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/check.h"
#include "stockade/policy/names.h"
#include "testing/test_util.h"

namespace stockade::linux_sim {
namespace {

int Nr(const char* name) {
  const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
  EXPECT_NE(info, nullptr) << name;
  return info ? info->number : -1;
}

RightSet Rights(std::initializer_list<const char*> names) {
  RightSet set;
  for (const char* name : names) set.Add(FindRight(name)->value);
  return set;
}

launch::DescriptorLimits Limit(int fd, RightSet rights) {
  launch::DescriptorLimits l;
  l.fd = fd;
  l.rights = rights;
  return l;
}

// fd 0 read-only stream, fd 1 write-only, fd 3 a directory, fd 4 a file with ioctls and fcntls,
// fd 6 a file that may only tell its offset.
launch::Manifest SampleManifest() {
  launch::Manifest m;
  m.program = "/bin/true";
  m.argv = {"true"};
  m.keep = {0, 1, 2};
  m.preopens.push_back({3, launch::kRead | launch::kDirectory, 0, "/data"});
  m.preopens.push_back({4, launch::kRead | launch::kWrite, 0, "/data/file"});
  m.limits.push_back(Limit(0, Rights({"CAP_READ", "CAP_EVENT", "CAP_FSTAT"})));
  m.limits.push_back(Limit(1, Rights({"CAP_WRITE", "CAP_FSTAT"})));
  m.limits.push_back(Limit(3, Rights({"CAP_LOOKUP", "CAP_READ", "CAP_FSTAT", "CAP_FSTATAT"})));
  launch::DescriptorLimits file = Limit(4, Rights({"CAP_READ", "CAP_SEEK_TELL", "CAP_MMAP_R",
                                                   "CAP_IOCTL", "CAP_FCNTL", "CAP_FSTAT"}));
  file.ioctls = std::vector<uint64_t>{FIONREAD, TIOCGWINSZ};
  file.fcntls = FindFcntlRight("CAP_FCNTL_GETFL")->mask;
  m.limits.push_back(file);
  m.preopens.push_back({6, launch::kRead, 0, "/data/other"});
  m.limits.push_back(Limit(6, Rights({"CAP_READ", "CAP_SEEK_TELL"})));
  return m;
}

CapsicumLayout SampleLayout(uint64_t nofile = 1024) {
  Expected<CapsicumLayout> layout = LayoutCapsicum(SampleManifest(), nofile);
  EXPECT_TRUE(layout.has_value()) << (layout.has_value() ? "" : layout.error().message());
  return layout.has_value() ? *layout : CapsicumLayout();
}

// ---- layout ---------------------------------------------------------------------------------

TEST(CapsicumLayoutTest, ClassesAreDistinctLimitsAndBlocksSitAtTheTop) {
  launch::Manifest m = SampleManifest();
  m.limits.push_back(Limit(2, Rights({"CAP_WRITE", "CAP_FSTAT"})));  // same limits as fd 1
  Expected<CapsicumLayout> layout = LayoutCapsicum(m, 1024);
  ASSERT_TRUE(layout.has_value()) << layout.error().message();
  EXPECT_EQ(layout->classes.size(), 5u);
  EXPECT_EQ(layout->ClassOf(1), layout->ClassOf(2));
  EXPECT_NE(layout->ClassOf(0), layout->ClassOf(1));
  EXPECT_EQ(layout->ClassOf(5), -1);
  EXPECT_EQ(layout->ClassOf(-100), -1);  // AT_FDCWD
  EXPECT_TRUE(layout->classes[layout->ClassOf(3)].directory);
  EXPECT_FALSE(layout->classes[layout->ClassOf(4)].directory);
  EXPECT_EQ(layout->block_size, 32);
  ASSERT_EQ(layout->block_base.size(), 5u);
  EXPECT_EQ(layout->block_base.back() + layout->block_size, 1024);
  for (size_t c = 0; c < layout->classes.size(); ++c) {
    for (int fd : layout->BlockOf(static_cast<int>(c))) {
      EXPECT_EQ(layout->ClassOf(fd), static_cast<int>(c)) << fd;
      EXPECT_FALSE(layout->IsFixed(fd));
    }
  }
  EXPECT_TRUE(layout->IsFixed(3));
}

TEST(CapsicumLayoutTest, SmallDescriptorLimitsShrinkTheBlocksOrRefuse) {
  Expected<CapsicumLayout> small = LayoutCapsicum(SampleManifest(), 64);
  ASSERT_TRUE(small.has_value()) << small.error().message();
  EXPECT_EQ(small->block_size, 8);
  EXPECT_EQ(small->block_base.front(), 24);
  Expected<CapsicumLayout> tiny = LayoutCapsicum(SampleManifest(), 40);
  ASSERT_FALSE(tiny.has_value());
  EXPECT_NE(tiny.error().message().find("RLIMIT_NOFILE 40"), std::string::npos);
  // Huge limits do not put descriptors far up the table.
  Expected<CapsicumLayout> huge = LayoutCapsicum(SampleManifest(), 1 << 20);
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(huge->block_base.back() + huge->block_size, 4096);
}

TEST(CapsicumLayoutTest, CoversMeansTheNumberAllowsNothingMore) {
  RightsClass read;
  read.rights = Rights({"CAP_READ", "CAP_FSTAT"});
  RightsClass read_only = read;
  read_only.rights = Rights({"CAP_READ"});
  EXPECT_TRUE(read.Covers(read_only));
  EXPECT_FALSE(read_only.Covers(read));
  EXPECT_FALSE(read.Covers(RightsClass()));  // an unlimited number
  RightsClass ioctls;
  ioctls.rights = Rights({"CAP_IOCTL"});
  ioctls.ioctls = std::vector<uint64_t>{1, 2};
  RightsClass fewer = ioctls;
  fewer.ioctls = std::vector<uint64_t>{2};
  RightsClass all_ioctls = ioctls;
  all_ioctls.ioctls.reset();
  EXPECT_TRUE(ioctls.Covers(fewer));
  EXPECT_FALSE(fewer.Covers(ioctls));
  EXPECT_FALSE(ioctls.Covers(all_ioctls));
  EXPECT_TRUE(all_ioctls.Covers(ioctls));
  RightsClass dir = read;
  dir.directory = true;
  EXPECT_FALSE(dir.Covers(read)) << "a directory on a number whose lookups are not supervised";
  EXPECT_TRUE(read.Covers(dir));
}

// ---- rights x operations: the model ---------------------------------------------------------

struct Call {
  const char* name;
  std::array<uint64_t, 6> args;
  CapsicumVerdict expected;
  const char* why;
};

std::string Name(CapsicumVerdict verdict) {
  switch (verdict) {
    case CapsicumVerdict::kAllow:
      return "allow";
    case CapsicumVerdict::kNotCapable:
      return "ENOTCAPABLE";
    case CapsicumVerdict::kCapMode:
      return "ECAPMODE";
    case CapsicumVerdict::kNoSys:
      return "ENOSYS";
    case CapsicumVerdict::kSupervise:
      return "supervise";
  }
  return "?";
}

constexpr uint64_t kHigh = 0xdead'beef'0000'0000ULL;  // garbage the kernel drops from int args
constexpr uint64_t kAtFdcwd = static_cast<uint64_t>(static_cast<int64_t>(AT_FDCWD));

TEST(CapsicumModelTest, RightsTimesOperations) {
  const CapsicumLayout layout = SampleLayout();
  const uint64_t block0 = static_cast<uint64_t>(layout.BlockOf(layout.ClassOf(0))[5]);
  using V = CapsicumVerdict;
  const Call calls[] = {
      {"read", {0}, V::kAllow, "stdin has CAP_READ"},
      {"read", {1}, V::kNotCapable, "stdout lacks CAP_READ"},
      {"read", {1 | kHigh}, V::kNotCapable, "the kernel reads fd 1 whatever the high half"},
      {"read", {5}, V::kAllow, "fd 5 is not limited"},
      {"read", {block0}, V::kAllow, "a copy of stdin in its block has CAP_READ"},
      {"write", {block0}, V::kNotCapable, "... and not CAP_WRITE"},
      {"write", {0}, V::kNotCapable, ""},
      {"write", {1}, V::kAllow, ""},
      {"writev", {0}, V::kNotCapable, ""},
      {"readv", {1}, V::kNotCapable, ""},
      {"pread64", {0}, V::kNotCapable, "CAP_PREAD is CAP_READ|CAP_SEEK"},
      {"pwrite64", {1}, V::kNotCapable, ""},
      {"preadv2", {0, 0, 0, ~0ULL}, V::kAllow, "offset -1 reads like readv"},
      {"preadv2", {0, 0, 0, 0}, V::kNotCapable, "an offset needs CAP_PREAD"},
      {"lseek", {6, 0, SEEK_CUR}, V::kAllow, "telling the offset needs only CAP_SEEK_TELL"},
      {"lseek", {6, 0, SEEK_SET}, V::kNotCapable, ""},
      {"lseek", {6, 1, SEEK_CUR}, V::kNotCapable, ""},
      {"lseek", {6 | kHigh, 0, SEEK_CUR | kHigh}, V::kAllow, "whence is an unsigned int"},
      {"lseek", {4, 0, SEEK_SET}, V::kAllow, "CAP_MMAP_R includes CAP_SEEK"},
      {"lseek", {0, 0, SEEK_CUR}, V::kNotCapable, "stdin has no CAP_SEEK_TELL"},
      {"fstat", {1}, V::kAllow, ""},
      {"fstat", {4}, V::kAllow, ""},
      {"newfstatat", {4, 0, 0, AT_EMPTY_PATH}, V::kAllow, "fstat(2) as glibc makes it"},
      {"newfstatat", {4, 0, 0, 0}, V::kNotCapable, "a lookup needs CAP_FSTATAT"},
      {"newfstatat", {3, 0, 0, AT_EMPTY_PATH}, V::kSupervise, "beneath a directory"},
      {"newfstatat", {kAtFdcwd, 0, 0, 0}, V::kAllow, "AT_FDCWD outside capability mode"},
      {"ftruncate", {4}, V::kNotCapable, ""},
      {"fchmod", {4}, V::kNotCapable, ""},
      {"fchown", {4}, V::kNotCapable, ""},
      {"fsync", {4}, V::kNotCapable, ""},
      {"flock", {4}, V::kNotCapable, ""},
      {"fchdir", {3}, V::kNotCapable, "CAP_FCHDIR"},
      {"getdents64", {3}, V::kAllow, "CAP_READ on the directory"},
      {"fgetxattr", {4}, V::kNotCapable, ""},
      {"mmap", {0, 4096, PROT_READ, MAP_PRIVATE, 4, 0}, V::kAllow, "CAP_MMAP_R"},
      {"mmap",
       {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 4, 0},
       V::kAllow,
       "private writes need no CAP_MMAP_W"},
      {"mmap",
       {0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 4, 0},
       V::kNotCapable,
       "shared writes do"},
      {"mmap", {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, 4, 0}, V::kNotCapable, "CAP_MMAP_X"},
      {"mmap", {0, 4096, PROT_READ, MAP_PRIVATE, 1, 0}, V::kNotCapable, "no CAP_MMAP on stdout"},
      {"mmap",
       {0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 1, 0},
       V::kAllow,
       "anonymous: the descriptor is ignored"},
      {"ioctl", {4, FIONREAD}, V::kAllow, "in the command list"},
      {"ioctl", {4, FIONREAD | kHigh}, V::kAllow, "the kernel reads 32 bits of the command"},
      {"ioctl", {4, FIOCLEX}, V::kNotCapable, "not in the list"},
      {"ioctl", {0, FIONREAD}, V::kNotCapable, "stdin has no CAP_IOCTL"},
      {"ioctl", {5, FIOCLEX}, V::kAllow, ""},
      {"fcntl", {4, F_GETFL}, V::kAllow, "CAP_FCNTL_GETFL"},
      {"fcntl", {4, F_SETFL}, V::kNotCapable, "cap_fcntls_limit left only GETFL"},
      {"fcntl", {4, F_GETOWN}, V::kNotCapable, ""},
      {"fcntl", {4, F_SETLK}, V::kNotCapable, "record locks need CAP_FLOCK"},
      {"fcntl", {4, F_GETFD}, V::kAllow, "descriptor flags need no right"},
      {"fcntl", {0, F_GETFL}, V::kNotCapable, "stdin lacks CAP_FCNTL"},
      {"fcntl", {0, F_SETPIPE_SZ}, V::kNotCapable, "any other command needs CAP_FCNTL"},
      {"fcntl", {0, F_DUPFD, 10}, V::kSupervise, "the copy must keep the limits"},
      {"fcntl", {5, F_DUPFD, 10}, V::kAllow, ""},
      {"dup", {0}, V::kSupervise, ""},
      {"dup", {block0}, V::kSupervise, ""},
      {"dup", {5}, V::kAllow, ""},
      {"dup2", {0, 7}, V::kSupervise, ""},
      {"dup2", {7, 0}, V::kAllow, "an unlimited descriptor onto a limited number: over-limited"},
      {"dup3", {1, 9, O_CLOEXEC}, V::kSupervise, ""},
      {"close", {0}, V::kSupervise, "a fixed number keeps a placeholder"},
      {"close", {block0}, V::kAllow, ""},
      {"close", {5}, V::kAllow, ""},
      {"openat", {3, 0, O_RDONLY}, V::kSupervise, "beneath the directory"},
      {"openat", {3, 0, O_WRONLY}, V::kNotCapable, "the directory lacks CAP_WRITE"},
      {"openat", {3, 0, O_RDONLY | O_CREAT}, V::kNotCapable, "... and CAP_CREATE"},
      {"openat", {4, 0, O_RDONLY}, V::kNotCapable, "a file limited without CAP_LOOKUP"},
      {"openat", {kAtFdcwd, 0, O_RDWR}, V::kAllow, ""},
      {"mkdirat", {3}, V::kNotCapable, "CAP_MKDIRAT"},
      {"unlinkat", {3}, V::kNotCapable, "CAP_UNLINKAT"},
      {"readlinkat", {3}, V::kSupervise, "CAP_LOOKUP is enough"},
      {"renameat", {3, 0, 5, 0}, V::kNotCapable, "CAP_RENAMEAT_SOURCE"},
      {"linkat", {5, 0, 3, 0, 0}, V::kNotCapable, "CAP_LINKAT_TARGET"},
      {"symlinkat", {0, 3, 0}, V::kNotCapable, "CAP_SYMLINKAT on the directory argument"},
      {"utimensat", {4, 0, 0, 0}, V::kNotCapable, "futimens needs CAP_FUTIMES"},
      {"execveat", {4, 0, 0, 0, AT_EMPTY_PATH}, V::kNotCapable, "fexecve needs CAP_FEXECVE"},
      {"execveat", {5, 0, 0, 0, AT_EMPTY_PATH}, V::kSupervise, "execs are always supervised"},
      {"execve", {0}, V::kSupervise, ""},
      {"accept", {0}, V::kNotCapable, ""},
      {"connect", {1}, V::kNotCapable, ""},
      {"sendto", {1, 0, 0, 0, 0, 0}, V::kAllow, "CAP_WRITE is CAP_SEND"},
      {"sendto", {1, 0, 0, 0, 0x1000, 16}, V::kNotCapable, "an address needs CAP_CONNECT"},
      {"recvfrom", {0}, V::kAllow, ""},
      {"sendfile", {1, 0, 0, 1}, V::kAllow, "READ on stdin, WRITE on stdout"},
      {"sendfile", {1, 0, 0x1000, 1}, V::kNotCapable, "an offset needs CAP_PREAD"},
      {"sendfile", {0, 1, 0, 1}, V::kNotCapable, ""},
      {"splice", {0, 0, 1, 0, 1, 0}, V::kAllow, ""},
      {"splice", {1, 0, 0, 0, 1, 0}, V::kNotCapable, ""},
      {"copy_file_range", {4, 0, 1, 0, 1, 0}, V::kAllow, ""},
      {"copy_file_range", {4, 0, 1, 0x1000, 1, 0}, V::kNotCapable, "CAP_PWRITE out"},
      {"tee", {0, 1, 1, 0}, V::kAllow, ""},
      {"vmsplice", {0}, V::kNotCapable, "both directions"},
      {"epoll_ctl", {5, 1, 0, 0}, V::kAllow, "stdin has CAP_EVENT"},
      {"epoll_ctl", {5, 1, 1, 0}, V::kNotCapable, "stdout lacks CAP_EVENT"},
      {"epoll_wait", {0}, V::kNotCapable, "CAP_KQUEUE_EVENT"},
      {"pidfd_getfd", {5, 0, 0}, V::kNotCapable, "never a copy of a limited number"},
      {"pidfd_getfd", {5, 7, 0}, V::kAllow, ""},
      {"io_uring_setup", {1, 0}, V::kNoSys, "io_uring cannot be mediated"},
      {"io_setup", {1, 0}, V::kNoSys, ""},
      {"setns", {3, 0}, V::kNotCapable, "no FreeBSD counterpart: no limited descriptor"},
      {"getpid", {}, V::kAllow, ""},
  };
  for (const Call& call : calls) {
    const CapsicumVerdict verdict = DecideCapsicum(layout, Nr(call.name), call.args.data());
    EXPECT_EQ(Name(verdict), Name(call.expected))
        << call.name << "(" << call.args[0] << ", " << call.args[1] << ", " << call.args[2]
        << ", ...) " << call.why;
  }
}

TEST(CapsicumModelTest, NothingLimitedDecidesNothing) {
  const CapsicumLayout none;
  const uint64_t args[6] = {0};
  EXPECT_EQ(DecideCapsicum(none, Nr("read"), args), CapsicumVerdict::kAllow);
  EXPECT_EQ(DecideCapsicum(none, Nr("io_uring_setup"), args), CapsicumVerdict::kAllow);
  EXPECT_EQ(DecideCapsicum(none, Nr("execve"), args), CapsicumVerdict::kAllow);
}

TEST(CapsicumModelTest, MissingRightNamesIt) {
  const CapsicumLayout layout = SampleLayout();
  const uint64_t read1[6] = {1};
  EXPECT_EQ(MissingRight(layout, Nr("read"), read1), "CAP_READ on fd 1");
  const uint64_t pread0[6] = {0};
  EXPECT_EQ(MissingRight(layout, Nr("pread64"), pread0), "CAP_SEEK_TELL|CAP_SEEK on fd 0");
  const uint64_t setfl[6] = {4, F_SETFL};
  EXPECT_EQ(MissingRight(layout, Nr("fcntl"), setfl), "CAP_FCNTL_SETFL on fd 4");
  const uint64_t ioctl[6] = {4, FIOCLEX};
  EXPECT_EQ(MissingRight(layout, Nr("ioctl"), ioctl), "ioctl 0x5451 in cap_ioctls_limit on fd 4");
  const uint64_t fine[6] = {0};
  EXPECT_EQ(MissingRight(layout, Nr("read"), fine), "");
}

// ---- the BPF programs equal the model ---------------------------------------------------------

CapsicumVerdict Kernel(const CapsicumPlan& plan, int nr, const uint64_t args[6]) {
  const uint32_t rights = EvaluateBpf(plan.rights_program, AUDIT_ARCH_X86_64, nr, 0, args);
  const uint32_t notify = EvaluateBpf(plan.notify_program, AUDIT_ARCH_X86_64, nr, 0, args);
  const uint32_t both = CombineActions({rights, notify});
  switch (both & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return CapsicumVerdict::kAllow;
    case SECCOMP_RET_USER_NOTIF:
      return CapsicumVerdict::kSupervise;
    case SECCOMP_RET_ERRNO:
      if ((both & SECCOMP_RET_DATA) == STOCKADE_ENOTCAPABLE) return CapsicumVerdict::kNotCapable;
      if ((both & SECCOMP_RET_DATA) == STOCKADE_ECAPMODE) return CapsicumVerdict::kCapMode;
      if ((both & SECCOMP_RET_DATA) == ENOSYS) return CapsicumVerdict::kNoSys;
      break;
  }
  ADD_FAILURE() << "unexpected filter result " << std::hex << both;
  return CapsicumVerdict::kAllow;
}

// Register values that reach every branch of the table: the limited numbers (fixed, first and
// last of each block) and unlimited ones, with and without high-half garbage, and the flag and
// command values the table names.
std::vector<uint64_t> Interesting(const CapsicumLayout& layout) {
  std::set<uint64_t> values = {0, 1, 2, 5, 7, kAtFdcwd, ~0ULL, 0x1000};
  for (const auto& [fd, cls] : layout.fixed) values.insert(static_cast<uint64_t>(fd));
  for (size_t c = 0; c < layout.classes.size(); ++c) {
    const std::vector<int> block = layout.BlockOf(static_cast<int>(c));
    values.insert(static_cast<uint64_t>(block.front()));
    values.insert(static_cast<uint64_t>(block.back()));
    values.insert(static_cast<uint64_t>(block.front() - 1));
  }
  for (const detail::SyscallSpec& spec : detail::CapsicumSpecs(layout.capability_mode)) {
    std::vector<detail::ArgCond> all;
    for (const detail::RightsCheck& check : spec.checks) {
      all.insert(all.end(), check.when.begin(), check.when.end());
    }
    for (const detail::Denial& denial : spec.denials) {
      all.insert(all.end(), denial.when.begin(), denial.when.end());
    }
    for (const detail::Route& route : spec.routes) {
      all.insert(all.end(), route.when.begin(), route.when.end());
    }
    for (const detail::ArgCond& c : all) {
      values.insert(c.value);
      values.insert(c.mask);
      values.insert(c.value ^ c.mask);
    }
  }
  values.insert(FIONREAD);
  values.insert(TIOCGWINSZ);
  std::vector<uint64_t> out(values.begin(), values.end());
  const size_t plain = out.size();
  for (size_t i = 0; i < plain; ++i) out.push_back(out[i] | kHigh);
  return out;
}

void ExpectProgramsEqualModel(const CapsicumLayout& layout) {
  Expected<CapsicumPlan> plan = CompileCapsicum(layout);
  ASSERT_TRUE(plan.has_value()) << plan.error().message();
  const std::vector<uint64_t> values = Interesting(layout);
  std::mt19937_64 random(4093);
  size_t compared = 0, mismatches = 0;
  std::vector<int> numbers;
  for (const detail::SyscallSpec& spec : detail::CapsicumSpecs(layout.capability_mode)) {
    numbers.push_back(spec.nr);
  }
  for (int nr : {Nr("execve"), Nr("getpid"), Nr("mprotect"), 1023, 4095}) numbers.push_back(nr);
  for (int nr : numbers) {
    for (int round = 0; round < 600; ++round) {
      uint64_t args[6];
      for (uint64_t& a : args) {
        a = random() % 4 == 0 ? random() : values[random() % values.size()];
      }
      const CapsicumVerdict expected = DecideCapsicum(layout, nr, args);
      const CapsicumVerdict actual = Kernel(*plan, nr, args);
      ++compared;
      if (expected != actual && mismatches++ < 10) {
        ADD_FAILURE() << "nr " << nr << " args {" << std::hex << args[0] << ", " << args[1] << ", "
                      << args[2] << ", " << args[3] << ", " << args[4] << "}: filters "
                      << Name(actual) << ", model " << Name(expected);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << compared;
  // Other architectures and x32 numbers are left to the policy's filters.
  const uint64_t args[6] = {1};
  EXPECT_EQ(EvaluateBpf(plan->rights_program, AUDIT_ARCH_I386, Nr("read"), 0, args),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(EvaluateBpf(plan->rights_program, AUDIT_ARCH_X86_64, Nr("read") | 0x40000000, 0, args),
            SECCOMP_RET_ALLOW);
}

TEST(CapsicumFilterTest, SampleLayoutEqualsModel) { ExpectProgramsEqualModel(SampleLayout()); }

TEST(CapsicumFilterTest, SmallTableEqualsModel) { ExpectProgramsEqualModel(SampleLayout(64)); }

TEST(CapsicumFilterTest, ManyClassesAndLongIoctlListsEqualModel) {
  launch::Manifest m;
  m.program = "/bin/true";
  m.argv = {"true"};
  std::mt19937 random(94);
  const std::span<const RightInfo> all = AllRights();
  // Eight classes, more than any example policy has (the program grows with classes times
  // syscalls; the compiler refuses beyond BPF's 4096 instructions, see below).
  for (int fd = 3; fd < 11; ++fd) {
    RightSet rights;
    for (int i = 0; i < 8; ++i) rights.Add(all[random() % all.size()].value);
    launch::DescriptorLimits l = Limit(fd, rights);
    if (fd % 3 == 0) {
      std::vector<uint64_t> commands;
      for (int i = 0; i < 30; ++i) commands.push_back(0x5400 + random() % 4096);
      l.ioctls = commands;
    }
    if (fd % 5 == 0) l.fcntls = random() % 0x78;
    m.preopens.push_back({fd, launch::kRead | (fd % 2 ? launch::kDirectory : 0u), 0, "/x"});
    m.limits.push_back(l);
  }
  Expected<CapsicumLayout> layout = LayoutCapsicum(m, 4096);
  ASSERT_TRUE(layout.has_value()) << layout.error().message();
  ExpectProgramsEqualModel(*layout);
}

TEST(CapsicumFilterTest, TooManyClassesIsRefusedNotTruncated) {
  launch::Manifest m;
  m.program = "/bin/true";
  m.argv = {"true"};
  const std::span<const RightInfo> all = AllRights();
  for (int fd = 3; fd < 120; ++fd) {
    RightSet rights;
    rights.Add(all[static_cast<size_t>(fd) % all.size()].value);
    rights.Add(all[static_cast<size_t>(fd * 7) % all.size()].value);
    m.preopens.push_back({fd, launch::kRead, 0, "/x"});
    m.limits.push_back(Limit(fd, rights));
  }
  Expected<CapsicumLayout> layout = LayoutCapsicum(m, 4096);
  ASSERT_TRUE(layout.has_value()) << layout.error().message();
  Expected<CapsicumPlan> plan = CompileCapsicum(*layout);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(plan.error().message().find("at most 4096"), std::string::npos);
}

TEST(CapsicumFilterTest, NothingLimitedCompilesToTheReservedCallAlone) {
  // No rights to check; the notify program still hands the supervisor libstockade-capsicum's
  // reserved call (the program may limit itself: mechanism 7), and exec, so that the
  // launcher's first exec waits for the listener to be fetched.
  Expected<CapsicumPlan> plan = CompileCapsicum(CapsicumLayout());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->rights_program.empty());
  const uint64_t args[6] = {STOCKADE_CAPSICUM_MAGIC, STOCKADE_CAPSICUM_OP_GETMODE, 0, 0, 0, 0};
  EXPECT_EQ(
      EvaluateBpf(plan->notify_program, AUDIT_ARCH_X86_64, STOCKADE_CAPSICUM_SYSCALL, 0, args),
      SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(EvaluateBpf(plan->notify_program, AUDIT_ARCH_X86_64, Nr("execve"), 0, args),
            SECCOMP_RET_USER_NOTIF);
  for (const char* name : {"read", "openat", "dup", "close", "kill"}) {
    EXPECT_EQ(EvaluateBpf(plan->notify_program, AUDIT_ARCH_X86_64, Nr(name), 0, args),
              SECCOMP_RET_ALLOW)
        << name;
  }
}

// ---- attached to a sandbox's filters -------------------------------------------------------

TEST(CapsicumFilterTest, AttachedInFrontOfTheListenerFilter) {
  policy::SourceSet sources;
  policy::Diagnostics diags;
  const policy::FileId file = sources.Add(
      "/nonexistent/p.yaml",
      "version: 1\nname: t\nsyscalls:\n  default: kill\n  allow: [read, write, dup, close, "
      "exit_group]\n");
  std::optional<policy::Policy> policy = policy::CheckBuffer(sources, file, diags);
  ASSERT_TRUE(policy.has_value());
  Expected<SeccompPlan> seccomp = CompileSeccomp(BuildFilterModel(*policy), sources, {});
  ASSERT_TRUE(seccomp.has_value()) << seccomp.error().message();
  ASSERT_TRUE(seccomp->listener);
  const size_t before = seccomp->programs.size();
  Expected<CapsicumPlan> capsicum = CompileCapsicum(SampleLayout());
  ASSERT_TRUE(capsicum.has_value());
  ASSERT_TRUE(AttachCapsicum(*capsicum, *seccomp).has_value());
  ASSERT_EQ(seccomp->programs.size(), before + 1);
  ASSERT_EQ(seccomp->programs.front().size(), capsicum->rights_program.size());
  EXPECT_EQ(memcmp(seccomp->programs.front().data(), capsicum->rights_program.data(),
                   capsicum->rights_program.size() * sizeof(sock_filter)),
            0);
  auto kernel = [&](const char* name, std::initializer_list<uint64_t> a) {
    uint64_t args[6] = {};
    std::copy(a.begin(), a.end(), args);
    std::vector<uint32_t> results;
    for (const auto& program : seccomp->programs) {
      results.push_back(EvaluateBpf(program, AUDIT_ARCH_X86_64, Nr(name), 0, args));
    }
    return CombineActions(results);
  };
  EXPECT_EQ(kernel("read", {0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(kernel("read", {1}), SECCOMP_RET_ERRNO | STOCKADE_ENOTCAPABLE);
  EXPECT_EQ(kernel("dup", {0}), SECCOMP_RET_USER_NOTIF) << "the supervisor makes the copy";
  EXPECT_EQ(kernel("dup", {5}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(kernel("getpid", {}), SECCOMP_RET_USER_NOTIF) << "the policy's default: kill";
  EXPECT_EQ(kernel("execve", {}), SECCOMP_RET_USER_NOTIF);
}

TEST(CapsicumFilterTest, AttachedWithoutAListenerCreatesOne) {
  SeccompPlan seccomp;
  seccomp.enabled = true;
  Expected<CapsicumPlan> capsicum = CompileCapsicum(SampleLayout());
  ASSERT_TRUE(capsicum.has_value());
  ASSERT_TRUE(AttachCapsicum(*capsicum, seccomp).has_value());
  EXPECT_TRUE(seccomp.listener);
  ASSERT_EQ(seccomp.programs.size(), 2u);
  const uint64_t args[6] = {};
  EXPECT_EQ(EvaluateBpf(seccomp.programs.back(), AUDIT_ARCH_X86_64, Nr("execve"), 0, args),
            SECCOMP_RET_USER_NOTIF)
      << "the launcher waits in its execve until the supervisor holds the listener";
  SeccompPlan disabled;
  EXPECT_FALSE(AttachCapsicum(*capsicum, disabled).has_value());
}

// ---- capability mode ------------------------------------------------------------------------

CapsicumLayout CapModeLayout(bool limits) {
  launch::Manifest m = limits ? SampleManifest() : launch::Manifest();
  m.program = "/bin/true";
  m.argv = {"true"};
  m.capability_mode = true;
  if (!limits) m.preopens.push_back({3, launch::kRead | launch::kDirectory, 0, "/data"});
  Expected<CapsicumLayout> layout = LayoutCapsicum(m, 1024, {"/lib", "/usr/lib"});
  EXPECT_TRUE(layout.has_value()) << (layout.has_value() ? "" : layout.error().message());
  return layout.has_value() ? *layout : CapsicumLayout();
}

TEST(CapsicumCapModeTest, TheLibraryDirectoriesGetAClassOfTheirOwn) {
  const CapsicumLayout layout = CapModeLayout(false);
  ASSERT_GE(layout.library_class, 0);
  EXPECT_EQ(layout.classes[layout.library_class], LibraryClass());
  EXPECT_TRUE(layout.classes[layout.library_class].directory);
  EXPECT_EQ(layout.library_dirs, (std::vector<std::string>{"/lib", "/usr/lib"}));
  EXPECT_EQ(layout.ClassOf(3), -1) << "an unlimited preopen stays unlimited";
}

TEST(CapsicumCapModeTest, CallsTimesCapabilityMode) {
  const CapsicumLayout layout = CapModeLayout(true);
  using V = CapsicumVerdict;
  const Call calls[] = {
      {"getpid", {}, V::kAllow, ""},
      {"read", {0}, V::kAllow, "rights still apply..."},
      {"read", {1}, V::kNotCapable, "... after capability mode"},
      {"open", {0x1000, O_RDONLY}, V::kSupervise, "the supervisor decides (library directories)"},
      {"open", {0x1000, O_RDWR | O_CREAT}, V::kSupervise, ""},
      {"stat", {0x1000, 0x2000}, V::kSupervise, ""},
      {"mkdir", {0x1000, 0755}, V::kCapMode, "a path from the working directory"},
      {"unlink", {0x1000}, V::kCapMode, ""},
      {"chdir", {0x1000}, V::kCapMode, ""},
      {"fchdir", {3}, V::kCapMode, "FreeBSD refuses fchdir in capability mode"},
      {"getcwd", {0x1000, 64}, V::kCapMode, ""},
      {"openat", {kAtFdcwd, 0x1000, O_RDONLY}, V::kSupervise, "read-only: mechanism 5 may serve"},
      {"openat", {5, 0x1000, O_RDWR}, V::kSupervise, "beneath any directory descriptor"},
      {"openat", {3, 0x1000, O_RDWR}, V::kNotCapable, "the limited directory lacks CAP_WRITE"},
      {"mkdirat", {kAtFdcwd, 0x1000, 0755}, V::kCapMode, "not read-only: ECAPMODE in the kernel"},
      {"mkdirat", {5, 0x1000, 0755}, V::kSupervise, ""},
      {"renameat", {5, 0x1000, kAtFdcwd, 0x2000}, V::kCapMode, "either side with AT_FDCWD"},
      {"newfstatat", {4, 0x1000, 0x2000, AT_EMPTY_PATH}, V::kSupervise, "fstat is supervised too"},
      {"utimensat", {5, 0, 0, 0}, V::kAllow, "futimens: no lookup"},
      {"utimensat", {5, 0x1000, 0, 0}, V::kSupervise, ""},
      {"kill", {1, 15}, V::kSupervise, "only the process itself: the supervisor compares"},
      {"tgkill", {1, 1, 15}, V::kSupervise, ""},
      {"bind", {5, 0x1000, 16}, V::kCapMode, ""},
      {"connect", {5, 0x1000, 16}, V::kCapMode, ""},
      {"sendto", {5, 0, 0, 0, 0, 0}, V::kAllow, ""},
      {"sendto", {5, 0, 0, 0, 0x1000, 16}, V::kCapMode, "a destination address"},
      {"clone", {0x3d0f00, 0}, V::kAllow, "threads"},
      {"clone", {0x10000000 | 17, 0}, V::kCapMode, "CLONE_NEWUSER"},
      {"clone3", {0x1000, 88}, V::kNoSys, "flags in memory: glibc falls back to clone"},
      {"prlimit64", {0, 7, 0, 0x1000}, V::kAllow, "its own limits"},
      {"prlimit64", {42, 7, 0, 0x1000}, V::kCapMode, "another process's"},
      {"execve", {0x1000, 0x2000, 0x3000}, V::kSupervise, "ECAPMODE except the launcher's"},
      {"execveat", {kAtFdcwd, 0x1000, 0, 0, AT_EMPTY_PATH}, V::kCapMode, ""},
      {"execveat", {5, 0x1000, 0, 0, 0}, V::kCapMode, "fexecve only: AT_EMPTY_PATH"},
      {"execveat", {5, 0x1000, 0, 0, AT_EMPTY_PATH}, V::kSupervise, "not a directory?"},
      {"ptrace", {}, V::kCapMode, ""},
      {"mount", {}, V::kCapMode, ""},
      {"shmget", {}, V::kCapMode, "SysV IPC keys are global"},
      {"setgroups", {0, 0}, V::kCapMode, ""},
      {"setuid", {0}, V::kAllow, ""},
      {"socket", {2, 1, 0}, V::kAllow, ""},
      {"pidfd_open", {7, 0}, V::kSupervise, "only the caller's children"},
      {"pidfd_getfd", {5, 7, 0}, V::kCapMode, ""},
      {"io_uring_setup", {1, 0}, V::kNoSys, ""},
      {"clock_nanosleep", {0, 0, 0x1000, 0}, V::kAllow, "sleep(3)"},
      {"mmap", {0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, ~0ULL, 0}, V::kAllow, ""},
      {"seccomp", {1, 0, 0x1000}, V::kAllow, "more filters only restrict"},
  };
  for (const Call& call : calls) {
    const CapsicumVerdict verdict = DecideCapsicum(layout, Nr(call.name), call.args.data());
    EXPECT_EQ(Name(verdict), Name(call.expected))
        << call.name << "(" << std::hex << call.args[0] << ", " << call.args[1] << ", "
        << call.args[2] << ", ...) " << call.why;
  }
  // Capability mode alone, without limited descriptors, is enough for io_uring to be refused.
  const uint64_t args[6] = {1};
  EXPECT_EQ(DecideCapsicum(CapModeLayout(false), Nr("io_uring_setup"), args), V::kNoSys);
}

TEST(CapsicumFilterTest, SealedUnixSocketsEqualModel) {
  // SCM_RIGHTS (CapsicumLayout::seal_unix_sockets): new AF_UNIX sockets go to the supervisor,
  // SO_PASSRIGHTS cannot be turned back on; other families and an unsealed layout are left alone.
  CapsicumLayout sealed = SampleLayout();
  sealed.seal_unix_sockets = true;
  ExpectProgramsEqualModel(sealed);
  CapsicumLayout capmode = CapModeLayout(false);
  capmode.seal_unix_sockets = true;
  ExpectProgramsEqualModel(capmode);
  using V = CapsicumVerdict;
  const uint64_t unix_stream[6] = {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0x1000};
  const uint64_t inet[6] = {AF_INET, SOCK_STREAM};
  const uint64_t passrights[6] = {7, SOL_SOCKET, 83, 0x1000, 4};
  const uint64_t reuse[6] = {7, SOL_SOCKET, SO_REUSEADDR, 0x1000, 4};
  for (const CapsicumLayout* layout : {&sealed, &capmode}) {
    EXPECT_EQ(DecideCapsicum(*layout, Nr("socket"), unix_stream), V::kSupervise);
    EXPECT_EQ(DecideCapsicum(*layout, Nr("socketpair"), unix_stream), V::kSupervise);
    EXPECT_EQ(DecideCapsicum(*layout, Nr("socket"), inet), V::kAllow);
    EXPECT_EQ(DecideCapsicum(*layout, Nr("setsockopt"), passrights), V::kNotCapable);
    EXPECT_EQ(DecideCapsicum(*layout, Nr("setsockopt"), reuse), V::kAllow);
  }
  const CapsicumLayout unsealed = SampleLayout();
  EXPECT_EQ(DecideCapsicum(unsealed, Nr("socket"), unix_stream), V::kAllow);
  CapsicumLayout nothing;
  nothing.seal_unix_sockets = true;  // but nothing limited: nothing to seal
  EXPECT_EQ(DecideCapsicum(nothing, Nr("socketpair"), unix_stream), V::kAllow);
  Expected<CapsicumPlan> plan = CompileCapsicum(nothing);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(EvaluateBpf(plan->notify_program, AUDIT_ARCH_X86_64, Nr("socketpair"), 0, unix_stream),
            SECCOMP_RET_ALLOW);
}

TEST(CapsicumFilterTest, CapabilityModeEqualsModel) {
  ExpectProgramsEqualModel(CapModeLayout(true));
  ExpectProgramsEqualModel(CapModeLayout(false));
}

TEST(CapsicumCapModeTest, EveryLinuxSyscallIsClassified) {
  for (int nr = 0; nr <= policy::kLinuxHighestKnownSyscall; ++nr) {
    const policy::SyscallInfo* info = policy::FindSyscallByNumber(policy::Target::kLinux, nr);
    if (!info) continue;
    EXPECT_NE(detail::FindCapModeRule(nr), nullptr)
        << info->name << " is not in capsicum_capmode.cc";
  }
}

TEST(CapsicumCapModeTest, MatchesFreeBsdsCapabilityModeList) {
  STOCKADE_REQUIRE_REFERENCE(reference);
  testing::Table table = testing::ReadTsv(*reference / "freebsd" / "syscalls.tsv");
  ASSERT_FALSE(table.rows.empty());
  // FreeBSD name -> allowed in capability mode, from the current (non-compat) entry.
  std::map<std::string, bool> allowed;
  for (const auto& row : table.rows) {
    const std::string& type = row.at("type");
    const bool compat =
        type.find("COMPAT") != std::string::npos || type.find("OBSOL") != std::string::npos;
    const std::string& name = row.at("name");
    const bool yes = row.at("capability_mode_allowed") == "yes";
    if (!compat || !allowed.count(name)) allowed[name] = yes;
  }
  for (const detail::CapModeRule& rule : detail::CapModeTable()) {
    const std::string name(rule.linux_name);
    if (rule.freebsd.empty()) {
      EXPECT_FALSE(rule.note.empty()) << name << ": a Linux-only call needs a reason";
      continue;
    }
    std::string list(rule.freebsd);
    size_t start = 0;
    while (start <= list.size()) {
      const size_t bar = list.find('|', start);
      const std::string counterpart =
          list.substr(start, bar == std::string::npos ? bar : bar - start);
      start = bar == std::string::npos ? list.size() + 1 : bar + 1;
      auto it = allowed.find(counterpart);
      ASSERT_NE(it, allowed.end()) << name << ": FreeBSD has no syscall " << counterpart;
      bool expect_allowed;
      switch (rule.mode) {
        case detail::CapMode::kAllow:
        case detail::CapMode::kLookup:
        case detail::CapMode::kSignal:
          expect_allowed = true;
          break;
        case detail::CapMode::kDeny:
        case detail::CapMode::kPath:
          expect_allowed = false;
          break;
        default:
          EXPECT_FALSE(rule.note.empty()) << name << ": a special case needs its reason";
          continue;
      }
      if (it->second != expect_allowed) {
        EXPECT_FALSE(rule.note.empty())
            << name << " is treated " << (expect_allowed ? "as allowed" : "as forbidden")
            << " but FreeBSD's " << counterpart << " is "
            << (it->second ? "CAPENABLED" : "not CAPENABLED") << ", and no note says why";
      }
    }
  }
}

// ---- coverage of the kernel's descriptor arguments ------------------------------------------

TEST(CapsicumTableTest, CoversEveryDescriptorArgumentTheKernelNames) {
  testing::Table table = testing::ReadTsv(testing::SourceDir() / "tests" / "linux_sim" /
                                          "testdata" / "syscall_fd_args.tsv");
  ASSERT_GT(table.rows.size(), 100u);
  // Tracepoint names that libseccomp spells differently.
  const std::map<std::string, std::string> kAliases = {{"newfstat", "fstat"},
                                                       {"sendfile64", "sendfile"}};
  // Arguments whose names match but that are not descriptors of the caller.
  const std::set<std::string> kNotDescriptors = {
      "add_key", "request_key",  // key serials
      "pipe",    "pipe2",        // an output array of new descriptors
      "wait4",                   // a pid
  };
  // dup2/dup3 onto a limited number: the new descriptor takes the number's limits (never more
  // than it had), so the target needs no check.
  const std::set<std::pair<std::string, int>> kUnchecked = {{"dup2", 1}, {"dup3", 1}};
  const std::vector<std::string>& free_calls = detail::CapsicumFreeCalls();
  for (const auto& row : table.rows) {
    std::string name = row.at("syscall");
    if (auto alias = kAliases.find(name); alias != kAliases.end()) name = alias->second;
    if (kNotDescriptors.count(name)) continue;
    if (std::find(free_calls.begin(), free_calls.end(), name) != free_calls.end()) continue;
    const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
    if (!info) {
      // Newer than libseccomp's table: its number is refused by the syscall filter
      // (ENOSYS or the default action), so no limited descriptor reaches it.
      continue;
    }
    const detail::SyscallSpec* spec = detail::FindCapsicumSpec(info->number);
    ASSERT_NE(spec, nullptr) << name << " takes a descriptor (" << row.at("name")
                             << ") and is not in capsicum_table.cc";
    const int arg = std::stoi(row.at("arg"));
    if (kUnchecked.count({name, arg})) continue;
    bool covered = false;
    for (const detail::RightsCheck& check : spec->checks) covered |= check.fd_arg == arg;
    for (const detail::Route& route : spec->routes) covered |= route.fd_arg == arg;
    if (name == "waitid") covered |= arg == 1;
    EXPECT_TRUE(covered) << name << " argument " << arg << " (" << row.at("name")
                         << ") has no rights check";
  }
}

TEST(CapsicumTableTest, EveryRowNamesAKnownSyscallOnce) {
  std::set<int> seen;
  for (const detail::SyscallSpec& spec : detail::CapsicumSpecs()) {
    EXPECT_TRUE(seen.insert(spec.nr).second) << spec.name << " twice";
    EXPECT_EQ(policy::FindSyscall(policy::Target::kLinux, spec.name)->number, spec.nr);
  }
  for (const std::string& name : detail::CapsicumFreeCalls()) {
    const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(detail::FindCapsicumSpec(info->number), nullptr) << name << " is in both lists";
  }
}

// ---- the program's own limits (mechanism 7) --------------------------------------------------

uint32_t Reserved(const std::vector<sock_filter>& program, uint64_t op, uint64_t claim) {
  const uint64_t args[6] = {STOCKADE_CAPSICUM_MAGIC, op, claim, 0, 0, 0};
  return EvaluateBpf(program, AUDIT_ARCH_X86_64, STOCKADE_CAPSICUM_SYSCALL, 0, args);
}

TEST(CapsicumRuntimeTest, TheClaimCheckAdmitsItsIntervalOnly) {
  const std::vector<sock_filter> tail = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP)};
  const uint64_t first = 0x00000001fffffff0ULL, last = 0x00000003ffffffffULL;
  Expected<std::vector<sock_filter>> program = detail::CompileClaimCheck(first, last, tail);
  ASSERT_TRUE(program.has_value()) << program.error().message();
  const uint32_t denied = SECCOMP_RET_ERRNO | EPERM;
  for (uint64_t claim : std::vector<uint64_t>{first, first + 1, first + 0x10, 0x0000000200000000ULL,
                                              last - 1, last}) {
    EXPECT_EQ(Reserved(*program, STOCKADE_CAPSICUM_OP_SYSCALL, claim), SECCOMP_RET_ALLOW)
        << std::hex << claim;
  }
  for (uint64_t claim :
       std::vector<uint64_t>{0, first - 1, last + 1, 0x00000001ffffffefULL, 0x0000000400000000ULL,
                             0x8000000000000000ULL, ~uint64_t{0}}) {
    EXPECT_EQ(Reserved(*program, STOCKADE_CAPSICUM_OP_SYSCALL, claim), denied) << std::hex << claim;
    EXPECT_EQ(Reserved(*program, STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT, claim), denied);
  }
  // OP_SUGGEST names no state; every other call goes on to the tail.
  EXPECT_EQ(Reserved(*program, STOCKADE_CAPSICUM_OP_SUGGEST, 0), SECCOMP_RET_ALLOW);
  const uint64_t args[6] = {0};
  EXPECT_EQ(EvaluateBpf(*program, AUDIT_ARCH_X86_64, Nr("read"), 0, args), SECCOMP_RET_TRAP);
  EXPECT_EQ(EvaluateBpf(*program, AUDIT_ARCH_I386, STOCKADE_CAPSICUM_SYSCALL, 0, args),
            SECCOMP_RET_TRAP);
}

TEST(CapsicumRuntimeTest, StatesNestTheirIntervals) {
  detail::RuntimeStates states(CapsicumLayout(), {"/lib"}, 1024);
  RightsClass read_only;
  read_only.rights = RightSet().Add(FindRight("CAP_READ")->value);
  Expected<detail::RuntimeChange> a = states.Limit(states.Root(), 5, read_only);
  ASSERT_TRUE(a.has_value() && a->state) << (a.has_value() ? "" : a.error().message());
  Expected<detail::RuntimeChange> b = states.Limit(states.Root(), 6, read_only);  // a sibling
  ASSERT_TRUE(b.has_value() && b->state);
  Expected<detail::RuntimeChange> c = states.Enter(*a->state);  // a's child
  ASSERT_TRUE(c.has_value() && c->state);
  const detail::RuntimeState &sa = *a->state, &sb = *b->state, &sc = *c->state;
  EXPECT_GT(sa.id, 0u);
  EXPECT_TRUE(sc.id > sa.id && sc.last <= sa.last) << "a child's interval is inside its parent's";
  EXPECT_TRUE(sb.id > sa.last || sb.last < sa.id) << "siblings' intervals are disjoint";
  // So a's filter admits c's claim (stricter) but not b's nor the root's.
  const std::vector<sock_filter>& program = a->programs.front();
  EXPECT_EQ(Reserved(program, STOCKADE_CAPSICUM_OP_SYSCALL, sc.id), SECCOMP_RET_ALLOW);
  EXPECT_EQ(Reserved(program, STOCKADE_CAPSICUM_OP_SYSCALL, sb.id), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(Reserved(program, STOCKADE_CAPSICUM_OP_SYSCALL, 0), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(states.Find(sc.id), &sc);
  EXPECT_TRUE(sc.full.capability_mode);
  EXPECT_EQ(sc.full.ClassOf(5), sa.full.ClassOf(5));
  // The same limits again change nothing.
  Expected<detail::RuntimeChange> same = states.Limit(sa, 5, read_only);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->state, nullptr);
  // A chain of limits ends when its ids do (about 60 deep), not silently.
  const detail::RuntimeState* at = &sa;
  size_t depth = 0;
  for (int fd = 7; fd < 200; ++fd) {
    Expected<detail::RuntimeChange> next = states.Limit(*at, fd, read_only);
    if (!next.has_value()) {
      EXPECT_EQ(next.error().code(), ErrorCode::kResourceExhausted);
      break;
    }
    if (next->state) at = next->state;
    ++depth;
  }
  EXPECT_GT(depth, 20u);
  EXPECT_LT(depth, 193u);
}

TEST(CapsicumRuntimeTest, CopiesGoOnlyWhereLimitsHeldAsLongAsTheOriginals) {
  // The policy limits fd 3 (CAP_READ, CAP_SEEK). A process may really be in any ancestor of
  // the state it names, where a younger block is unlimited: a copy of fd 3 may not go there.
  CapsicumLayout plan;
  RightsClass read_seek;
  read_seek.rights = RightSet().Add(FindRight("CAP_READ")->value).Add(FindRight("CAP_SEEK")->value);
  plan.classes = {read_seek};
  plan.fixed = {{3, 0}};
  plan.block_size = 32;
  plan.block_base = {992};
  EXPECT_EQ(plan.PlacementClass(3), 0);
  EXPECT_EQ(plan.SinceOf(3), 0);
  EXPECT_EQ(plan.SinceOf(5), INT_MAX);
  EXPECT_EQ(plan.PlacementClass(5), -1) << "unlimited: no block";

  detail::RuntimeStates states(plan, {"/lib"}, 1024);
  RightsClass read_only;
  read_only.rights = RightSet().Add(FindRight("CAP_READ")->value);
  Expected<detail::RuntimeChange> narrowed = states.Limit(states.Root(), 3, read_only);
  ASSERT_TRUE(narrowed.has_value() && narrowed->state);
  const CapsicumLayout& d = narrowed->state->full;
  EXPECT_EQ(d.SinceOf(3), 0) << "fd 3 has been limited since the policy";
  const int young = d.ClassOf(3);
  EXPECT_EQ(d.classes[static_cast<size_t>(young)], read_only);
  EXPECT_EQ(d.SinceOf(d.BlockOf(young).front()), 1) << "its new class's block is younger";
  EXPECT_EQ(d.PlacementClass(3), -1) << "nowhere safe: the copy is refused";

  // A descriptor first limited now may have its copies in the new block.
  Expected<detail::RuntimeChange> fresh = states.Limit(states.Root(), 5, read_only);
  ASSERT_TRUE(fresh.has_value() && fresh->state);
  const CapsicumLayout& e = fresh->state->full;
  EXPECT_EQ(e.SinceOf(5), 1);
  EXPECT_EQ(e.PlacementClass(5), e.ClassOf(5));
  // And a class within fd 3's limits whose block is as old would do (here: none but its own).
  EXPECT_EQ(e.PlacementClass(3), 0);
}

// A runtime filter from an empty policy is the whole emulation: its verdicts are the model's,
// with SECCOMP_RET_TRAP for what the supervisor performs (exec excepted outside capability
// mode: the trap cannot let it continue, and nothing needs checking there).
void ExpectRuntimeProgramEqualsModel(const detail::RuntimeState& state,
                                     const std::vector<sock_filter>& program) {
  const CapsicumLayout& layout = state.full;
  const std::vector<uint64_t> values = Interesting(layout);
  std::mt19937_64 random(4094);
  size_t mismatches = 0;
  for (const detail::SyscallSpec& spec : detail::CapsicumSpecs(layout.capability_mode)) {
    if (!layout.capability_mode && (spec.nr == Nr("execve") || spec.nr == Nr("execveat"))) {
      continue;
    }
    for (int round = 0; round < 300; ++round) {
      uint64_t args[6];
      for (uint64_t& a : args) a = random() % 4 == 0 ? random() : values[random() % values.size()];
      const CapsicumVerdict expected = DecideCapsicum(layout, spec.nr, args);
      const uint32_t result = EvaluateBpf(program, AUDIT_ARCH_X86_64, spec.nr, 0, args);
      CapsicumVerdict actual = CapsicumVerdict::kAllow;
      if (result == (SECCOMP_RET_TRAP | STOCKADE_CAPSICUM_TRAP_DATA)) {
        actual = CapsicumVerdict::kSupervise;
      } else if (result == (SECCOMP_RET_ERRNO | STOCKADE_ENOTCAPABLE)) {
        actual = CapsicumVerdict::kNotCapable;
      } else if (result == (SECCOMP_RET_ERRNO | STOCKADE_ECAPMODE)) {
        actual = CapsicumVerdict::kCapMode;
      } else if (result == (SECCOMP_RET_ERRNO | ENOSYS)) {
        actual = CapsicumVerdict::kNoSys;
      } else if (result != SECCOMP_RET_ALLOW) {
        ADD_FAILURE() << "unexpected result " << std::hex << result;
      }
      if (expected != actual && mismatches++ < 10) {
        ADD_FAILURE() << "nr " << spec.nr << " args {" << std::hex << args[0] << ", " << args[1]
                      << ", " << args[2] << ", " << args[3] << "}: model " << Name(expected)
                      << ", filter " << Name(actual);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(CapsicumRuntimeTest, TheFilterOfALimitEqualsTheModel) {
  detail::RuntimeStates states(CapsicumLayout(), {"/lib", "/usr/lib"}, 1024);
  RightsClass dir;
  dir.rights = RightSet()
                   .Add(FindRight("CAP_LOOKUP")->value)
                   .Add(FindRight("CAP_READ")->value)
                   .Add(FindRight("CAP_FSTAT")->value);
  dir.directory = true;
  Expected<detail::RuntimeChange> limited = states.Limit(states.Root(), 3, dir);
  ASSERT_TRUE(limited.has_value() && limited->state);
  ASSERT_EQ(limited->programs.size(), 1u);
  ExpectRuntimeProgramEqualsModel(*limited->state, limited->programs.front());
}

TEST(CapsicumRuntimeTest, TheFilterOfALimitSealsUnixSockets) {
  // The program's own first limit: from then on its new Unix sockets are the supervisor's.
  CapsicumLayout policy;
  policy.seal_unix_sockets = true;
  detail::RuntimeStates states(policy, {"/lib", "/usr/lib"}, 1024);
  RightsClass read;
  read.rights = RightSet().Add(FindRight("CAP_READ")->value);
  Expected<detail::RuntimeChange> limited = states.Limit(states.Root(), 3, read);
  ASSERT_TRUE(limited.has_value() && limited->state);
  ASSERT_TRUE(limited->state->full.SealsUnixSockets());
  ExpectRuntimeProgramEqualsModel(*limited->state, limited->programs.front());
  const uint64_t unix_dgram[6] = {AF_UNIX, SOCK_DGRAM};
  EXPECT_EQ(EvaluateBpf(limited->programs.front(), AUDIT_ARCH_X86_64, Nr("socket"), 0, unix_dgram),
            SECCOMP_RET_TRAP | STOCKADE_CAPSICUM_TRAP_DATA);
}

TEST(CapsicumRuntimeTest, TheFilterOfCapEnterEqualsTheModel) {
  // From an empty policy, cap_enter's filter (capability mode and the library class) is the
  // whole of the emulation too.
  detail::RuntimeStates states(CapsicumLayout(), {"/lib", "/usr/lib"}, 1024);
  Expected<detail::RuntimeChange> entered = states.Enter(states.Root());
  ASSERT_TRUE(entered.has_value() && entered->state) << entered.error().message();
  ExpectRuntimeProgramEqualsModel(*entered->state, entered->programs.front());
}

}  // namespace
}  // namespace stockade::linux_sim
