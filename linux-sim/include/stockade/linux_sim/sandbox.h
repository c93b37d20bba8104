// SPDX-License-Identifier: BSD-2-Clause
// Running a program in a linux-sim sandbox.
//
// Three processes (docs/linux-sim.md, "Process model"):
//   P  the caller (stockade run): prepares the plan, creates the cgroups, clones C into new
//      namespaces, configures it from outside (user-namespace maps, cgroups, the veth), then
//      supervises: seccomp notifications, forwarded signals, the timeout, the exit status.
//   C  pid 1 of the new PID namespace: sets the hostname, builds the filesystem view and
//      pivot_roots into it, then forks G and only reaps orphans and reports G's status. When C
//      exits, the kernel kills everything left in the namespace.
//   G  the program: runs the launcher core through SimPlatform (preopens, identity and
//      capabilities, descriptors, rights), applies Landlock and the seccomp filters last, and
//      executes the program.

#ifndef STOCKADE_LINUX_SIM_SANDBOX_H_
#define STOCKADE_LINUX_SIM_SANDBOX_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim {

struct RunOptions {
  bool trace_setup = false;  // record each setup step's duration (RunResult::timings)
};

struct RunResult {
  enum class Outcome : uint8_t {
    kExited,          // the program exited; exit_code is its status
    kSignaled,        // the program was killed by a signal; exit_code is 128+N
    kKilledByPolicy,  // the syscall filter killed it; message names the call and the rule
    kTimedOut,        // exec.timeout or a wallclock limit ran out
    kLimitExceeded,   // the OOM killer or RLIMIT_CPU killed it; message names the limit
    kSetupFailed,     // stockade failed before the program ran; exit_code 125/126/127
  };
  Outcome outcome = Outcome::kSetupFailed;
  int exit_code = 125;
  std::string kind;     // stable word for reports: "exited", "setup-failed", "not-found", ...
  std::string message;  // one line for stderr, empty for a normal exit
  // What the sandbox's cgroups counted, read before they are removed: one entry per limit
  // that uses a cgroup ("limits.memoryuse", "memory.oom_control oom_kill", 1).
  struct LimitCounter {
    std::string clause;
    std::string where;    // "policy.yaml:12:3"
    std::string counter;  // the cgroup file and key
    uint64_t value = 0;
  };
  std::vector<LimitCounter> limits;
  std::vector<std::pair<std::string, uint64_t>> timings;  // (step, nanoseconds) in order
};

// Runs the plan and waits for the program. An Error means stockade itself failed before it
// could start (the plan is unusable); everything after the clone is reported in RunResult.
// Must be called from a single-threaded process.
Expected<RunResult> RunSandbox(const SandboxPlan& plan, const RunOptions& options);

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_SANDBOX_H_
