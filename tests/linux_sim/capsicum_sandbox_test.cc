// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum emulation under real enforcement: `stockade run` starts the probe with limited
// descriptors and each operation is tried in the sandboxed process, proving both the refusal
// (ENOTCAPABLE) and that what the rights allow still works. Rights x operations, copies
// (dup, F_DUPFD, dup2, dup3), close, inheritance through fork and exec, io_uring.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "stockade/base/rights.h"
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

  // The probe's directory at /probe and a scratch directory at /scratch.
  static std::string ProbeAndScratch() {
    return "filesystem:\n"
           "  mounts:\n"
           "    - {source: " +
           std::filesystem::path(ProbePath()).parent_path().string() +
           ", target: /probe}\n"
           "  scratch:\n"
           "    - {target: /scratch, size: 1M}\n";
  }

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
           rights + "]\n" + extra + more + ProbeAndScratch() +
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

// Every right against the operation it governs: without the right (every other right of the
// table given) the operation fails with ENOTCAPABLE; with it (and what the operation also
// needs) it gets past the rights.
struct RightCase {
  const char* right;
  const char* op;
  const char* also = "";  // further rights the operation needs
};

class EveryRightTest : public CapsicumSandboxTest,
                       public ::testing::WithParamInterface<RightCase> {};

std::string AllRightsBut(const char* name) {
  RightSet rights = RightSet::All(RightRelease::kAll);
  rights.Remove(FindRight(name)->value);
  std::string_view names[128];
  const size_t count = RightNames(rights, names);
  std::string list;
  for (size_t i = 0; i < count && i < 128; ++i) {
    list += (list.empty() ? "" : ", ") + std::string(names[i]);
  }
  return list;
}

TEST_P(EveryRightTest, RefusedWithoutItAllowedWithIt) {
  const RightCase& c = GetParam();
  ExpectOps(FilePolicy(AllRightsBut(c.right)), {{std::string(c.op) + ":3", kNo}});
  const std::string with = std::string(c.right) + (*c.also ? ", " : "") + c.also;
  ExpectOps(FilePolicy(with), {{std::string(c.op) + ":3", kPass}});
}

