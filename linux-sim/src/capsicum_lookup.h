// SPDX-License-Identifier: BSD-2-Clause
// Internal: lookups the supervisor performs for the Capsicum emulation (docs/capsicum-linux.md,
// mechanisms 3 and 5): the *at calls relative to a limited directory, every lookup in
// capability mode, and the run-time linker's read-only opens beneath the library directories.
//
// Each runs on a worker thread of the supervisor that has the program's identity (fs ids,
// no supplementary groups, the program's capabilities, its own umask-free fs context), never
// the supervisor's root. The path is read once from the program's memory into the worker's;
// the lookup acts on that copy, on the supervisor's duplicate of the directory descriptor
// (pidfd_getfd), with openat2(2) RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so a path the program
// changes afterwards changes nothing and nothing escapes the directory. Results are installed
// with SECCOMP_IOCTL_NOTIF_ADDFD: beneath a limited directory in its class's block (FreeBSD:
// a file opened through a limited directory gets its rights), beneath an unlimited one on the
// lowest free number.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_LOOKUP_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_LOOKUP_H_

#include <linux/seccomp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capsicum_notify.h"
#include "stockade/base/unique_fd.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/linux_sim/plan.h"
#include "thread_runner.h"

namespace stockade::linux_sim::detail {

// Whether the call is one the lookup engine performs.
bool IsLookupCall(int nr);

class LookupEngine {
 public:
  // `placement` serialises the choice of a free number in a block with its installation,
  // against the supervisor's other placements (dup).
  // `root`: the sandbox's root (the launcher's, before capability mode's chroot); without it
  // every lookup fails with EACCES. `landlock`: the program's Landlock ruleset, which the
  // worker enters when the plan's rules restrict files (without it, every lookup fails with
  // EACCES then); what the worker must reach in the program it then asks a second thread for,
  // outside the domain (Landlock forbids ptrace access to a process outside one's own domain).
  LookupEngine(const SandboxPlan& plan, std::mutex& placement, UniqueFd root, UniqueFd landlock);
  ~LookupEngine();
  LookupEngine(const LookupEngine&) = delete;
  LookupEngine& operator=(const LookupEngine&) = delete;

  // Queues the notification for a worker, which answers it, deciding with `layout` (the
  // plan's when null; it must outlive the job). From the supervisor's thread, which opened
  // `target` (with its own privileges: a worker has the program's, which cannot open the memory
  // of a program that made itself undumpable).
  void Submit(int listener, const struct seccomp_notif& notification, NotifyTarget target,
              const CapsicumLayout* layout = nullptr);

 private:
  struct Job {
    int listener;
    struct seccomp_notif notification;
    NotifyTarget target;
    const CapsicumLayout* layout;
  };
  void Work();
  void Perform(int listener, const struct seccomp_notif& n, NotifyTarget& target,
               const CapsicumLayout& layout);
  // The worker's identity, once, on its thread: errno on failure.
  int BecomeProgram();
  int EnterLandlock();

  const SandboxPlan& plan_;
  const CapsicumLayout& layout_;
  std::mutex& placement_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  // The workers, made as they are needed; each has the program's identity.
  static constexpr size_t kMaxWorkers = 8;
  std::vector<std::thread> workers_;
  size_t idle_ = 0;                // workers waiting for a job
  std::atomic<size_t> exited_{0};  // workers that have ended
  UniqueFd root_;
  UniqueFd landlock_;
  std::unique_ptr<ThreadRunner> reach_;  // with landlock_: the program's side, outside it
  // Opened by the first job's worker: the library directories beneath root_.
  std::once_flag libraries_opened_;
  std::vector<std::pair<std::string, UniqueFd>> libraries_;
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_LOOKUP_H_
