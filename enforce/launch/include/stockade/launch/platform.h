// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum-shaped operations the launcher core needs from an operating system.
//
// Implementations: freebsd::CapsicumPlatform (the real cap_* API; FreeBSD only),
// linux_sim::SimPlatform (namespaces, seccomp and the Capsicum emulation), and
// testing::FakePlatform (records calls; tests of the core without a kernel).
//
// One method per launch step kind, not per syscall (LLVM's "high-level interface" rule). Every
// method marked "child" may run between fork and exec: it must not allocate, throw or log, and
// it reports failure as a positive errno value (0 = success). Descriptor-returning methods
// return the descriptor, or a negative errno value.

#ifndef STOCKADE_LAUNCH_PLATFORM_H_
#define STOCKADE_LAUNCH_PLATFORM_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "stockade/base/expected.h"
#include "stockade/base/rights.h"

namespace stockade::launch {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Before the launch (may allocate): resolves a user and group name or number as the
  // sandbox sees them (FreeBSD: the jail's passwd, read before capability mode; Linux: the
  // host's, since ids are the same inside). An empty group means the user's primary group.
  virtual Expected<Identity> ResolveIdentity(const std::string& user, const std::string& group) = 0;

  // Child. Opens `path` with the portable OpenFlags `flags` (launch/manifest.h) plus
  // close-on-exec, creating it with `mode` when kCreate is set. Returns the descriptor.
  virtual int Open(const char* path, uint32_t flags, uint32_t mode) noexcept = 0;

  // Child. Opens a program or the run-time linker so that it can be passed to Exec (FreeBSD:
  // O_EXEC; Linux: O_PATH is not enough for fexecve of a script, so O_RDONLY). Returns the
  // descriptor, close-on-exec.
  virtual int OpenExecutable(const char* path) noexcept = 0;

  // Child. Tells whether the executable open on `fd` needs a run-time linker (an ELF file with a
  // PT_INTERP program header). Sets *dynamic; returns an errno value.
  virtual int IsDynamicExecutable(int fd, bool* dynamic) noexcept = 0;

  // Child. Drops supplementary groups, then sets the real, effective and saved gid and uid.
  virtual int SetIdentity(const Identity& identity) noexcept = 0;

  // Child. chdir(2).
  virtual int ChangeDirectory(const char* path) noexcept = 0;

  // Child. Makes `to` refer to what `from` refers to (dup2/dup3); `cloexec` sets its flag. The
  // caller closes `from` when it is no longer needed.
  virtual int Duplicate(int from, int to, bool cloexec) noexcept = 0;
  // Child. Duplicates `fd` onto the lowest free number >= `min`, close-on-exec (F_DUPFD_CLOEXEC).
  // Returns the new descriptor.
  virtual int DuplicateAbove(int fd, int min) noexcept = 0;
  virtual int Close(int fd) noexcept = 0;

  // Child. Closes every descriptor not in the sorted array `keep`.
  virtual int CloseAllExcept(const int* keep, size_t count) noexcept = 0;

  // Child. cap_rights_limit(2), cap_ioctls_limit(2), cap_fcntls_limit(2): limits can only
  // shrink; asking for more than a descriptor has fails with ENOTCAPABLE.
  virtual int LimitRights(int fd, const RightSet& rights) noexcept = 0;
  virtual int LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept = 0;
  virtual int LimitFcntls(int fd, uint32_t mask) noexcept = 0;

  // Child. cap_enter(2): from here on global namespaces are unreachable.
  virtual int EnterCapabilityMode() noexcept = 0;

  // Child. Executes the program open on `fd` (fexecve(2)); `path` is the same program's path, for
  // platforms that must execute by path (a script whose interpreter needs to reopen it).
  // Returns only on failure, with the errno value.
  virtual int Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept = 0;
};

}  // namespace stockade::launch

#endif  // STOCKADE_LAUNCH_PLATFORM_H_
