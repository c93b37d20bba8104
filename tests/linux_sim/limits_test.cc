// SPDX-License-Identifier: BSD-2-Clause
// Every limit linux-sim enforces, proved by tripping it in a real sandbox: the program goes over
// the limit and fails (or dies) the documented way, and stays within it otherwise. The cgroup
// limits need a writable controller; where this host offers none (not root), the policy must
// be refused instead, and the test checks that.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "stockade/linux_sim/host.h"
#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

std::string Describe(const ProbeRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out + "\nstderr: " + run.err;
}

std::string Accept(const std::string& clause) {
  return "accept_approximate:\n  - {clause: " + clause +
         ", backend: linux, justification: \"the test trips it\"}\n";
}

// The --report json line stockade writes last on stderr.
nlohmann::json Report(const ProbeRun& run) {
  const size_t line = run.err.rfind("{\"outcome\"");
  if (line == std::string::npos) return nullptr;
  return nlohmann::json::parse(run.err.substr(line), nullptr, /*allow_exceptions=*/false);
}

uint64_t Counter(const nlohmann::json& report, const std::string& clause) {
  if (!report.is_object() || !report.contains("limits")) return 0;
  for (const auto& entry : report["limits"]) {
    if (entry["clause"] == clause) return entry["value"].get<uint64_t>();
  }
  return 0;
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    host_ = linux_sim::ProbeHost();
  }

  ProbeRun Run(const std::string& policy, std::vector<std::string> command, bool json = false) {
    RunSpec spec;
    spec.policy = policy;
    spec.command = std::move(command);
    if (json) spec.stockade_args = {"--report", "json"};
    return RunSandboxed(dir_, spec);
  }

  // Whether this host lets stockade use `controller`. When not, `policy` (which accepts the
  // approximation, not the absence) must be refused before anything runs.
  bool Controller(const std::string& controller, const std::string& policy) {
    const linux_sim::CgroupController* c = host_.Controller(controller);
    if (c && c->available) return true;
    ProbeRun refused = Run(policy, {"probe", "ok"});
    EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
    EXPECT_TRUE(refused.out.empty());
    EXPECT_NE(refused.err.find("needs the " + controller +
                               " cgroup controller, which this host "
                               "does not offer"),
              std::string::npos)
        << refused.err;
    return false;
  }

  // The sandbox cgroups a run of this test left in `controller`'s hierarchy (none, always).
  std::vector<std::string> Leftovers(const std::string& controller) const {
    std::vector<std::string> out;
    const linux_sim::CgroupController* c = host_.Controller(controller);
    if (!c || !c->available) return out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(c->mount + c->own_path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("stockade-probe-test-", 0) == 0) out.push_back(name);
    }
    return out;
  }

  TempDir dir_;
  linux_sim::HostFacts host_;
};

TEST_F(LimitsTest, MemoryuseOomKillsTheProgramAndSaysWhichLimit) {
  const std::string policy = "limits:\n  memoryuse: 64M\n" + Accept("limits.memoryuse");
  if (!Controller("memory", policy)) return;
  ProbeRun within = Run(policy, {"probe", "alloc", std::to_string(16 << 20)});
  EXPECT_EQ(within.exit_code, 0) << Describe(within);
  ProbeRun over = Run(policy, {"probe", "alloc", std::to_string(512 << 20)});
  EXPECT_EQ(over.exit_code, 128 + SIGKILL) << Describe(over);
  EXPECT_TRUE(over.out.empty()) << over.out;
  EXPECT_NE(over.err.find("the program was killed by the kernel's OOM killer: limits.memoryuse (" +
                          dir_.path().string() +
                          "/policy.yaml:4:14) caps the sandbox's memory "
                          "at 64 MiB"),
            std::string::npos)
      << over.err;
  ProbeRun json = Run(policy, {"probe", "alloc", std::to_string(512 << 20)}, true);
  EXPECT_EQ(json.exit_code, 128 + SIGKILL) << Describe(json);
  const nlohmann::json report = Report(json);
  EXPECT_EQ(report["outcome"], "out-of-memory") << json.err;
  EXPECT_GE(Counter(report, "limits.memoryuse"), 1u) << json.err;
  EXPECT_TRUE(Leftovers("memory").empty());
}

