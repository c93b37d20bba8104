// SPDX-License-Identifier: BSD-2-Clause
// Internal: what the sandbox's processes tell each other, and the setup steps they name.
// Messages are fixed-size records without pointers: C and G write them between fork and exec.

#ifndef STOCKADE_LINUX_SIM_SRC_PROTOCOL_H_
#define STOCKADE_LINUX_SIM_SRC_PROTOCOL_H_

#include <atomic>
#include <cstdint>

#include "stockade/launch/launcher.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim::detail {

// The setup steps, in order. kFs and kRlimit carry an index into the plan. The supervisor
// records kClone and the network steps (kVeth to kEgressRules) before it lets the child go.
enum class Step : uint16_t {
  kClone,  // recorded by the supervisor when clone3 returns
  kNetEnter,
  kVeth,
  kHostEnd,
  kSandboxEnd,
  kEgressRules,
  kWaitForParent,
  kWaitForConfigure,  // the second byte: cgroups and network are in place
  kHostname,
  kFs,
  kLoopback,
  kNetwork,
  kIpcSysctl,
  kPortFloor,
  kFork,
  kNewSession,
  kRlimit,
  kNoNewPrivs,
  kCapabilities,
  kLandlock,
  kSeccomp,
  kLaunch,  // a launcher-core step: see Message::launch_step
};
const char* StepName(Step step);

enum class MessageType : uint32_t {
  kSetupFailed = 1,    // step, index, error
  kLaunchFailed,       // launch_step, fd, error
  kInstallingFilters,  // value: the descriptor number the seccomp listener will get
  kProgramPid,         // sent by C with G's pidfd attached (SCM_RIGHTS)
  kProgramStatus,      // value: G's wait status, as waitpid(2) reports it
  kSandboxRoot,        // sent by G with its root directory attached (O_PATH), before exec
  kLandlockRuleset,    // sent by G with its Landlock ruleset attached, before exec
};

struct Message {
  MessageType type;
  Step step;
  launch::Step launch_step;
  int32_t index;  // plan index (kFs, kRlimit) or fd (kLaunchFailed)
  int32_t error;
  int32_t value;
  uint32_t cpu_ms;  // kProgramStatus: the CPU time the program used (wait4's rusage)
};

// The time stamp counter, read without a syscall; 0 where the CPU has none we read (then the
// steps timed with it alone are left out of the report).
inline uint64_t ReadTsc() {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#else
  return 0;
#endif
}

// Setup timings, written by C and G into a page shared with P (MAP_SHARED before the clone).
struct TracePage {
  static constexpr uint32_t kCapacity = 200;
  std::atomic<uint32_t> count;
  struct Entry {
    Step step;
    launch::Step launch_step;
    int32_t index;
    uint64_t nanoseconds;  // CLOCK_MONOTONIC when the step ended; 0: only `tsc` was read
    uint64_t tsc;          // the time stamp counter then (P converts it with its own readings)
  } entries[kCapacity];
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_PROTOCOL_H_
