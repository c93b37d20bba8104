// SPDX-License-Identifier: BSD-2-Clause
// `stockade run` without root: stockade itself runs as uid 65534 (setpriv, when the test runs as
// root, as in CI) and builds the sandbox inside a user namespace. What works that way is
// enforced for real; what cannot (cgroup limits, a real change of user) is refused, never
// skipped (docs/linux-sim.md, "Running without root").

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

class UnprivilegedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    // The policy file is read by uid 65534.
    chmod(dir_.path().c_str(), 0755);
  }

  ProbeRun Run(const std::string& policy, std::vector<std::string> command) {
    RunSpec spec;
    spec.policy = policy;
    spec.command = std::move(command);
    spec.unprivileged = true;
    return RunSandboxed(dir_, spec);
  }

  TempDir dir_;
};

std::string Describe(const ProbeRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out + "\nstderr: " + run.err;
}

constexpr const char* kScratch = "  scratch: [{target: /tmp, size: 1M}]\n";

std::string WithProbeAndScratch(const std::string& rest = "") {
  return "filesystem:\n  mounts: [{source: " +
         std::filesystem::path(ProbePath()).parent_path().string() + ", target: /probe}]\n" +
         kScratch + rest;
}

TEST_F(UnprivilegedTest, RunsInItsOwnNamespacesWithoutCapabilities) {
  ProbeRun ids = Run("hostname: unpriv\n", {"probe", "ids"});
  ASSERT_EQ(ids.exit_code, 0) << Describe(ids);
  EXPECT_EQ(ids.probe["value"]["uid"], 65534);
  EXPECT_EQ(ids.probe["value"]["pid"], 2) << "pid 1 is stockade's init";
  ProbeRun caps = Run("", {"probe", "caps"});
  ASSERT_EQ(caps.exit_code, 0) << Describe(caps);
  EXPECT_EQ(caps.probe["value"]["effective"], "0000000000000000") << Describe(caps);
  EXPECT_EQ(caps.probe["value"]["bounding"], "0000000000000000") << Describe(caps);
  ProbeRun hostname = Run("hostname: unpriv\n", {"probe", "hostname"});
  EXPECT_EQ(hostname.probe["value"], "unpriv") << Describe(hostname);
  // The caller (this test, outside the PID namespace) cannot be signalled.
  ProbeRun kill = Run("", {"probe", "kill", std::to_string(getpid()), "0"});
  EXPECT_EQ(kill.probe["error"], "ESRCH") << Describe(kill);
}

TEST_F(UnprivilegedTest, FilesystemViewIsEnforced) {
  const std::string policy = WithProbeAndScratch();
  EXPECT_EQ(Run(policy, {"probe", "write-file", "/tmp/x"}).exit_code, 0);
  ProbeRun readonly = Run(policy, {"probe", "write-file", "/probe/x"});
  EXPECT_EQ(readonly.probe["error"], "EROFS") << Describe(readonly);
  ProbeRun hidden = Run(policy, {"probe", "stat", "/etc/passwd"});
  EXPECT_EQ(hidden.probe["error"], "ENOENT") << Describe(hidden);
  ProbeRun capped = Run(policy, {"probe", "append-bytes", "/tmp/big", "2000000"});
  EXPECT_EQ(capped.probe["error"], "ENOSPC") << Describe(capped);
}

TEST_F(UnprivilegedTest, NoNetworkMeansOnlyLoopback) {
  ProbeRun interfaces = Run("network: {mode: none}\n", {"probe", "interfaces"});
  ASSERT_EQ(interfaces.exit_code, 0) << Describe(interfaces);
  EXPECT_EQ(interfaces.probe["value"], nlohmann::json::parse(R"(["lo"])"));
}