TEST_F(LimitsTest, MaxprocForkFailsWithEagainBeyondTheLimit) {
  const std::string policy = "limits:\n  maxproc: 5\n" + Accept("limits.maxproc");
  if (!Controller("pids", policy)) return;
  // Five processes: the program and four children. linux-sim's init is not counted.
  ProbeRun within = Run(policy, {"probe", "fork", "4"});
  EXPECT_EQ(within.exit_code, 0) << Describe(within);
  ProbeRun over = Run(policy, {"probe", "fork", "5"}, true);
  EXPECT_EQ(over.probe["error"], "EAGAIN") << Describe(over);
  EXPECT_EQ(over.probe["value"], 4) << Describe(over);
  EXPECT_EQ(Counter(Report(over), "limits.maxproc"), 1u) << over.err;
  EXPECT_TRUE(Leftovers("pids").empty());
}

TEST_F(LimitsTest, NthrCountsThreadsToo) {
  const std::string policy = "limits:\n  nthr: 6\n" + Accept("limits.nthr");
  if (!Controller("pids", policy)) return;
  ProbeRun within = Run(policy, {"probe", "threads", "5"});
  EXPECT_EQ(within.exit_code, 0) << Describe(within);
  ProbeRun over = Run(policy, {"probe", "threads", "6"});
  EXPECT_EQ(over.probe["error"], "EAGAIN") << Describe(over);
  EXPECT_EQ(over.probe["value"], 5) << Describe(over);
}

TEST_F(LimitsTest, PcpuThrottlesTheSandbox) {
  const std::string policy =
      "limits:\n  pcpu: {amount: 10, action: deny}\n" + Accept("limits.pcpu");
  if (!Controller("cpu", policy)) return;
  // 100 ms of CPU time at 10 ms per 100 ms period needs at least ten periods; whatever the load
  // of the machine, the quota runs out in some of them. No timing is asserted, only that the
  // cgroup throttled the program.
  ProbeRun run = Run(policy, {"probe", "spin-cpu", "100"}, true);
  EXPECT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_GT(Counter(Report(run), "limits.pcpu"), 0u) << run.err;
  EXPECT_TRUE(Leftovers("cpu").empty());
}

TEST_F(LimitsTest, OpenfilesOpenFailsWithEmfile) {
  const std::string policy = "limits:\n  openfiles: 16\n" + Accept("limits.openfiles");
  EXPECT_EQ(Run(policy, {"probe", "open-files", "10"}).exit_code, 0);
  ProbeRun over = Run(policy, {"probe", "open-files", "16"});
  EXPECT_EQ(over.probe["error"], "EMFILE") << Describe(over);
  EXPECT_EQ(over.probe["value"], 13) << "descriptors 0, 1 and 2 count too";
}

TEST_F(LimitsTest, OpenfilesAboveTheCallersHardLimitGetsTheHardLimit) {
  struct rlimit own {};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_max == RLIM_INFINITY || own.rlim_max >= 1000000) {
    GTEST_SKIP() << "skipped: this process's descriptor hard limit is not below 1000000";
  }
  const std::string policy = "limits:\n  openfiles: 1000000\n" + Accept("limits.openfiles");
  ProbeRun run = Run(policy, {"probe", "rlimit", "nofile"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.probe["value"]["hard"], own.rlim_max);
}

TEST_F(LimitsTest, VmemoryuseMmapFailsWithEnomem) {
  const std::string policy = "limits:\n  vmemoryuse: 128M\n" + Accept("limits.vmemoryuse");
  EXPECT_EQ(Run(policy, {"probe", "alloc", std::to_string(16 << 20)}).exit_code, 0);
  ProbeRun over = Run(policy, {"probe", "alloc", std::to_string(256 << 20)});
  EXPECT_EQ(over.probe["error"], "ENOMEM") << Describe(over);
}

TEST_F(LimitsTest, DatasizeAllocationFailsWithEnomem) {
  const std::string policy = "limits:\n  datasize: 64M\n";
  EXPECT_EQ(Run(policy, {"probe", "alloc", std::to_string(16 << 20)}).exit_code, 0);
  ProbeRun over = Run(policy, {"probe", "alloc", std::to_string(128 << 20)});
  EXPECT_EQ(over.probe["error"], "ENOMEM") << Describe(over);
}

TEST_F(LimitsTest, StacksizeGrowingPastItIsSigsegv) {
  const std::string policy = "limits:\n  stacksize: 1M\n";
  EXPECT_EQ(Run(policy, {"probe", "stack", std::to_string(256 << 10)}).exit_code, 0);
  ProbeRun over = Run(policy, {"probe", "stack", std::to_string(8 << 20)});
  EXPECT_EQ(over.exit_code, 128 + SIGSEGV) << Describe(over);
}

