// SPDX-License-Identifier: BSD-2-Clause
// Internal: the sandbox's child processes (C, the namespace init, and G, the program) and the
// launcher platform G runs the core with. Everything here runs between fork and exec: no
// allocation, no exceptions, no logging; failures are reported as Messages.

#ifndef STOCKADE_LINUX_SIM_SRC_CHILD_H_
#define STOCKADE_LINUX_SIM_SRC_CHILD_H_

#include <signal.h>

#include "protocol.h"
#include "stockade/launch/launcher.h"
#include "stockade/launch/platform.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim::detail {

struct ChildArgs {
  const SandboxPlan* plan = nullptr;
  launch::PreparedLaunch* launch = nullptr;
  int go_fd = -1;              // read end: one byte from P when the outside is configured
  int report_fd = -1;          // our end of the SOCK_SEQPACKET report socket
  TracePage* trace = nullptr;  // nullptr when tracing is off
  sigset_t original_mask;      // the signal mask to restore (P blocks what it forwards)
};

// C: never returns.
[[noreturn]] void RunInit(const ChildArgs& args) noexcept;

// Sends one message on the report socket (and optionally a descriptor with SCM_RIGHTS).
void Report(int report_fd, const Message& message, int fd_to_pass = -1) noexcept;

// The launcher platform of linux-sim. The descriptor operations are the plain Linux calls;
// SetIdentity also sets the capability sets; Exec applies Landlock and the seccomp filters
// right before execve. Descriptor rights are the Capsicum emulation's filters among them
// (plan.capsicum, docs/capsicum-linux.md): LimitRights, LimitIoctls and LimitFcntls check
// that the plan enforces exactly the limits asked for, and EnterCapabilityMode that the plan
// enters capability mode.
class SimPlatform : public launch::Platform {
 public:
  // `plan`, `report_fd` and `trace` are only used in the child (G); ResolveIdentity runs in P.
  // `trace` (may be null) receives the capabilities, landlock and seccomp steps.
  SimPlatform(const SandboxPlan* plan, int report_fd, TracePage* trace = nullptr)
      : plan_(plan), report_fd_(report_fd), trace_(trace) {}

  Expected<launch::Identity> ResolveIdentity(const std::string& user,
                                             const std::string& group) override;
  int Open(const char* path, uint32_t flags, uint32_t mode) noexcept override;
  int OpenExecutable(const char* path) noexcept override;
  int IsDynamicExecutable(int fd, bool* dynamic) noexcept override;
  int SetIdentity(const launch::Identity& identity) noexcept override;
  int ChangeDirectory(const char* path) noexcept override;
  int Duplicate(int from, int to, bool cloexec) noexcept override;
  int DuplicateAbove(int fd, int min) noexcept override;
  int Close(int fd) noexcept override;
  int CloseAllExcept(const int* keep, size_t count) noexcept override;
  int LimitRights(int fd, const RightSet& rights) noexcept override;
  int LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept override;
  int LimitFcntls(int fd, uint32_t mask) noexcept override;
  int EnterCapabilityMode() noexcept override;
  int Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept override;

 private:
  // The plan's rlimits; a failure is reported as the rlimit step and ends the process.
  void ApplyRlimits() noexcept;
  int ApplyLandlock() noexcept;
  int InstallFilters() noexcept;
  const RightsClass* LimitedClass(int fd) const noexcept;
  int CheckType(int fd, const RightsClass& limits) const noexcept;
  // The Capsicum emulation's lookups: the real root to the supervisor, once, before exec.
  int SendRoot() noexcept;
  // SO_PASSRIGHTS off on every Unix socket the program gets, when the layout seals them.
  int SealUnixSockets() noexcept;

  const SandboxPlan* plan_;
  int report_fd_;
  TracePage* trace_;
  bool root_sent_ = false;
  bool chrooted_ = false;
  int highest_kept_ = -1;  // after CloseAllExcept, the highest open descriptor
};

// The setup timing helper shared by C and G.
void Trace(TracePage* trace, Step step, int32_t index,
           launch::Step launch_step = launch::Step::kExec) noexcept;
// The same without any syscall (only the time stamp counter), for after the seccomp filters:
// clock_gettime may fall back from the vDSO to a real call, which the filters would judge.
void TraceWithoutSyscall(TracePage* trace, Step step) noexcept;

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CHILD_H_