INSTANTIATE_TEST_SUITE_P(
    Rights, EveryRightTest,
    ::testing::Values(RightCase{"CAP_READ", "read"}, RightCase{"CAP_READ", "readv"},
                      RightCase{"CAP_WRITE", "write"}, RightCase{"CAP_WRITE", "writev"},
                      RightCase{"CAP_SEEK", "lseek-set"}, RightCase{"CAP_SEEK_TELL", "lseek-tell"},
                      RightCase{"CAP_SEEK", "pread", "CAP_READ"},
                      RightCase{"CAP_SEEK", "pwrite", "CAP_WRITE"}, RightCase{"CAP_FSTAT", "fstat"},
                      RightCase{"CAP_FSTAT", "statx"}, RightCase{"CAP_FSTATFS", "fstatfs"},
                      RightCase{"CAP_FTRUNCATE", "ftruncate"}, RightCase{"CAP_FCHMOD", "fchmod"},
                      RightCase{"CAP_FCHOWN", "fchown"}, RightCase{"CAP_FSYNC", "fsync"},
                      RightCase{"CAP_FSYNC", "fdatasync"}, RightCase{"CAP_FLOCK", "flock"},
                      RightCase{"CAP_FLOCK", "fcntl-setlk"}, RightCase{"CAP_FCNTL", "fcntl-getfl"},
                      RightCase{"CAP_IOCTL", "ioctl-fionread"}, RightCase{"CAP_MMAP", "mmap-none"},
                      RightCase{"CAP_MMAP_R", "mmap-r"},
                      RightCase{"CAP_MMAP_W", "mmap-rw-shared", "CAP_MMAP_R"},
                      RightCase{"CAP_MMAP_X", "mmap-rx", "CAP_MMAP_R"},
                      RightCase{"CAP_EVENT", "epoll-add"}, RightCase{"CAP_FCHDIR", "fchdir"}),
    [](const ::testing::TestParamInfo<RightCase>& param) {
      std::string name = std::string(param.param.right).substr(4) + "_" + param.param.op;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

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

// ---- SCM_RIGHTS ------------------------------------------------------------------------------

TEST_F(CapsicumSandboxTest, NoUnixSocketTakesDescriptorsWhileAnythingIsLimited) {
  // FreeBSD carries the limits with a descriptor sent over a Unix socket; Linux cannot, so while
  // anything is limited every Unix socket of the sandbox refuses descriptors (SO_PASSRIGHTS
  // off), limited ones or not: the sender's sendmsg fails with EPERM. Data still passes, and
  // the program's abstract sockets still reach each other.
  ExpectOps(FilePolicy("CAP_READ"), {{"scm-rights:3:write", Expect::kError, "EPERM"},
                                     {"scm-rights:0:read", Expect::kError, "EPERM"},
                                     {"unix-connect:-1", kOk},
                                     {"unix-connect:3", Expect::kError, "EPERM"},
                                     {"unix-connect:0", Expect::kError, "EPERM"},
                                     {"passrights-on:-1", kNo},
                                     {"read:3", kOk}});
}

TEST_F(CapsicumSandboxTest, WithTheHostsNetworkTheHostsAbstractSocketsStayOutOfReach) {
  // The supervisor makes the program's Unix sockets, so Landlock's abstract-socket scope is
  // left out where the sandbox's own network namespace holds its abstract sockets; with the
  // host's namespace it stays: the host's listener is refused, the program's own still work.
  const std::string name = "stockade-test-" + std::to_string(getpid());
  const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "%s", name.c_str());
  const socklen_t size =
      static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(bind(listener, reinterpret_cast<struct sockaddr*>(&address), size), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  const std::string host = "network: {mode: host, justification: test}\n";
  ExpectOps(FilePolicy("CAP_READ", "", host),
            {{"connect-unix:-1:@" + name, Expect::kError, "EPERM"},
             {"unix-connect:-1", Expect::kError, "EIO"},
             {"read:3", kOk}});
  // Without limits the program makes its own sockets and the scope holds for them as well.
  ExpectOps(host,
            {{"connect-unix:-1:@" + name, Expect::kError, "EPERM"}, {"unix-connect:-1", kOk}});
  close(listener);
}

TEST_F(CapsicumSandboxTest, WithNothingLimitedDescriptorsPass) {
  const std::string policy =
      "descriptors:\n"
      "  - path: /scratch/data\n"
      "    fd: 3\n"
      "    flags: [O_RDWR, O_CREAT]\n" +
      ProbeAndScratch();
  ExpectOps(policy, {{"scm-rights:3:write", kOk}, {"unix-connect:3", kOk}});
}

TEST_F(CapsicumSandboxTest, AnInheritedUnixSocketRefusesDescriptors) {
  // The program's stdin is one end of the test's socket pair: the launcher turned
  // SO_PASSRIGHTS off on it before exec, which the test sees on its own copy of that socket.
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  RunSpec spec;
  spec.policy = FilePolicy("CAP_READ");
  spec.command = {"probe", "ops", "passrights:0", "scm-rights:0:read"};
  spec.stdin_fd = pair[1];
  spec.timeout_seconds = 20;
  ProbeRun run = RunSandboxed(dir_, spec);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.probe["value"][0]["value"], 0) << run.out;
  EXPECT_EQ(run.probe["value"][1]["error"], "EPERM") << run.out;
  int value = -1;
  socklen_t size = sizeof(value);
  ASSERT_EQ(getsockopt(pair[1], SOL_SOCKET, 83 /* SO_PASSRIGHTS */, &value, &size), 0);
  EXPECT_EQ(value, 0);
  close(pair[0]);
  close(pair[1]);
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

// ---- capability mode -----------------------------------------------------------------------

constexpr Expect kCapMode = Expect::kError;  // with "ECAPMODE"

class CapabilityModeTest : public CapsicumSandboxTest {
 protected:
  void SetUp() override {
    CapsicumSandboxTest::SetUp();
    if (IsSkipped()) return;
    // The directory the program is given (fd 3), and a file outside it.
    dir_.Write("tree/file", "content");
    dir_.Write("tree/sub/inner", "inner");
    dir_.Write("outside", "secret");
    const std::filesystem::path tree = dir_.path() / "tree";
    std::filesystem::create_directory_symlink("../outside", tree / "up");
    std::filesystem::create_symlink("/etc/passwd", tree / "abs");
    std::filesystem::create_symlink("sub/inner", tree / "inlink");
    // Writable by the sandbox's identity, whichever it is (a dedicated uid when run as root).
    std::filesystem::permissions(tree, std::filesystem::perms::all);
    std::filesystem::permissions(tree / "file", std::filesystem::perms::all);
  }

  // The filesystem clause of these tests: the probe's directory at /probe and the tree at /tree.
  std::string ProbeAndTreeMounts(bool writable_tree) const {
    return "filesystem:\n"
           "  mounts:\n"
           "    - {source: " +
           std::filesystem::path(ProbePath()).parent_path().string() +
           ", target: /probe}\n"
           "    - {source: " +
           (dir_.path() / "tree").string() + ", target: /tree" +
           (writable_tree ? ", readonly: false" : "") + "}\n";
  }

  // fd 3: the tree with `rights`; fd 4: the probe's directory (to execute it from); capability
  // mode. `more` goes at the end.
  std::string DirPolicy(const std::string& rights, const std::string& more = "") const {
    return "descriptors:\n"
           "  - path: /tree\n"
           "    fd: 3\n"
           "    type: directory\n"
           "    rights: [" +
           rights +
           "]\n"
           "  - path: /probe\n"
           "    fd: 4\n"
           "    type: directory\n"
           "    rights: [CAP_LOOKUP, CAP_READ, CAP_FSTAT, CAP_FEXECVE, CAP_MMAP_RX]\n"
           "capability_mode: true\n" +
           ProbeAndTreeMounts(true) +
           "accept_approximate:\n"
           "  - {clause: descriptors, backend: linux, justification: \"tests\"}\n"
           "  - {clause: capability_mode, backend: linux, justification: \"tests\"}\n" +
           more;
  }

  void ExpectCapModeOps(const std::string& policy, std::vector<Op> ops) {
    for (Op& op : ops) {
      if (op.expect == kCapMode && op.error.empty()) op.error = "ECAPMODE";
    }
    ExpectOps(policy, ops);
  }
};

constexpr const char* kReadDir = "CAP_LOOKUP, CAP_READ, CAP_FSTAT, CAP_FSTATAT, CAP_SEEK";

TEST_F(CapabilityModeTest, GlobalNamespacesAreGone) {
  ExpectCapModeOps(DirPolicy(kReadDir), {{"open:-1:/tree/file", kCapMode},
                                         {"openat:-100:/tree/file", kCapMode},
                                         {"openat:-100:tree/file", kCapMode},
                                         {"stat:-1:/", kCapMode},
                                         {"access:-1:/tree/file", kCapMode},
                                         {"mkdir:-1:/tree/new", kCapMode},
                                         {"chdir:-1:/tree", kCapMode},
                                         {"fchdir:3", kCapMode},
                                         {"getcwd", kCapMode},
                                         {"bind-unix:-1:/tree/socket", kCapMode},
                                         {"connect-unix:-1:/tree/socket", kCapMode},
                                         {"kill-parent", kCapMode},
                                         {"kill-group", kCapMode},
                                         {"ptrace-parent", kCapMode},
                                         {"pidfd-parent", kCapMode},
                                         {"fork-exec:-1:/probe/probe", kCapMode},
                                         // What capability mode keeps.
                                         {"kill-self", kOk},
                                         {"socket-inet", kOk},
                                         {"socketpair", kOk},
                                         {"pipe", kOk},
                                         {"pidfd-child", kOk},
                                         {"fexecve-dir:4:probe", kOk},
                                         {"read:3", Expect::kError, "EISDIR"}});
}

TEST_F(CapabilityModeTest, TheKernelsOwnLookupsFindOnlyTheLibraries) {
  // Two calls whose path the filters cannot see and the supervisor cannot check without a
  // race (the kernel reads it again): execveat with an absolute path (the descriptor is then
  // ignored) and sendmsg to an AF_UNIX address. The program's root in capability mode holds
  // only the library directories, so they find nothing there.
  const std::filesystem::path socket_path = dir_.path() / "tree/socket";
  const int listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path.c_str());
  ASSERT_EQ(bind(listener, reinterpret_cast<const struct sockaddr*>(&address), sizeof(address)), 0);
  chmod(socket_path.c_str(), 0777);
  ExpectCapModeOps(DirPolicy(kReadDir),
                   {{"execveat-path:4:probe:/probe/probe", Expect::kError, "ENOENT"},
                    {"fexecve-dir:4:probe:ok", kOk},
                    {"sendmsg-unix:-1:/tree/socket", Expect::kError, "ENOENT"},
                    {"sendmsg-unix:-1:tree/socket", Expect::kError, "ENOENT"}});
  char byte = 0;
  EXPECT_LT(recv(listener, &byte, 1, MSG_DONTWAIT), 0) << "a datagram arrived";
  close(listener);
}

TEST_F(CapabilityModeTest, LookupsStayBeneathTheDirectory) {
  ExpectCapModeOps(DirPolicy(kReadDir),
                   {{"openat:3:file", kOk},
                    {"openat:3:sub/inner", kOk},
                    {"openat:3:inlink", kOk},  // a symlink that stays inside
                    {"openat:3:sub/../file", kOk},
                    {"openat:3:.", kOk},
                    {"openat:3:..", kNo},
                    {"openat:3:../outside", kNo},
                    {"openat:3:sub/../../outside", kNo},
                    {"openat:3:up", kNo},   // a symlink out of it
                    {"openat:3:abs", kNo},  // an absolute symlink
                    {"openat:3:/etc/passwd", kNo},
                    {"openat:3:missing", Expect::kError, "ENOENT"},
                    {"openat-nofollow:3:inlink", Expect::kError, "ELOOP"},
                    {"openat2-beneath:3:file", kOk},
                    {"openat-path:3:file", kOk},  // O_PATH: installed opened for reading
                    {"openat-path:3:sub", kOk},
                    {"fstatat:3:file", kOk},
                    {"fstatat:3:up", kNo},
                    {"fstatat-nofollow:3:up", kOk},  // the link itself is beneath
                    {"statx-at:3:sub/inner", kOk},
                    {"faccessat:3:file", kOk},
                    {"faccessat:3:../outside", kNo},
                    {"readlinkat:3:inlink", kOk},
                    {"openat-dir:3:sub", kOk}});
}

TEST_F(CapabilityModeTest, APathChangedDuringTheLookupChangesNothing) {
  // The supervisor reads the path once and resolves its own copy: a thread rewriting the
  // buffer to an escape ("../probe/probe", an ELF file outside fd 3) never gets it opened.
  ExpectCapModeOps(DirPolicy(kReadDir), {{"race-path:3:file:../probe/probe", kOk}});
  EXPECT_GT(last_.probe["value"][0]["value"].get<long>(), 0) << "some opens of `file` worked";
}

TEST_F(CapabilityModeTest, DescriptorsOpenedBeneathHaveTheDirectorysRights) {
  ExpectCapModeOps(DirPolicy(kReadDir),
                   {{"openat-then:3:file:read", kOk},
                    {"openat-then:3:file:fstat", kOk},
                    {"openat-then:3:file:lseek-set", kOk},
                    {"openat-then:3:file:write", kNo},
                    {"openat-then:3:file:mmap-r", kNo},  // no CAP_MMAP on the directory
                    {"openat-then:3:file:fchmod", kNo},
                    {"openat-then:3:sub:getdents", kOk},
                    {"openat-write:3:file", kNo},  // opening for writing needs CAP_WRITE
                    {"openat-create:3:new", kNo},
                    {"mkdirat:3:d", kNo},
                    {"unlinkat:3:file", kNo},
                    {"renameat:3:file:moved", kNo},
                    {"symlinkat:3:file:link", kNo},
                    {"linkat:3:file:hard", kNo},
                    {"fchmodat:3:file", kNo},
                    {"utimensat:3:file", kNo}});
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "tree/file"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tree/new"));
}

TEST_F(CapabilityModeTest, AnUndumpableProgramStillGetsItsLookups) {
  // Undumpable, the program's /proc/PID/mem belongs to root: the supervisor's main thread opens
  // it, not a worker with the program's identity (which used to fail them with EACCES).
  ExpectCapModeOps(DirPolicy(kReadDir), {{"openat:3:file", kOk},
                                         {"undumpable", kOk},
                                         {"openat:3:file", kOk},
                                         {"fstatat:3:sub/inner", kOk},
                                         {"openat:3:../outside", kNo}});
}

TEST_F(CapabilityModeTest, ABlockingLookupDoesNotHoldUpTheOthers) {
  // One thread opens a FIFO that has no writer yet: the supervisor's worker waits in that open.
  // Another thread's lookup must not wait behind it (it would wait forever here: the writer
  // comes after it).
  const std::filesystem::path fifo = dir_.path() / "tree/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  std::filesystem::permissions(fifo, std::filesystem::perms::all);
  ExpectCapModeOps(DirPolicy(std::string(kReadDir) + ", CAP_WRITE"),
                   {{"open-past-fifo:3:fifo:file", kOk}});
}

TEST_F(CapabilityModeTest, AProgramWaitingInAFifoOpenStillEndsOnTime) {
  // The supervisor's worker waits in the open for a writer that never comes; at the end it is
  // interrupted (it used to keep stockade waiting forever, past the policy's timeout).
  const std::filesystem::path fifo = dir_.path() / "tree/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  std::filesystem::permissions(fifo, std::filesystem::perms::all);
  ProbeRun run =
      Run(DirPolicy(kReadDir, "exec:\n  timeout: 1s\n"), {"probe", "ops", "openat:3:fifo"});
  EXPECT_EQ(run.exit_code, 137) << run.out << run.err;
  EXPECT_NE(run.err.find("ran out of time"), std::string::npos) << run.err;
}

TEST_F(CapabilityModeTest, LandlockRulesHoldForTheSupervisorsLookups) {
  // The rights allow changes beneath the tree; the MAC rules (Landlock) make it read-only. The
  // supervisor performs those lookups, on a thread in the program's Landlock domain, so they
  // fail as the program's own would, and reading still works.
  const std::string rights =
      std::string(kReadDir) + ", CAP_WRITE, CAP_CREATE, CAP_MKDIRAT, CAP_UNLINKAT";
  const std::string mac =
      "  - {clause: mac.bsdextended, backend: linux, justification: \"tests\"}\n"
      "mac:\n"
      "  bsdextended:\n"
      "    - \"subject object filesys /tree mode rsx\"\n";
  ExpectCapModeOps(DirPolicy(rights, mac), {{"openat:3:file", kOk},
                                            {"openat:3:sub/inner", kOk},
                                            {"openat-write:3:file", Expect::kError, "EACCES"},
                                            {"openat-create:3:new", Expect::kError, "EACCES"},
                                            {"mkdirat:3:d", Expect::kError, "EACCES"},
                                            {"unlinkat:3:file", Expect::kError, "EACCES"}});
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "tree/file"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tree/new"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tree/d"));
  // Without the rules the same lookups change the tree (ChangesBeneathAWritableDirectory).
}

