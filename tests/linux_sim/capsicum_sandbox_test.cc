// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum emulation under real enforcement: `stockade run` starts the probe with limited
// descriptors and each operation is tried in the sandboxed process, proving both the refusal
// (ENOTCAPABLE) and that what the rights allow still works. Rights x operations, copies
// (dup, F_DUPFD, dup2, dup3), close, inheritance through fork and exec, io_uring.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

// What an operation must do: succeed, fail with ENOTCAPABLE, or get past the rights check
// (the kernel may still refuse it for its own reasons: EPERM, EINVAL...).
enum class Expect { kOk, kNotCapable, kPassesRights, kError };

struct Op {
  std::string op;  // the probe's NAME:FD[:ARG]
  Expect expect;
  std::string error = "";  // with kError
};

class CapsicumSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { STOCKADE_REQUIRE_SANDBOX(); }

  // A policy whose fd 3 is a new file in a scratch directory, opened O_RDWR and limited to
  // `rights` (plus `extra` lines under the descriptor), and whatever `more` adds.
  static std::string FilePolicy(const std::string& rights, const std::string& extra = "",
                                const std::string& more = "") {
    return "descriptors:\n"
           "  - path: /scratch/data\n"
           "    fd: 3\n"
           "    flags: [O_RDWR, O_CREAT]\n"
           "    mode: 0o644\n"
           "    rights: [" +
           rights + "]\n" + extra + more +
           "filesystem:\n"
           "  mounts:\n"
           "    - {source: " +
           std::filesystem::path(ProbePath()).parent_path().string() +
           ", target: /probe}\n"
           "  scratch:\n"
           "    - {target: /scratch, size: 1M}\n"
           "accept_approximate:\n"
           "  - clause: descriptors\n"
           "    backend: linux\n"
           "    justification: \"the emulation's differences (docs/capsicum-linux.md) are "
           "known\"\n";
  }

  ProbeRun Run(const std::string& policy, std::vector<std::string> command) {
    RunSpec spec;
    spec.policy = policy;
    spec.command = std::move(command);
    spec.timeout_seconds = 20;
    return RunSandboxed(dir_, spec);
  }

  // Runs every operation in one sandboxed probe and checks each against its expectation.
  void ExpectOps(const std::string& policy, const std::vector<Op>& ops) {
    std::vector<std::string> command = {"probe", "ops"};
    for (const Op& op : ops) command.push_back(op.op);
    ProbeRun run = Run(policy, command);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    ASSERT_TRUE(run.probe["value"].is_array()) << run.out << run.err;
    ASSERT_EQ(run.probe["value"].size(), ops.size()) << run.out;
    for (size_t i = 0; i < ops.size(); ++i) {
      const nlohmann::json& result = run.probe["value"][i];
      const std::string error = result["error"];
      switch (ops[i].expect) {
        case Expect::kOk:
          EXPECT_TRUE(result["ok"]) << ops[i].op << " failed with " << error;
          break;
        case Expect::kNotCapable:
          EXPECT_EQ(error, "ENOTCAPABLE") << ops[i].op;
          break;
        case Expect::kPassesRights:
          EXPECT_NE(error, "ENOTCAPABLE") << ops[i].op;
          break;
        case Expect::kError:
          EXPECT_EQ(error, ops[i].error) << ops[i].op;
          break;
      }
    }
    last_ = run;
  }

  TempDir dir_;
  ProbeRun last_;
};

constexpr Expect kOk = Expect::kOk;
constexpr Expect kNo = Expect::kNotCapable;
constexpr Expect kPass = Expect::kPassesRights;

// ---- rights x operations -------------------------------------------------------------------

TEST_F(CapsicumSandboxTest, ReadOnly) {
  ExpectOps(FilePolicy("CAP_READ"),
            {{"read:3", kOk},           {"readv:3", kOk},         {"write:3", kNo},
             {"writev:3", kNo},         {"pread:3", kNo},         {"pwrite:3", kNo},
             {"lseek-tell:3", kNo},     {"lseek-set:3", kNo},     {"fstat:3", kNo},
             {"fstat-raw:3", kNo},      {"statx:3", kNo},         {"fstatfs:3", kNo},
             {"mmap-none:3", kNo},      {"mmap-r:3", kNo},        {"ftruncate:3", kNo},
             {"fchmod:3", kNo},         {"fchown:3", kNo},        {"fsync:3", kNo},
             {"fdatasync:3", kNo},      {"flock:3", kNo},         {"fcntl-getfl:3", kNo},
             {"fcntl-setfl:3", kNo},    {"fcntl-setlk:3", kNo},   {"fcntl-getfd:3", kOk},
             {"ioctl-fionread:3", kNo}, {"ioctl-fioclex:3", kNo}, {"epoll-add:3", kNo},
             {"fchdir:3", kNo}});
}

