// SPDX-License-Identifier: BSD-2-Clause
// Nothing leaks: after many launches, and after stockade is SIGKILLed at every point of its
// setup, no process, mount, cgroup or run record of the sandbox is left on the host, once the
// next run or `stockade gc` has swept what cannot die with the namespaces (cgroup directories).
//
// "Every point" is literal: the test runs stockade under ptrace(2), follows it into the
// sandbox's processes, counts the system calls of all of them from stockade's first mkdir to the
// program's execve, and kills stockade at a spread of those calls (every one of them with
// STOCKADE_LEAK_TEST_FULL=1), then once more while the program runs.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

// What of a sandbox could outlive it on the host.
struct HostState {
  std::set<std::string> processes;  // "pid cmdline" of processes naming the test's directory
  std::set<std::string> mounts;     // mount points a sandbox of this test could leak
  std::set<std::string> cgroups;    // cgroup directories named stockade-<name>-*
  std::set<std::string> records;    // run records of that name
  std::set<std::string> links;      // stk* links (veth host ends) on the host

  bool operator==(const HostState&) const = default;
};

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += "\n    " + item;
  return out.empty() ? " (none)" : out;
}

std::string Describe(const HostState& s) {
  return "processes:" + Join(s.processes) + "\n  mounts:" + Join(s.mounts) +
         "\n  cgroups:" + Join(s.cgroups) + "\n  records:" + Join(s.records) +
         "\n  links:" + Join(s.links);
}

void FindCgroups(const std::string& dir, const std::string& prefix, int depth,
                 std::set<std::string>& out) {
  if (depth > 8) return;
  DIR* listing = opendir(dir.c_str());
  if (!listing) return;
  while (struct dirent* entry = readdir(listing)) {
    const std::string name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    if (name.rfind(prefix, 0) == 0) out.insert(dir + "/" + name);
    FindCgroups(dir + "/" + name, prefix, depth + 1, out);
  }
  closedir(listing);
}

// The veth host ends of this test's runs: linux-sim names them "stk" + the supervisor's pid in
// 7 hex digits + 4 more; other tests running at the same time have other pids.
std::set<pid_t>& OurSupervisors() {
  static std::set<pid_t> pids;
  return pids;
}

HostState Snapshot(const std::string& marker, const std::string& name) {
  HostState state;
  if (DIR* net = opendir("/sys/class/net")) {
    while (struct dirent* entry = readdir(net)) {
      const std::string link = entry->d_name;
      if (link.size() != 14 || link.rfind("stk", 0) != 0) continue;
      const pid_t pid = static_cast<pid_t>(std::stoul(link.substr(3, 7), nullptr, 16));
      if (OurSupervisors().count(pid)) state.links.insert(link);
    }
    closedir(net);
  }
  if (DIR* proc = opendir("/proc")) {
    while (struct dirent* entry = readdir(proc)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      const std::string cmdline = CommandLineOf(entry->d_name);
      if (cmdline.find(marker) != std::string::npos) {
        state.processes.insert(std::string(entry->d_name) + " " + cmdline);
      }
    }
    closedir(proc);
  }
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    // Only mounts a sandbox of this test could leak: at the staging directory, under the
    // test's directory, or of the probe's directory. Other mounts come and go with whatever
    // else runs on the host (ip netns add, other tests).
    if (point.find("/run/stockade") != std::string::npos ||
        point.find(marker) != std::string::npos || point.find("/probe") != std::string::npos) {
      state.mounts.insert(point);
    }
  }
  FindCgroups("/sys/fs/cgroup", "stockade-" + name + "-", 0, state.cgroups);
  if (DIR* runs = opendir("/run/stockade/runs")) {
    while (struct dirent* entry = readdir(runs)) {
      const std::string file = entry->d_name;
      if (file.rfind(name + "-", 0) == 0) {
        state.records.insert(file);
      }
    }
    closedir(runs);
  }
  return state;
}

// Waits (a few seconds at most) for the processes of a killed sandbox to disappear: they die
// with their PID namespace, but not in the same instant.
HostState SettledSnapshot(const std::string& marker, const std::string& name) {
  HostState state = Snapshot(marker, name);
  for (int i = 0; i < 100 && !state.processes.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    state = Snapshot(marker, name);
  }
  return state;
}

class LeakTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    if (geteuid() != 0) GTEST_SKIP() << "skipped: the cgroups these tests track need root";
    // A policy that creates everything a run can create on this host: cgroups in three
    // controllers, a seccomp filter with a supervisor, a filesystem view with scratch space.
    policy_ = WritePolicy(false);
    baseline_ = Snapshot(dir_.path().string(), name_);
  }

  std::string WritePolicy(bool vnet) {
    return dir_
        .Write("policy.yaml",
               "version: 1\nname: " + name_ +
                   "\n"
                   "syscalls:\n  default: kill\n  allow: [\"@system-service\"]\n"
                   "filesystem:\n  mounts: [{source: " +
                   std::filesystem::path(ProbePath()).parent_path().string() +
                   ", target: /probe}]\n"
                   "  scratch: [{target: /tmp, size: 1M}]\n" +
                   std::string(vnet ? "network:\n  mode: vnet\n  addresses: [198.18.99.2/24]\n"
                                      "  egress: [{to: 198.18.99.1/32, proto: tcp, port: 9}]\n"
                                    : "network: {mode: none}\n") +
                   "limits:\n  memoryuse: 256M\n  maxproc: 32\n  pcpu: 100\n"
                   "accept_approximate:\n"
                   "  - {clause: limits.memoryuse, backend: linux, justification: t}\n"
                   "  - {clause: limits.maxproc, backend: linux, justification: t}\n"
                   "  - {clause: limits.pcpu, backend: linux, justification: t}\n")
        .string();
  }

  std::vector<std::string> Argv(const std::string& seconds) const {
    // The test directory in the program's arguments marks its process too.
    return {StockadePath(), "run",   policy_, "--",
            "/probe/probe", "sleep", seconds, dir_.path().string()};
  }

  // Kills stockade at `ci_points` spread over its setup calls (all of them in full mode), and
  // once while the program runs, checking the host after each.
  void KillEverywhere(int ci_points);

  const std::string name_ = "leak-test";
  TempDir dir_;
  std::string policy_;
  HostState baseline_;
};

TEST_F(LeakTest, TwoHundredLaunchesLeaveNothing) {
  constexpr int kLaunches = 200, kConcurrency = 4;
  const std::vector<std::string> argv = Argv("0");
  int failures = 0, started = 0, running = 0;
  while (started < kLaunches || running > 0) {
    while (running < kConcurrency && started < kLaunches) {
      const pid_t pid = StartQuietly(argv);
      ASSERT_GE(pid, 0);
      OurSupervisors().insert(pid);
      ++started;
      ++running;
    }
    int status = 0;
    if (wait(&status) > 0) {
      --running;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
  }
  EXPECT_EQ(failures, 0);
  const HostState after = SettledSnapshot(dir_.path().string(), name_);
  EXPECT_EQ(after, baseline_) << "before:\n  " << Describe(baseline_) << "\nafter:\n  "
                              << Describe(after);
}

// One stockade run under ptrace. Returns the number of syscall-entry stops seen from
// stockade's first mkdir until the program's execve (counting mode, kill_at = 0), or kills
// stockade at that stop number and reports 0. `program_started` tells whether the program's
// execve was reached.
struct TracedRun {
  bool hung = false;  // a process of the sandbox outlived stockade by 10 seconds
  int counted = 0;
  int clone_at = 0;  // the stop at which stockade entered clone3 (its cgroups exist by then)
  bool killed = false;
  bool program_started = false;
};

TracedRun RunTraced(const std::vector<std::string>& args, int kill_at, bool kill_after_exec) {
  TracedRun result;
  const pid_t top = fork();
  if (top == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    // LeakSanitizer stops the world with ptrace, which a traced process cannot do.
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    std::vector<char*> raw;
    for (const std::string& a : args) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    raise(SIGSTOP);
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(top, &status, 0);  // the SIGSTOP before exec
  OurSupervisors().insert(top);
  ptrace(PTRACE_SETOPTIONS, top, nullptr,
         PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
             PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
  ptrace(PTRACE_SYSCALL, top, nullptr, nullptr);
  int execs = 0;
  bool counting = false;
  std::set<pid_t> entering;  // tracees between syscall entry and exit
  // A watchdog: once stockade is killed, everything of its sandbox must die with it. Whatever
  // is still there 10 seconds later has leaked; it is reported and killed so the test ends.
  std::mutex mutex;
  std::condition_variable done_signal;
  bool done = false;
  std::set<pid_t> tracees = {top};
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mutex);
    done_signal.wait(lock, [&] { return done || result.killed; });
    if (done) return;
    if (done_signal.wait_for(lock, std::chrono::seconds(10), [&] { return done; })) return;
    result.hung = true;
    for (pid_t p : tracees) kill(p, SIGKILL);
  });
  while (true) {
    const pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) break;  // ECHILD: every tracee is gone
    {
      std::lock_guard<std::mutex> lock(mutex);
      tracees.insert(pid);
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) continue;
    if (!WIFSTOPPED(status)) continue;
    int deliver = 0;
    const int sig = WSTOPSIG(status);
    const unsigned event = static_cast<unsigned>(status) >> 16;
    if (sig == (SIGTRAP | 0x80)) {
      // Syscall entry or exit stop: they alternate per tracee.
      const bool entry = entering.insert(pid).second;
      if (!entry) entering.erase(pid);
      if (entry) {
        struct user_regs_struct regs {};
        ptrace(PTRACE_GETREGS, pid, nullptr, &regs);
        const long nr = static_cast<long>(regs.orig_rax);
        if (!counting && pid == top && (nr == SYS_mkdir || nr == SYS_mkdirat)) counting = true;
        if (counting && !result.program_started) {
          ++result.counted;
          if (pid == top && nr == SYS_clone3 && !result.clone_at) result.clone_at = result.counted;
          if (kill_at > 0 && result.counted == kill_at && !result.killed) {
            kill(top, SIGKILL);
            std::lock_guard<std::mutex> lock(mutex);
            result.killed = true;
            done_signal.notify_all();
          }
        }
      }
    } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
      // The first exec is stockade itself; the second the program.
      if (++execs == 2) {
        result.program_started = true;
        // The number of calls varies a little between runs (the supervisor's poll loop): a
        // kill point beyond this run's count becomes a kill at the program's start.
        if ((kill_after_exec || kill_at > 0) && !result.killed) {
          kill(top, SIGKILL);
          std::lock_guard<std::mutex> lock(mutex);
          result.killed = true;
          done_signal.notify_all();
        }
      }
    } else if (sig == SIGTRAP && event != 0) {
      // fork/clone events: the new tracee reports on its own.
    } else if (sig == SIGSTOP && event == 0) {
      // A new tracee's initial stop (or a real SIGSTOP, which nothing here sends).
    } else {
      deliver = sig;  // a real signal: pass it on
    }
    ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(deliver)));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    done_signal.notify_all();
  }
  watchdog.join();
  return result;
}