TEST_F(CapabilityModeTest, ChangesBeneathAWritableDirectory) {
  const std::string rights =
      std::string(kReadDir) +
      ", CAP_WRITE, CAP_CREATE, CAP_FTRUNCATE, CAP_MKDIRAT, CAP_MKFIFOAT, CAP_UNLINKAT, "
      "CAP_RENAMEAT_SOURCE, CAP_RENAMEAT_TARGET, CAP_SYMLINKAT, CAP_LINKAT_SOURCE, "
      "CAP_LINKAT_TARGET, CAP_FCHMODAT, CAP_FUTIMESAT";
  ExpectCapModeOps(DirPolicy(rights),
                   {{"openat-create:3:new", kOk},
                    {"openat-excl:3:new", Expect::kError, "EEXIST"},
                    {"openat-rw-then:3:new:write", kOk},
                    {"mkdirat:3:d", kOk},
                    {"mkdirat:3:d", Expect::kError, "EEXIST"},
                    {"mkdirat:3:../escaped", kNo},
                    {"renameat:3:new:d/moved", kOk},
                    {"renameat:3:d/moved:../escaped", kNo},
                    {"linkat:3:d/moved:hard", kOk},
                    {"symlinkat:3:d/moved:soft", kOk},
                    {"readlinkat:3:soft", kOk},
                    {"openat-then:3:soft:read", kOk},
                    {"symlinkat:3:/etc/passwd:evil", kOk},  // made, but never followed out
                    {"openat:3:evil", kNo},
                    {"mknodat-fifo:3:fifo", kOk},
                    {"fchmodat:3:d/moved", kOk},  // a file the program owns
                    {"utimensat:3:file", kOk},
                    {"unlinkat:3:hard", kOk},
                    {"rmdirat:3:d", Expect::kError, "ENOTEMPTY"},
                    {"unlinkat:3:../outside", kNo},
                    {"unlinkat:3:up", kOk}});  // the link itself, not what it points to
  const std::filesystem::path tree = dir_.path() / "tree";
  EXPECT_EQ(ReadFile(tree / "d/moved"), "x");
  EXPECT_TRUE(std::filesystem::is_symlink(tree / "soft"));
  EXPECT_FALSE(std::filesystem::exists(tree / "hard"));
  EXPECT_TRUE(std::filesystem::is_fifo(tree / "fifo"));
  EXPECT_EQ(std::filesystem::status(tree / "d/moved").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(ReadFile(dir_.path() / "outside"), "secret");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "escaped"));
}