TEST_F(CapsicumSandboxTest, SeekingReadingAndMapping) {
  ExpectOps(FilePolicy("CAP_READ, CAP_SEEK, CAP_FSTAT, CAP_MMAP_R"),
            {{"read:3", kOk},
             {"pread:3", kOk},
             {"lseek-set:3", kOk},
             {"lseek-tell:3", kOk},
             {"fstat:3", kOk},
             {"fstat-raw:3", kOk},
             {"statx:3", kOk},
             {"mmap-none:3", kPass},  // the empty file maps; CAP_MMAP is part of CAP_MMAP_R
             {"mmap-r:3", kPass},
             {"mmap-rw-private:3", kPass},  // private writes need no CAP_MMAP_W
             {"mmap-rw-shared:3", kNo},
             {"mmap-rx:3", kNo},
             {"write:3", kNo},
             {"pwrite:3", kNo}});
}

TEST_F(CapsicumSandboxTest, TellWithoutSeek) {
  ExpectOps(FilePolicy("CAP_SEEK_TELL"),
            {{"lseek-tell:3", kOk}, {"lseek-set:3", kNo}, {"pread:3", kNo}});
}

TEST_F(CapsicumSandboxTest, WritingSyncingTruncating) {
  ExpectOps(FilePolicy("CAP_WRITE, CAP_FTRUNCATE, CAP_FSYNC"),
            {{"write:3", kOk},
             {"writev:3", kOk},
             {"pwrite:3", kNo},  // CAP_PWRITE is CAP_WRITE|CAP_SEEK
             {"ftruncate:3:16", kOk},
             {"fsync:3", kOk},
             {"fdatasync:3", kOk},
             {"read:3", kNo},
             {"fstat:3", kNo}});
}

TEST_F(CapsicumSandboxTest, AttributesAndLocks) {
  ExpectOps(FilePolicy("CAP_PWRITE, CAP_FCHMOD, CAP_FCHOWN, CAP_FLOCK"),
            {{"pwrite:3", kOk},
             {"write:3", kOk},
             {"fchmod:3", kPass},  // the file is the launcher's: the kernel may say EPERM
             {"fchown:3", kPass},
             {"flock:3", kOk},
             {"fcntl-setlk:3", kOk},
             {"read:3", kNo},
             {"ftruncate:3", kNo}});
}

TEST_F(CapsicumSandboxTest, FcntlCommandsFollowCapFcntlsLimit) {
  ExpectOps(FilePolicy("CAP_READ, CAP_FCNTL", "    fcntls: [CAP_FCNTL_GETFL]\n"),
            {{"fcntl-getfl:3", kOk},
             {"fcntl-setfl:3", kNo},
             {"fcntl-getown:3", kNo},
             {"fcntl-setown:3", kNo},
             {"fcntl-getfd:3", kOk},
             {"fcntl-setlk:3", kNo}});  // record locks need CAP_FLOCK, not CAP_FCNTL
}

TEST_F(CapsicumSandboxTest, IoctlCommandsFollowCapIoctlsLimit) {
  ExpectOps(FilePolicy("CAP_READ, CAP_IOCTL", "    ioctls: [FIONREAD]\n"),
            {{"ioctl-fionread:3", kOk}, {"ioctl-fioclex:3", kNo}, {"ioctl-tiocgwinsz:3", kNo}});
}

TEST_F(CapsicumSandboxTest, DataMovedBetweenDescriptors) {
  // fd 3 may be read, fd 4 written: sendfile, splice and copy_file_range need exactly that.
  const std::string more =
      "  - path: /scratch/out\n"
      "    fd: 4\n"
      "    flags: [O_RDWR, O_CREAT]\n"
      "    rights: [CAP_WRITE]\n";
  ExpectOps(FilePolicy("CAP_READ", "", more),
            {{"sendfile:4:3", kPass},  // out 4, in 3
             {"sendfile:3:4", kNo},
             {"copy_file_range:3:4", kPass},
             {"copy_file_range:4:3", kNo},
             {"splice:3:4", kPass},  // no pipe: EINVAL, after the rights
             {"splice:4:3", kNo}});
}

TEST_F(CapsicumSandboxTest, UnmediatedMechanismsAreRefused) {
  ExpectOps(FilePolicy("CAP_READ"),
            {{"io_uring_setup", Expect::kError, "ENOSYS"}, {"read:3", kOk}});
}

// ---- copies keep the rights; closed numbers are not reused ---------------------------------

