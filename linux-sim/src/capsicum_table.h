// SPDX-License-Identifier: BSD-2-Clause
// Internal: the rights each Linux system call needs on its descriptor arguments, following
// FreeBSD's kernel (the cap_*_rights each syscall passes to fget, namei's CAP_LOOKUP, the
// flags_to_rights() of openat), and the calls the supervisor performs. Data: the model
// (DecideCapsicum), the filter compiler and the tests all read this one table.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_TABLE_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stockade/base/rights.h"

namespace stockade::linux_sim::detail {

// SO_PASSRIGHTS (Linux 6.16; not yet in Debian 12's headers): off, a Unix socket refuses
// SCM_RIGHTS, and the sender's sendmsg fails with EPERM.
inline constexpr int kSoPassRights = 83;

// A condition on one register. 32-bit kinds compare the low half only: the kernel truncates
// int, unsigned int and umode_t arguments, so the high half of such a register is garbage the
// program may choose.
struct ArgCond {
  enum Kind : uint8_t {
    kEq64,        // args[arg] == value
    kNe64,        // args[arg] != value
    kMaskedEq32,  // (low32(args[arg]) & mask) == value
    kMaskedNe32,  // (low32(args[arg]) & mask) != value
  };
  uint8_t arg;
  Kind kind;
  uint32_t mask;
  uint64_t value;

  bool Holds(const uint64_t args[6]) const;
};

// What a descriptor argument must allow.
struct Need {
  RightSet rights;          // every one of these
  uint32_t fcntls = 0;      // these CAP_FCNTL_* bits
  bool ioctl = false;       // the command in args[1] is in the class's list, when it has one
  bool everything = false;  // no limited descriptor may be used (no FreeBSD counterpart)
};

// "If every condition holds, the descriptor in args[fd_arg] needs `need`."
struct RightsCheck {
  uint8_t fd_arg;
  std::vector<ArgCond> when;
  Need need;
};

// "If every condition holds, the call fails with `error`" (capability mode: ECAPMODE).
struct Denial {
  std::vector<ArgCond> when;
  int error;
};

// "If every condition holds and args[fd_arg] is such a number, the supervisor performs it."
struct Route {
  enum Which : uint8_t {
    kLimited,    // any limited number (dup of a limited descriptor)
    kFixed,      // a fixed number (close: the number keeps a placeholder)
    kDirectory,  // a number of a class that may hold directories (lookups beneath it)
    kAlways,     // whatever the descriptor (fd_arg unused)
    kSealed,     // whatever the descriptor, while the layout seals Unix sockets (SCM_RIGHTS)
  };
  uint8_t fd_arg;
  std::vector<ArgCond> when;
  Which which;
};

struct SyscallSpec {
  int nr;
  std::string name;
  std::vector<Denial> denials;  // first: capability mode refuses before any right is checked
  std::vector<RightsCheck> checks;
  std::vector<Route> routes;
  // While any descriptor is limited the call fails with ENOSYS: its operations are invisible
  // to seccomp (io_uring, Linux AIO).
  bool unmediated = false;
};

// Every system call with a descriptor argument (or an unmediated mechanism), sorted by number;
// in capability mode also every call capability mode refuses or the supervisor performs
// (capsicum_capmode.h).
const std::vector<SyscallSpec>& CapsicumSpecs(bool capability_mode = false);
const SyscallSpec* FindCapsicumSpec(int nr, bool capability_mode = false);

// The lookups the supervisor may perform with AT_FDCWD (or a path-only call) in capability
// mode: the read-only ones the run-time linker makes (mechanism 5). Every other lookup with
// AT_FDCWD fails with ECAPMODE in the kernel.
bool ReadOnlyLookup(int nr);

// Linux syscalls that take a descriptor but need no right on FreeBSD either (close, dup,
// fadvise64, ...): listed so that the completeness test knows they were considered.
const std::vector<std::string>& CapsicumFreeCalls();

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_TABLE_H_