TEST_F(LeakTest, KilledAtEverySetupStepLeavesNothingGcCannotSweep) { KillEverywhere(40); }

TEST_F(LeakTest, KilledAtEverySetupStepWithAVethLeavesNothingGcCannotSweep) {
  policy_ = WritePolicy(true);
  KillEverywhere(25);
}

void LeakTest::KillEverywhere(int ci_points) {
  const std::vector<std::string> args = Argv("5");
  const TracedRun count = RunTraced(Argv("0"), 0, false);
  ASSERT_TRUE(count.program_started) << "the traced run never reached the program";
  ASSERT_GT(count.counted, 10);
  const bool full = std::getenv("STOCKADE_LEAK_TEST_FULL") != nullptr;
  const int points = full ? count.counted : std::min(count.counted, ci_points);
  std::vector<int> kill_points;
  for (int i = 0; i < points; ++i) {
    kill_points.push_back(
        1 + static_cast<int>(static_cast<long>(i) * (count.counted - 1) / std::max(1, points - 1)));
  }
  kill_points.push_back(-1);  // while the program runs
  const std::string stockade_gc = StockadePath();
  for (int at : kill_points) {
    const TracedRun run = RunTraced(args, at > 0 ? at : 0, at < 0);
    SCOPED_TRACE(at > 0 ? "killed at syscall " + std::to_string(at) + " of " +
                              std::to_string(count.counted)
                        : std::string("killed while the program ran"));
    EXPECT_TRUE(run.killed);
    EXPECT_FALSE(run.hung) << "a process of the sandbox outlived the killed stockade";
    HostState after = SettledSnapshot(dir_.path().string(), name_);
    EXPECT_EQ(after.processes, baseline_.processes) << Describe(after);
    EXPECT_EQ(after.mounts, baseline_.mounts) << Describe(after);
    // Cgroup directories and the run record may outlive a killed stockade; gc sweeps them.
    ProgramResult gc = RunProgram({stockade_gc, "gc"}, dir_.path());
    EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
    after = Snapshot(dir_.path().string(), name_);
    EXPECT_EQ(after, baseline_) << "after stockade gc:\n  " << Describe(after) << "\n" << gc.out;
    if (HasFailure()) break;  // one detailed failure is enough
  }
}