TEST_F(LimitsTest, MemorylockedMlockFailsWithEnomem) {
  const std::string policy = "limits:\n  memorylocked: 64K\n" + Accept("limits.memorylocked");
  EXPECT_EQ(Run(policy, {"probe", "mlock", std::to_string(16 << 10)}).exit_code, 0);
  ProbeRun over = Run(policy, {"probe", "mlock", std::to_string(1 << 20)});
  EXPECT_EQ(over.probe["error"], "ENOMEM") << Describe(over);
}

TEST_F(LimitsTest, CputimeKillsWithTheSignalThePolicyNames) {
  ProbeRun xcpu =
      Run("limits:\n  cputime: {amount: 1s, action: sigxcpu}\n" + Accept("limits.cputime"),
          {"probe", "spin-cpu", "5000"});
  EXPECT_EQ(xcpu.exit_code, 128 + SIGXCPU) << Describe(xcpu);
  EXPECT_NE(xcpu.err.find("killed by SIGXCPU after"), std::string::npos) << xcpu.err;
  EXPECT_NE(xcpu.err.find("limits.cputime (" + dir_.path().string() + "/policy.yaml:4:12)"),
            std::string::npos)
      << xcpu.err;
  ProbeRun kill =
      Run("limits:\n  cputime: {amount: 1s, action: sigkill}\n" + Accept("limits.cputime"),
          {"probe", "spin-cpu", "5000"});
  EXPECT_EQ(kill.exit_code, 128 + SIGKILL) << Describe(kill);
  EXPECT_NE(kill.err.find("killed by SIGKILL after"), std::string::npos) << kill.err;
  ProbeRun within =
      Run("limits:\n  cputime: {amount: 2s, action: sigkill}\n" + Accept("limits.cputime"),
          {"probe", "spin-cpu", "100"});
  EXPECT_EQ(within.exit_code, 0) << Describe(within);
}

TEST_F(LimitsTest, CoredumpsizeIsTheCoreRlimit) {
  // A core dump cannot be tripped here: where it goes is the host's core_pattern, not the
  // sandbox's. The kernel reads the limit from RLIMIT_CORE, which the program sees.
  ProbeRun run =
      Run("exec:\n  core_dumps: true\nlimits:\n  coredumpsize: 1M\n", {"probe", "rlimit", "core"});
  ASSERT_EQ(run.exit_code, 0) << Describe(run);
  EXPECT_EQ(run.probe["value"]["soft"], 1 << 20);
  EXPECT_EQ(run.probe["value"]["hard"], 1 << 20);
}

TEST_F(LimitsTest, WallclockKillsTheSandboxAndNamesTheLimit) {
  ProbeRun run =
      Run("limits:\n  wallclock: {amount: 1s, action: sigkill}\n", {"probe", "sleep", "30"});
  EXPECT_EQ(run.exit_code, 128 + SIGKILL) << Describe(run);
  EXPECT_NE(run.err.find("the sandbox ran out of time (limits.wallclock, " + dir_.path().string() +
                         "/policy.yaml:4:14) and was killed"),
            std::string::npos)
      << run.err;
}

TEST_F(LimitsTest, IpcLimitsHoldInTheSandboxsNamespaceEvenWithoutProc) {
  const std::string policy =
      "ipc: {sysvmsg: new, sysvshm: new}\nfilesystem:\n  proc: false\n  mounts: [{source: " +
      std::filesystem::path(ProbePath()).parent_path().string() +
      ", target: /probe}]\nlimits:\n  nmsgq: 2\n  nshm: 3\n" + Accept("sysvmsg") +
      "  - {clause: sysvshm, backend: linux, justification: test}\n"
      "  - {clause: limits.nshm, backend: linux, justification: test}\n";
  if (!host_.root) {
    ProbeRun refused = Run(policy, {"probe", "ok"});
    EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
    EXPECT_NE(refused.err.find("'limits.nmsgq' is not enforced by linux-sim: cannot be set when "
                               "stockade is not root"),
              std::string::npos)
        << refused.err;
    return;
  }
  ProbeRun msg = Run(policy, {"probe", "msg-new", "3"});
  EXPECT_EQ(msg.probe["error"], "ENOSPC") << Describe(msg);
  EXPECT_EQ(msg.probe["value"], 2) << Describe(msg);
  ProbeRun shm = Run(policy, {"probe", "shm-new", "4"});
  EXPECT_EQ(shm.probe["error"], "ENOSPC") << Describe(shm);
  EXPECT_EQ(shm.probe["value"], 3) << Describe(shm);
  EXPECT_EQ(Run(policy, {"probe", "msg-new", "2"}).exit_code, 0);
}

}  // namespace
}  // namespace stockade::testing
