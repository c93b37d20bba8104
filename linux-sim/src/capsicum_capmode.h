// SPDX-License-Identifier: BSD-2-Clause
// Internal: capability mode on Linux. Every x86_64 system call libseccomp names, classified the
// way FreeBSD treats its counterpart in capability mode (the CAPENABLED flag of syscalls.master),
// with the reason for each Linux call that has no counterpart or is treated otherwise.
// tests/linux_sim/capsicum_test.cc pins the table against ../shared/reference/freebsd/syscalls.tsv.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_CAPMODE_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_CAPMODE_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace stockade::linux_sim::detail {

enum class CapMode : uint8_t {
  kAllow,    // allowed (subject to the rights of its descriptors)
  kDeny,     // ECAPMODE
  kLookup,   // a lookup relative to a descriptor: performed by the supervisor, strictly beneath
             // it; with AT_FDCWD as a path-only call
  kPath,     // a path-only call that only reads: ECAPMODE, except read-only lookups beneath the
             // run-time linker's library directories (mechanism 5), which the supervisor makes
  kSignal,   // a signal: only to the calling process itself (FreeBSD's kill in capability mode)
  kSpecial,  // decided by the supervisor or on registers (execve, execveat, pidfd_open, clone,
             // clone3, sendto, prlimit64): see capsicum.cc
  kNoSys,    // ENOSYS: an unmediated mechanism (io_uring, Linux AIO)
};

struct CapModeRule {
  std::string_view linux_name;
  CapMode mode;
  // FreeBSD syscalls.master names this Linux call stands for, '|'-separated; empty for a
  // Linux-only call. The test checks that kAllow ones are CAPENABLED and kDeny ones are not,
  // unless `note` explains why this call differs.
  std::string_view freebsd;
  std::string_view note;
  int dir_arg = -1;   // kLookup: the directory descriptor argument
  int dir_arg2 = -1;  // kLookup: a second one (renameat, linkat)
};

const std::vector<CapModeRule>& CapModeTable();
const CapModeRule* FindCapModeRule(int nr);

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_CAPMODE_H_