TEST_F(CapabilityModeTest, ExecutedProgramsStayInCapabilityMode) {
  // The launcher's execve of the program is the one exec by path; the program's is refused.
  ProbeRun run = Run(DirPolicy(kReadDir), {"probe", "exec", "/probe/probe", "ok"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_EQ(run.probe["error"], "ECAPMODE") << run.out << run.err;
  // fexecve of a descriptor works, and the program it runs cannot open a path (exit 1).
  ExpectCapModeOps(DirPolicy(kReadDir), {{"fexecve-dir:4:probe:ok", kOk},
                                         {"fexecve-dir:4:probe:write-file,/tree/x", kCapMode},
                                         {"fexecve-dir:3:file", kNo},  // no CAP_FEXECVE
                                         // Another thread could swap the descriptor for a
                                         // directory while the kernel execs (docs).
                                         {"fexecve-dir-threaded:4:probe", kCapMode},
                                         {"clone-files", kCapMode}});
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "tree/x"));
}

// ---- unmodified dynamic programs, through the preopen library --------------------------------

class UnmodifiedProgramsTest : public CapabilityModeTest {
 protected:
  // The host's system directories (the dynamic loader, libc, the programs), read-only; fd 3
  // the tree (read-only rights), fd 4 /usr when `usr` (python3 looks for its files by path).
  std::string ProgramPolicy(bool usr) const {
    std::string policy =
        "descriptors:\n"
        "  - path: /tree\n"
        "    fd: 3\n"
        "    type: directory\n"
        "    rights: [CAP_LOOKUP, CAP_READ, CAP_FSTAT, CAP_FSTATAT, CAP_SEEK, CAP_MMAP_R, "
        "CAP_FCNTL, CAP_EVENT]\n";
    if (usr) {
      policy +=
          "  - path: /usr\n"
          "    fd: 4\n"
          "    type: directory\n"
          "    rights: [CAP_LOOKUP, CAP_READ, CAP_FSTAT, CAP_FSTATAT, CAP_SEEK, CAP_MMAP_R, "
          "CAP_FCNTL]\n";
    }
    policy +=
        "capability_mode: true\n"
        "filesystem:\n"
        "  mounts:\n"
        "    - {source: /usr, target: /usr}\n"
        "    - {source: " +
        (dir_.path() / "tree").string() + ", target: /tree}\n";
    std::string links;
    for (const char* top : {"/bin", "/lib", "/lib64"}) {
      if (!std::filesystem::exists(top)) continue;
      if (std::filesystem::is_symlink(top)) {
        links += std::string("    - {path: ") + top +
                 ", target: " + std::filesystem::read_symlink(top).string() + "}\n";
      } else {
        policy += std::string("    - {source: ") + top + ", target: " + top + "}\n";
      }
    }
    if (!links.empty()) policy += "  symlinks:\n" + links;
    return policy +
           "accept_approximate:\n"
           "  - {clause: descriptors, backend: linux, justification: \"tests\"}\n"
           "  - {clause: capability_mode, backend: linux, justification: \"tests\"}\n";
  }
};