TEST_F(LeakTest, TheNextRunSweepsWhatAKilledRunLeft) {
  // Killed right after its cgroups were configured (well before the program ran): the
  // directories stay, and the next ordinary run removes them before making its own.
  const TracedRun count = RunTraced(Argv("0"), 0, false);
  ASSERT_TRUE(count.program_started);
  ASSERT_GT(count.clone_at, 0);
  const TracedRun killed = RunTraced(Argv("5"), count.clone_at, false);
  ASSERT_TRUE(killed.killed);
  const HostState left = SettledSnapshot(dir_.path().string(), name_);
  EXPECT_FALSE(left.cgroups.empty()) << "killed at clone3, the cgroups should still be there";
  EXPECT_EQ(left.records.size(), 1u) << Describe(left);
  ProgramResult next = RunProgram(Argv("0"), dir_.path());
  EXPECT_EQ(next.exit_code, 0) << next.err;
  const HostState after = SettledSnapshot(dir_.path().string(), name_);
  EXPECT_EQ(after, baseline_) << Describe(after);
}

}  // namespace
}  // namespace stockade::testing

namespace stockade::testing {
namespace {

// `stockade gc` on records written by hand, as a killed run leaves them.
class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    if (geteuid() != 0) GTEST_SKIP() << "skipped: run records of root runs live in /run";
    std::filesystem::create_directories("/run/stockade/runs");
  }
  void TearDown() override {
    for (const std::string& path : cleanup_) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
    // A test that stopped early leaves no veth pair behind (gone already after a gc).
    for (const std::string& link : links_) {
      if (access(("/sys/class/net/" + link).c_str(), F_OK) == 0) {
        RunProgram({"/usr/sbin/ip", "link", "del", link}, "/");
      }
    }
  }

  // A veth pair named as linux-sim names its host ends (stk + hex digits), removed at TearDown.
  std::string AddVethPair(unsigned tag) {
    char link[16];
    snprintf(link, sizeof(link), "stk%07x%04x", static_cast<unsigned>(getpid()) & 0xfffffffu,
             tag & 0xffffu);
    ProgramResult add = RunProgram({"/usr/sbin/ip", "link", "add", link, "type", "veth", "peer",
                                    "name", std::string(link) + "p"},
                                   "/");
    EXPECT_EQ(add.exit_code, 0) << add.err;
    links_.push_back(link);
    return link;
  }

  // A dead run's record (unlocked) with `lines`.
  std::string WriteRecord(const std::string& lines) {
    const std::string path = "/run/stockade/runs/gc-test-" + std::to_string(getpid()) + "-" +
                             std::to_string(cleanup_.size()) + ".run";
    std::ofstream(path) << lines;
    cleanup_.push_back(path);
    return path;
  }

  ProgramResult Gc(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {StockadePath(), "gc"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv, "/");
  }

  std::vector<std::string> cleanup_;
  std::vector<std::string> links_;
};

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

