// SPDX-License-Identifier: BSD-2-Clause
// The launcher core: turns a manifest into the last steps before the program runs, executed
// through a Platform. The same core runs in FreeBSD's stockade-launch and in linux-sim's
// sandbox child, and is unit-tested against a fake platform.
//
// Order of the steps (pinned by tests/enforce/launcher_test.cc):
//   1. open every preopen (with the launcher's own privileges: preopens are grants)
//   2. open the program; in capability mode, when the program needs a run-time linker, open
//      the interpreter, the library directories and the preload library as well
//   3. set the identity (groups cleared, gid, uid)
//   4. change to the working directory
//   5. move every descriptor to its number; 6. close every other descriptor
//   7. limit rights, ioctls and fcntls of each descriptor (and of the interpreter's)
//   8. enter capability mode
//   9. exec; nothing runs after it. Any failed step stops the launch before exec.

#ifndef STOCKADE_LAUNCH_LAUNCHER_H_
#define STOCKADE_LAUNCH_LAUNCHER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/launch/manifest.h"
#include "stockade/launch/platform.h"

namespace stockade::launch {

enum class Step : uint8_t {
  kOpenPreopen,
  kOpenProgram,
  kInspectProgram,
  kOpenInterpreter,
  kOpenLibraryDir,
  kOpenPreload,
  kSetIdentity,
  kChangeDirectory,
  kArrangeDescriptors,
  kCloseDescriptors,
  kLimitRights,
  kLimitIoctls,
  kLimitFcntls,
  kEnterCapabilityMode,
  kExec,
};

// A short stable name: "open-preopen", "limit-rights", "exec".
const char* StepName(Step step);

// What the core reports when a step fails. Fixed size and without pointers: the linux-sim
// child writes it to a pipe between fork and exec.
struct LaunchFailure {
  Step step;
  int32_t fd;            // the descriptor the step was about (target number), or -1
  int32_t error_number;  // errno of the failing call
};

// The manifest prepared for Run: every string, array and descriptor number computed ahead, so
// that Run neither allocates nor makes decisions that could fail for lack of memory.
class PreparedLaunch {
 public:
  const Manifest& manifest() const { return manifest_; }
  // argv and environment when the program is executed directly, and when it is executed
  // through the interpreter (FreeBSD rtld direct-execution mode: interp -f FD -- argv...).
  char* const* direct_argv() const { return direct_argv_.data(); }
  char* const* direct_envp() const { return direct_envp_.data(); }
  char* const* interpreter_argv() const { return interp_argv_.data(); }
  char* const* interpreter_envp() const { return interp_envp_.data(); }
  // Where the program, the library directories and the preload library end up in interpreter
  // mode: consecutive numbers after the highest descriptor the program gets.
  int aux_base() const { return aux_base_; }

  // Describes a failure for people: "limit-rights of fd 3 (/srv/data): Capabilities
  // insufficient". Uses the manifest to name paths.
  std::string Describe(const LaunchFailure& failure) const;

 private:
  friend Expected<PreparedLaunch> Prepare(const Manifest&, Platform&, char* const* environ);
  friend LaunchFailure Run(PreparedLaunch&, Platform&) noexcept;

  Manifest manifest_;
  Identity identity_;
  bool has_identity_ = false;
  int aux_base_ = 3;
  std::vector<std::string> strings_;  // owns what the argv/envp arrays point into
  std::vector<char*> direct_argv_, direct_envp_, interp_argv_, interp_envp_;
  std::vector<int> keep_;     // final descriptor set, sorted; scratch space for Run
  std::vector<int> sources_;  // scratch: the descriptor each placement comes from
  std::vector<int> targets_;  // scratch: where it goes
  std::vector<std::string> program_candidates_;  // absolute paths to try, in order
  const char* program_path_ = nullptr;           // the candidate Run opened
  RightSet program_rights_;  // the interpreter's descriptors, in capability mode
  RightSet library_rights_;
};

// Prepares `manifest` for Run: resolves the identity through the platform, builds the final
// environment from `environ` (the launcher's own) and the manifest's env rules (with a preload
// library, also STOCKADE_PREOPENS and STOCKADE_PREOPEN_CWD: the preopened directories and the
// working directory, for the preopen mapping), and lays out descriptor numbers. Fails with
// kInvalidArgument when the manifest cannot be launched as written (for example limits on a
// descriptor number above kMaxFd after layout).
Expected<PreparedLaunch> Prepare(const Manifest& manifest, Platform& platform,
                                 char* const* environ);

// Runs the steps. Returns only when a step failed (a successful exec does not return).
// Child-safe: no allocation, no exceptions, no logging.
LaunchFailure Run(PreparedLaunch& launch, Platform& platform) noexcept;

// The exit status a launcher uses for a failure, following env(1): 127 when the program does
// not exist, 126 when it cannot be executed, otherwise 125 (stockade failed before exec).
int ExitStatusFor(const LaunchFailure& failure);

inline constexpr int kExitSetupFailed = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

}  // namespace stockade::launch

#endif  // STOCKADE_LAUNCH_LAUNCHER_H_