TEST_F(UnmodifiedProgramsTest, CatReadsAFileInThePreopenedDirectory) {
  ProbeRun run = Run(ProgramPolicy(false), {"/bin/cat", "/tree/file", "/tree/sub/../inlink"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "contentinner");
  // Outside every preopen: the path reaches the system, which answers ECAPMODE (4094); out of
  // the directory through a symlink: ENOTCAPABLE (4093).
  run = Run(ProgramPolicy(false), {"/bin/cat", "/etc/passwd"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("4094"), std::string::npos) << run.err;
  run = Run(ProgramPolicy(false), {"/bin/cat", "/tree/up"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("4093"), std::string::npos) << run.err;
}

TEST_F(UnmodifiedProgramsTest, LsListsThePreopenedDirectory) {
  ProbeRun run = Run(ProgramPolicy(false), {"/bin/ls", "/tree/sub"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "inner\n");
}

TEST_F(UnmodifiedProgramsTest, AShellCannotExecuteAProgramByPath) {
  ProbeRun run = Run(ProgramPolicy(false), {"/bin/sh", "-c", "/bin/ls"});
  EXPECT_EQ(run.exit_code, 126) << run.err;
  EXPECT_NE(run.err.find("4094"), std::string::npos) << run.err;  // ECAPMODE
}

TEST_F(UnmodifiedProgramsTest, Python) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const std::string script =
      "import json, os\n"
      "out = {'file': open('/tree/file').read(), 'list': sorted(os.listdir('/tree/sub'))}\n"
      "for path in ['/etc/passwd', '/tree/up']:\n"
      "    try:\n"
      "        open(path)\n"
      "    except OSError as e:\n"
      "        out[path] = e.errno\n"
      "try:\n"
      "    open('/tree/new', 'w')\n"
      "except OSError as e:\n"
      "    out['write'] = e.errno\n"
      "print(json.dumps(out, sort_keys=True))\n";
  ProbeRun run = Run(ProgramPolicy(true), {"/usr/bin/python3", "-c", script});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "{\"/etc/passwd\": 4094, \"/tree/up\": 4093, \"file\": \"content\", \"list\": "
            "[\"inner\"], \"write\": 4093}\n")
      << run.err;
}

// ---- the program's own limits (mechanism 7) --------------------------------------------------

class RuntimeLimitsTest : public CapabilityModeTest {
 protected:
  // Runs tests/probe/capsicum_runtime.c's SCENARIO on /tree; every check must pass, and there
  // must be `checks` of them (a program that stopped early, or an exec that worked, has fewer).
  void Scenario(const std::string& scenario, size_t checks, const std::string& descriptors = "",
                const std::string& more = "") {
    const std::string policy =
        descriptors + ProbeAndTreeMounts(true) +
        "accept_approximate:\n"
        "  - {clause: descriptors, backend: linux, justification: \"tests\"}\n" +
        more;
    ProbeRun run = Run(policy, {"/probe/capsicum_runtime", scenario, "/tree"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    size_t ok = 0;
    for (size_t at = 0; (at = run.out.find("ok ", at)) != std::string::npos; ++at) {
      if (at == 0 || run.out[at - 1] == '\n') ++ok;
    }
    EXPECT_EQ(ok, checks) << run.out << run.err;
    EXPECT_EQ(run.out.find("FAIL"), std::string::npos) << run.out;
  }
};

TEST_F(RuntimeLimitsTest, CapRightsLimitIsEnforced) { Scenario("limit", 21); }
TEST_F(RuntimeLimitsTest, IoctlAndFcntlLimits) { Scenario("commands", 11); }
TEST_F(RuntimeLimitsTest, CapEnter) { Scenario("enter", 18); }
TEST_F(RuntimeLimitsTest, CapEnterUnderLandlockRules) {
  // With MAC rules (Landlock on files) the lookups of capability mode are made in the
  // program's Landlock domain; cap_enter used to be refused with EOPNOTSUPP then.
  Scenario("enter", 18, "",
           "  - {clause: mac.bsdextended, backend: linux, justification: \"tests\"}\n"
           "mac:\n"
           "  bsdextended:\n"
           "    - \"subject object filesys /probe mode rsx\"\n");
}
TEST_F(RuntimeLimitsTest, CaphLimitStdio) { Scenario("stdio", 5); }
TEST_F(RuntimeLimitsTest, EveryThreadIsLimited) { Scenario("threads", 2); }
TEST_F(RuntimeLimitsTest, AfterALimitNoUnixSocketTakesDescriptors) { Scenario("scm", 10); }
TEST_F(RuntimeLimitsTest, ForgedRequestsGainNothing) { Scenario("forge", 7); }

TEST_F(RuntimeLimitsTest, ThePolicysLimitsAreTheStartingPoint) {
  Scenario("inherited", 7,
           "descriptors:\n"
           "  - path: /tree/file\n"
           "    fd: 3\n"
           "    rights: [CAP_READ, CAP_SEEK, CAP_FSTAT]\n");
}

TEST_F(RuntimeLimitsTest, AStateWithoutItsFilterGainsNothing) {
  // A compromised program asks for a narrower limit on a policy descriptor, does not install
  // the filter, and forwards a dup naming the new state: the copy would land in the new
  // class's block, which its kernel filters do not limit. It is refused.
  Scenario("escape", 4,
           "descriptors:\n"
           "  - path: /tree/file\n"
           "    fd: 3\n"
           "    rights: [CAP_READ, CAP_SEEK]\n");
}

TEST_F(RuntimeLimitsTest, ExecutedProgramsKeepTheProgramsOwnLimits) {
  ProbeRun run = Run(ProbeAndTreeMounts(false), {"/probe/capsicum_runtime", "exec", "/tree"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  ASSERT_TRUE(run.probe["value"].is_array()) << run.out << run.err;
  EXPECT_TRUE(run.probe["value"][0]["ok"]) << run.out;
  EXPECT_EQ(run.probe["value"][1]["error"], "ENOTCAPABLE") << run.out;
}

TEST_F(RuntimeLimitsTest, AnUnchangedFreeBsdProgram) {
  // tests/capsicum/programs/limit_and_enter.c, FreeBSD's API only: it limits a file, enters
  // capability mode and checks the refusals itself.
  ProbeRun run = Run(ProbeAndTreeMounts(true), {"/probe/limit_and_enter", "/tree/file"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out,
            "read \"content\" in capability mode; write, F_SETFL, open and widening refused\n");
}

}  // namespace
}  // namespace stockade::testing