TEST_F(GcTest, RemovesTheCgroupsAndLinksOfADeadRun) {
  const std::string cgroup = "/sys/fs/cgroup/pids/stockade-gc-test-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(cgroup.c_str(), 0755), 0) << strerror(errno);
  const std::string link = AddVethPair(0xdead);
  const std::string record = WriteRecord("cgroup " + cgroup + "\nlink " + link + "\n");

  ProgramResult dry = Gc({"--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would remove " + cgroup + "\n"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would remove link " + std::string(link)), std::string::npos) << dry.out;
  EXPECT_TRUE(Exists(cgroup));
  EXPECT_TRUE(Exists(record));

  ProgramResult gc = Gc();
  EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_NE(gc.out.find("removed " + cgroup + "\n"), std::string::npos) << gc.out;
  EXPECT_NE(gc.out.find("removed link " + std::string(link)), std::string::npos) << gc.out;
  EXPECT_FALSE(Exists(cgroup));
  EXPECT_FALSE(Exists("/sys/class/net/" + std::string(link)));
  EXPECT_FALSE(Exists("/sys/class/net/" + std::string(link) + "p")) << "the peer goes too";
  EXPECT_FALSE(Exists(record));
  rmdir(cgroup.c_str());
}

// A run's sweep leaves the veth link of a run that ended normally moments ago to the kernel,
// which is removing it with its namespace (gc.h, kLaunchLinkGraceSeconds), and keeps its record;
// its cgroups go at once, and `stockade gc` (no grace period) removes the link. A killed run's
// link (no "ended" line: its host end may still hold the gateway address) goes at once.
TEST_F(GcTest, LaunchesLeaveAJustEndedRunsLinkToTheKernelAndGcRemovesIt) {
  const std::string cgroup = "/sys/fs/cgroup/pids/stockade-gc-test-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(cgroup.c_str(), 0755), 0) << strerror(errno);
  const std::string ended_link = AddVethPair(0xbeef);
  const std::string killed_link = AddVethPair(0xbeee);
  const std::string ended = WriteRecord("cgroup " + cgroup + "\nlink " + ended_link + "\nended\n");
  const std::string killed = WriteRecord("link " + killed_link + "\n");

  TempDir dir;
  const std::string policy =
      dir.Write("policy.yaml",
                "version: 1\nname: gc-grace\nfilesystem:\n  mounts: [{source: " +
                    std::filesystem::path(ProbePath()).parent_path().string() +
                    ", target: /probe}]\nlimits: {maxproc: 10}\naccept_approximate:\n"
                    "  - {clause: limits.maxproc, backend: linux, justification: t}\n")
          .string();
  ProgramResult run =
      RunProgram({StockadePath(), "run", policy, "--", "/probe/probe", "sleep", "0"}, "/");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(Exists(cgroup)) << "the dead run's cgroup is swept at once";
  EXPECT_TRUE(Exists("/sys/class/net/" + ended_link)) << "the link is left to the kernel";
  EXPECT_TRUE(Exists(ended)) << "and its record kept for a later sweep";
  EXPECT_FALSE(Exists("/sys/class/net/" + killed_link)) << "a killed run's link goes at once";
  EXPECT_FALSE(Exists(killed));

  ProgramResult gc = Gc();
  EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_NE(gc.out.find("removed link " + ended_link), std::string::npos) << gc.out;
  EXPECT_FALSE(Exists("/sys/class/net/" + ended_link));
  EXPECT_FALSE(Exists(ended));
  rmdir(cgroup.c_str());
}

TEST_F(GcTest, WhatIsNotOursIsLeftAlone) {
  const std::string foreign = "/sys/fs/cgroup/pids/gc-test-foreign-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(foreign.c_str(), 0755), 0) << strerror(errno);
  const std::string record =
      WriteRecord("cgroup " + foreign + "\ncgroup /sys/fs/cgroup/pids/../stockade-x\nlink eth0\n");
  ProgramResult gc = Gc();
  EXPECT_EQ(gc.exit_code, 1) << gc.out << gc.err;
  EXPECT_NE(gc.err.find("cannot remove " + foreign + ": not a stockade cgroup; left alone"),
            std::string::npos)
      << gc.err;
  EXPECT_NE(gc.err.find("eth0: not a stockade link; left alone"), std::string::npos) << gc.err;
  EXPECT_TRUE(Exists(foreign));
  EXPECT_TRUE(Exists("/sys/class/net/lo"));
  rmdir(foreign.c_str());
}

TEST_F(GcTest, LiveRunsAreLeftAlone) {
  TempDir dir;
  const std::string policy =
      dir.Write("policy.yaml",
                "version: 1\nname: gc-live\nfilesystem:\n  mounts: [{source: " +
                    std::filesystem::path(ProbePath()).parent_path().string() +
                    ", target: /probe}]\nlimits: {maxproc: 10}\naccept_approximate:\n"
                    "  - {clause: limits.maxproc, backend: linux, justification: t}\n")
          .string();
  const pid_t run =
      StartQuietly({StockadePath(), "run", policy, "--", "/probe/probe", "sleep", "3"});
  ASSERT_GE(run, 0);
  // Wait for its record and cgroup to appear.
  std::set<std::string> cgroups;
  for (int i = 0; i < 200 && cgroups.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    FindCgroups("/sys/fs/cgroup", "stockade-gc-live-", 0, cgroups);
  }
  ASSERT_FALSE(cgroups.empty());
  ProgramResult gc = Gc();
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(gc.out.find("stockade-gc-live-"), std::string::npos) << gc.out;
  for (const std::string& cgroup : cgroups) EXPECT_TRUE(Exists(cgroup)) << cgroup;
  int status = 0;
  waitpid(run, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (const std::string& cgroup : cgroups) EXPECT_FALSE(Exists(cgroup)) << cgroup;
}

}  // namespace
}  // namespace stockade::testing