TEST_F(UnprivilegedTest, SyscallFilterKillsAndReports) {
  const std::string policy =
      "syscalls:\n  default: kill\n  allow: [\"@default\", \"@basic-io\", \"@file-system\", "
      "\"@signal\", \"@process\", \"@network-io\", \"@ipc\", mmap, munmap, mprotect, madvise, "
      "brk, ioctl, prlimit64, getrusage, uname]\n";
  ProbeRun allowed = Run(policy, {"probe", "syscall", "getpid"});
  EXPECT_EQ(allowed.exit_code, 0) << Describe(allowed);
  ProbeRun killed = Run(policy, {"probe", "syscall", "acct", "0"});
  EXPECT_EQ(killed.exit_code, 128 + SIGSYS) << Describe(killed);
  EXPECT_NE(killed.err.find("acct(0"), std::string::npos) << killed.err;
}

TEST_F(UnprivilegedTest, ARealChangeOfUserIsRefusedUnlessAccepted) {
  ProbeRun refused = Run("exec: {user: \"1000\"}\n", {"probe", "ids"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("error[approximated]: 'exec.user' is only approximated"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(refused.out.empty());
  ProbeRun accepted =
      Run("exec: {user: \"1000\"}\naccept_approximate:\n"
          "  - {clause: exec.user, backend: linux, justification: test}\n",
          {"probe", "ids"});
  ASSERT_EQ(accepted.exit_code, 0) << Describe(accepted);
  EXPECT_EQ(accepted.probe["value"]["uid"], 1000);
}

TEST_F(UnprivilegedTest, CgroupLimitsAreNotEnforcedAndSoRefused) {
  // Without root there is no cgroup to put the sandbox in: the limit would not apply at all.
  // An acceptance of an approximation does not cover that; only fidelity: not-enforced does.
  ProbeRun refused =
      Run("limits: {memoryuse: 64M}\naccept_approximate:\n"
          "  - {clause: limits.memoryuse, backend: linux, justification: test}\n",
          {"probe", "ok"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("error[not-enforced]: 'limits.memoryuse' is not enforced by "
                             "linux-sim: the memory cgroup controller is not available here"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("note: accepted here as an approximation only"), std::string::npos)
      << refused.err;
  ProbeRun unenforced =
      Run("limits: {memoryuse: 64M}\naccept_approximate:\n"
          "  - {clause: limits.memoryuse, backend: linux, fidelity: not-enforced, "
          "justification: test}\n",
          {"probe", "ok"});
  EXPECT_EQ(unenforced.exit_code, 0) << Describe(unenforced);
}

TEST_F(UnprivilegedTest, RlimitsStillApply) {
  ProbeRun run =
      Run("limits: {openfiles: 40}\naccept_approximate:\n"
          "  - {clause: limits.openfiles, backend: linux, justification: test}\n",
          {"probe", "rlimit", "nofile"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.probe["value"]["soft"], 40) << Describe(run);
}

TEST_F(UnprivilegedTest, AnUndumpableProgramsSupervisedCallsFailClosed) {
  // The supervisor reads the program's memory for a lookup beneath a limited directory. Once
  // the program makes itself undumpable its /proc/PID/mem belongs to root, which an
  // unprivileged supervisor cannot open: the call fails with EACCES (it used to be left
  // unanswered, the program waiting forever). Before that, the same lookup works.
  const std::string policy = WithProbeAndScratch(
      "descriptors:\n"
      "  - {path: /tmp, fd: 3, type: directory, rights: [CAP_LOOKUP, CAP_READ, CAP_WRITE, "
      "CAP_CREATE, CAP_SEEK, CAP_FSTAT]}\n"
      "accept_approximate:\n"
      "  - {clause: descriptors, backend: linux, justification: tests}\n");
  ProbeRun run = Run(policy, {"probe", "ops", "openat-create:3:x", "undumpable", "openat:3:x"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_TRUE(run.probe["value"][0]["ok"]) << Describe(run);
  EXPECT_TRUE(run.probe["value"][1]["ok"]) << Describe(run);
  EXPECT_EQ(run.probe["value"][2]["error"], "EACCES") << Describe(run);
}

}  // namespace
}  // namespace stockade::testing
