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

// The child's setup steps, in order. kFs and kRlimit carry an index into the plan.
enum class Step : uint16_t {
  kWaitForParent,
  kHostname,
  kFs,
  kLoopback,
  kNetwork,
  kIpcSysctl,
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
};

struct Message {
  MessageType type;
  Step step;
  launch::Step launch_step;
  int32_t index;  // plan index (kFs, kRlimit) or fd (kLaunchFailed)
  int32_t error;
  int32_t value;
};

// Setup timings, written by C and G into a page shared with P (MAP_SHARED before the clone).
struct TracePage {
  static constexpr uint32_t kCapacity = 200;
  std::atomic<uint32_t> count;
  struct Entry {
    Step step;
    launch::Step launch_step;
    int32_t index;
    uint64_t nanoseconds;  // CLOCK_MONOTONIC when the step ended
  } entries[kCapacity];
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_PROTOCOL_H_
