// SPDX-License-Identifier: BSD-2-Clause
// Internal: the supervisor's half of the Capsicum emulation. The notify program hands it the
// calls that change the descriptor table of a limited descriptor, or that look a path up
// beneath a limited directory; it performs them itself and answers the notification.
//
// It never trusts memory the program can still change: a path is read once into the
// supervisor's memory and the lookup acts on that copy, on the supervisor's own duplicate of
// the directory descriptor (pidfd_getfd(2)); results are installed with
// SECCOMP_IOCTL_NOTIF_ADDFD. Decisions on registers alone are answered with
// SECCOMP_USER_NOTIF_FLAG_CONTINUE, which runs the call with those same registers.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_

#include <linux/seccomp.h>
#include <sys/types.h>

#include <string>

#include "stockade/base/unique_fd.h"
#include "stockade/linux_sim/capsicum.h"
#include "stockade/linux_sim/plan.h"

namespace stockade::linux_sim::detail {

class CapsicumSupervisor {
 public:
  // `userns`: the sandbox's user namespace, in which the ids of emulated stat(2) calls are shown.
  CapsicumSupervisor(const CapsicumLayout& layout, const UserNamespacePlan& userns);

  // Whether the emulation performs this call (the notify program sent it for that reason).
  bool Handles(const struct seccomp_notif& notification) const;

  // Performs the call and answers the notification on `listener`. `launcher_exec`: this is
  // the launcher's own execve, which always proceeds.
  void Handle(int listener, const struct seccomp_notif& notification, bool launcher_exec);

 private:
  struct Target;
  // Each answers the notification itself.
  void Dup(int listener, const struct seccomp_notif& n, Target& target);
  void Close(int listener, const struct seccomp_notif& n, Target& target);
  void Stat(int listener, const struct seccomp_notif& n, Target& target);
  void Exec(int listener, const struct seccomp_notif& n, Target& target);

  // A free number in `cls`'s block of the target at or above `minimum`, or -1.
  int FreeSlot(Target& target, int cls, int minimum);
  // The placeholder left on a closed fixed number: the read end of a pipe without writers,
  // on which no call can read anything, write, map or look beneath.
  int Placeholder();
  bool IsPlaceholder(Target& target, int fd);
  // A host uid or gid as the program's user namespace shows it.
  uint32_t InsideId(uint32_t id, bool group) const;

  const CapsicumLayout& layout_;
  const UserNamespacePlan& userns_;
  UniqueFd placeholder_;
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_SUPERVISOR_H_
