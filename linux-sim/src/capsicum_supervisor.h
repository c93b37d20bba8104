// SPDX-License-Identifier: BSD-2-Clause
// Internal: the supervisor's half of the Capsicum emulation. The notify program hands it the
// calls that change the descriptor table of a limited descriptor, that look a path up beneath
// a limited directory or in capability mode, that signal or exec in capability mode; it
// performs them (or refuses them) and answers the notification.
//
// It never trusts memory the program can still change: a path is read once into the
// supervisor's memory and the lookup acts on that copy (capsicum_lookup.h). Decisions on
// registers alone are answered with SECCOMP_USER_NOTIF_FLAG_CONTINUE, which runs the call with
// those same registers.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_

#include <linux/seccomp.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "capsicum_lookup.h"
#include "capsicum_notify.h"
#include "capsicum_runtime.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/base/unique_fd.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim::detail {

class SocketMaker;

class CapsicumSupervisor {
 public:
  explicit CapsicumSupervisor(const SandboxPlan& plan);
  ~CapsicumSupervisor();

  // Whether the emulation performs this call (the notify program sent it for that reason).
  bool Handles(const struct seccomp_notif& notification) const;

  // Performs the call (or hands it to the lookup worker) and answers the notification on
  // `listener`. `launcher_exec`: this is the launcher's own execve, which always proceeds.
  void Handle(int listener, const struct seccomp_notif& notification, bool launcher_exec);

  // libstockade-capsicum's reserved call (mechanism 7): the program's own limits, and the
  // calls its runtime filters trapped. `policy` gives the policy filter's action for a call
  // (DecideSeccomp); a forwarded call meets it first, as it would have in the kernel. Returns
  // false when that action kills: the caller stops the sandbox (nothing was answered).
  using PolicyAction = std::function<uint32_t(int nr, const uint64_t args[6])>;
  bool Request(int listener, const struct seccomp_notif& notification, const PolicyAction& policy);

  // The sandbox's root as the launcher saw it before exec (before capability mode's chroot):
  // where the lookups start. Only the first one counts.
  void SetRoot(UniqueFd root) {
    if (!root_) root_ = std::move(root);
  }
  // The program's Landlock ruleset, which the lookup worker enters when it restricts files.
  void SetLandlock(UniqueFd ruleset) {
    if (!landlock_) landlock_ = std::move(ruleset);
  }

 private:
  // A notified call (`forwarded` false) or one a runtime filter trapped and the library
  // forwarded (performed entirely here: it cannot continue), decided with `layout`.
  void Dispatch(int listener, const struct seccomp_notif& n, NotifyTarget& target,
                const CapsicumLayout& layout, bool forwarded);
  // Each answers the notification itself, deciding with *current_.
  void Dup(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  void Close(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  // fstat(2) of a descriptor (newfstatat/statx with AT_EMPTY_PATH and ""); false when the call
  // is a real lookup, for the worker.
  bool Fstat(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  void Exec(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  void Signal(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  void PidfdOpen(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  // socket(2) and socketpair(2) of AF_UNIX while the layout seals Unix sockets: made here, in
  // the sandbox's network namespace with the program's ids, with SO_PASSRIGHTS off.
  void Socket(int listener, const struct seccomp_notif& n, NotifyTarget& target);
  // SO_PASSRIGHTS off on every Unix socket in the caller's descriptor table (the program's own
  // limits: its sockets made before). 0 or an errno.
  int SealSockets(NotifyTarget& target);

  // A free number in `cls`'s block of the target at or above `minimum`, or -1. Call with
  // placement_ held.
  int FreeSlot(NotifyTarget& target, int cls, int minimum);
  // The placeholder left on a closed fixed number: the read end of a pipe without writers,
  // on which no call can read anything, write, map or look beneath.
  int Placeholder();
  bool IsPlaceholder(NotifyTarget& target, int fd);
  // The operations of the reserved call: each answers it.
  void Change(int listener, const struct seccomp_notif& n, NotifyTarget& target,
              const RuntimeState& state, uint32_t op, const struct stockade_capsicum_request& r);
  void Get(int listener, const struct seccomp_notif& n, NotifyTarget& target,
           const RuntimeState& state, uint32_t op, const struct stockade_capsicum_request& r);
  // False: the policy kills the forwarded call.
  bool Forward(int listener, const struct seccomp_notif& n, NotifyTarget& target,
               const RuntimeState& state, const struct stockade_capsicum_request& r,
               const PolicyAction& policy);
  // A host uid or gid as the program's user namespace shows it.
  uint32_t InsideId(uint32_t id, bool group) const;

  const SandboxPlan& plan_;
  const CapsicumLayout& layout_;  // the policy's
  const CapsicumLayout* current_ = &layout_;
  bool forwarded_ = false;
  UniqueFd placeholder_;
  std::mutex placement_;  // choosing a free block number and installing on it
  std::unique_ptr<LookupEngine> lookups_;
  UniqueFd root_;
  UniqueFd landlock_;
  std::unique_ptr<SocketMaker> sockets_;    // made at the first Socket
  std::unique_ptr<RuntimeStates> runtime_;  // made at the first reserved call
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_