TEST_F(CapsicumSandboxTest, DuplicatesKeepTheirRights) {
  const std::string more =
      "  - path: /scratch/twin\n"
      "    fd: 5\n"
      "    flags: [O_RDWR, O_CREAT]\n"
      "    rights: [CAP_READ, CAP_FSTAT]\n"
      "  - path: /scratch/narrow\n"
      "    fd: 6\n"
      "    flags: [O_RDWR, O_CREAT]\n"
      "    rights: [CAP_READ]\n";
  ExpectOps(FilePolicy("CAP_READ, CAP_FSTAT", "", more),
            {{"dup:3", kOk},
             {"fcntl-dupfd:3:0", kOk},
             {"fcntl-dupfd-cloexec:3:0", kOk},
             {"dup2:3:5", kOk},  // the same limits
             {"dup2:3:6", kOk},  // tighter limits: the copy has less
             {"dup2:3:9", kNo},  // an unlimited number would widen the rights
             {"dup3:3:9", kNo},
             {"dup2:3:3", kOk},
             {"dup3:3:3", Expect::kError, "EINVAL"},
             {"read:5", kOk},
             {"fstat:6", kNo},
             {"write:5", kNo}});
  // The copies landed in fd 3's block (numbers are handed out in order, so a second run gets
  // the same ones), and they keep its limits.
  std::vector<std::string> copies;
  for (int i = 0; i < 3; ++i) {
    const int copy = last_.probe["value"][i]["value"];
    EXPECT_GT(copy, 100) << "copies go to the class's block at the top of the table";
    copies.push_back(std::to_string(copy));
  }
  ExpectOps(FilePolicy("CAP_READ, CAP_FSTAT", "", more), {{"dup:3", kOk},
                                                          {"fcntl-dupfd:3:0", kOk},
                                                          {"fcntl-dupfd-cloexec:3:0", kOk},
                                                          {"read:" + copies[0], kOk},
                                                          {"fstat:" + copies[1], kOk},
                                                          {"write:" + copies[2], kNo},
                                                          {"pread:" + copies[0], kNo},
                                                          {"dup:" + copies[1], kOk},
                                                          {"dup2:" + copies[0] + ":9", kNo}});
}

TEST_F(CapsicumSandboxTest, ClosedLimitedNumbersAreNotReused) {
  ExpectOps(FilePolicy("CAP_READ"), {{"close:3", kOk},
                                     {"close:3", Expect::kError, "EBADF"},  // closed is closed
                                     {"open:-1:/scratch/new", kOk},
                                     {"write:3", kNo}});
  const int reopened = last_.probe["value"][2]["value"];
  EXPECT_NE(reopened, 3) << "a new file must not inherit fd 3's limits";
  ExpectOps(FilePolicy("CAP_READ"),
            {{"close:3", kOk}, {"open:-1:/scratch/new", kOk}, {"write:4", kOk}});
}

// ---- inheritance ---------------------------------------------------------------------------

TEST_F(CapsicumSandboxTest, ForkedChildrenKeepTheLimits) {
  ExpectOps(FilePolicy("CAP_READ"), {{"fork-read:3", kOk}});
  ExpectOps(FilePolicy("CAP_WRITE"), {{"fork-read:3", kNo}});
}

TEST_F(CapsicumSandboxTest, ExecutedProgramsKeepTheLimits) {
  ProbeRun run =
      Run(FilePolicy("CAP_READ"), {"probe", "exec", "/probe/probe", "ops", "read:3", "write:3"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(run.probe["value"][0]["ok"]) << run.out;
  EXPECT_EQ(run.probe["value"][1]["error"], "ENOTCAPABLE") << run.out;
}

// ---- the standard descriptors ---------------------------------------------------------------

TEST_F(CapsicumSandboxTest, StandardDescriptors) {
  const std::string policy =
      "descriptors:\n"
      "  - fd: stdin\n"
      "    rights: [CAP_READ, CAP_FSTAT]\n"
      "  - fd: stdout\n"
      "    rights: [CAP_WRITE]\n"
      "accept_approximate:\n"
      "  - {clause: descriptors, backend: linux, justification: \"tests\"}\n";
  ExpectOps(policy, {{"read:0", kOk},
                     {"fstat:0", kOk},
                     {"write:0", kNo},
                     {"fstat:1", kNo},
                     {"read:1", kNo},
                     {"write:2", kOk}});
}

// ---- regressions ---------------------------------------------------------------------------

TEST_F(CapsicumSandboxTest, APreopenOnTheReportSocketsNumberDoesNotHangTheLaunch) {
  // The child's report socket is inherited on a low number (4 here); a preopen placed on it
  // used to replace it, and the seccomp listener's announcement was lost: the launcher then
  // waited in execve for a supervisor that never came.
  std::string more;
  for (int fd = 4; fd <= 8; ++fd) {
    more += "  - path: /scratch/f" + std::to_string(fd) + "\n    fd: " + std::to_string(fd) +
            "\n    flags: [O_RDWR, O_CREAT]\n    rights: [CAP_WRITE]\n";
  }
  ExpectOps(FilePolicy("CAP_READ", "", more), {{"write:4", kOk}, {"read:4", kNo}});
}

}  // namespace
}  // namespace stockade::testing
