// SPDX-License-Identifier: BSD-2-Clause
// CapsicumPlatform: the launcher core's Platform on FreeBSD, made of the real system calls
// (open(2), fexecve(2), cap_rights_limit(2), cap_enter(2), ...). FreeBSD only.
//
// Status: compile-checked on Linux against declarations of the FreeBSD prototypes
// (tests/freebsd/freebsd_headers/), never run: no FreeBSD machine was available when it was
// written. docs/freebsd-launcher.md says the same.

#ifndef STOCKADE_FREEBSD_PLATFORM_CAPSICUM_PLATFORM_H_
#define STOCKADE_FREEBSD_PLATFORM_CAPSICUM_PLATFORM_H_

#include <cstdint>
#include <string>

#include "stockade/launch/platform.h"

namespace stockade::freebsd {

// Every method but ResolveIdentity is child-safe as launch/platform.h requires: no allocation,
// no exceptions, no output; failures are returned as errno values (or negative errno values for
// the methods that return a descriptor). Descriptors it opens are close-on-exec and owned by
// the caller (the launcher core).
class CapsicumPlatform final : public launch::Platform {
 public:
  // Looks the names up with getpwnam_r(3)/getgrnam_r(3) in the databases of the jail the
  // launcher runs in; a decimal number is taken as an id. An empty group means the user's
  // primary group, which needs a passwd entry even for a numeric user. Fails with kNotFound
  // for an unknown name and kInternal when the database cannot be read.
  Expected<launch::Identity> ResolveIdentity(const std::string& user,
                                             const std::string& group) override;

  // open(2) with the flags mapped to FreeBSD's O_* values plus O_CLOEXEC; kExecOnly becomes
  // O_EXEC. Unknown flag bits fail with EINVAL.
  int Open(const char* path, uint32_t flags, uint32_t mode) noexcept override;

  // Opens read-only (fexecve(2) accepts a descriptor open for reading, and the core must read
  // the ELF header; the run-time linker maps the program from it). A program the caller may
  // execute but not read falls back to O_EXEC, which fexecve(2) also accepts.
  int OpenExecutable(const char* path) noexcept override;

  // Reads the ELF header and program headers with pread(2) into fixed buffers: a PT_INTERP
  // header means dynamic. A file that is not ELF (a script) is not dynamic; an ELF file of the
  // wrong byte order or with malformed program headers fails with ENOEXEC.
  int IsDynamicExecutable(int fd, bool* dynamic) noexcept override;

  // setgroups(0), setgid, setuid (in that order: the first two need the privilege the last
  // drops), then verifies with getresuid/getresgid/getgroups, and that setuid(0) now fails.
  // An unprivileged launcher succeeds only if it already has exactly this identity.
  int SetIdentity(const launch::Identity& identity) noexcept override;

  int ChangeDirectory(const char* path) noexcept override;
  int Duplicate(int from, int to, bool cloexec) noexcept override;
  int DuplicateAbove(int fd, int min) noexcept override;
  int Close(int fd) noexcept override;

  // close_range(2) over each gap between the kept descriptors and from the last one up.
  int CloseAllExcept(const int* keep, size_t count) noexcept override;

  // cap_rights_limit(2) with a cap_rights_t whose two words are the RightSet's words (the
  // layouts are identical). cap_ioctls_limit(2) with at most 256 commands, converted to the
  // kernel's unsigned long. cap_fcntls_limit(2) with the CAP_FCNTL_* mask.
  int LimitRights(int fd, const RightSet& rights) noexcept override;
  int LimitIoctls(int fd, const uint64_t* commands, size_t count) noexcept override;
  int LimitFcntls(int fd, uint32_t mask) noexcept override;

  // cap_enter(2), then cap_getmode(2) to confirm. ENOSYS (a kernel without
  // options CAPABILITY_MODE) is returned as a failure: the launch stops, it never runs
  // unconfined.
  int EnterCapabilityMode() noexcept override;

  // fexecve(2). `path` is not used: execve(2) by path is not allowed in capability mode.
  int Exec(int fd, const char* path, char* const argv[], char* const envp[]) noexcept override;
};

// The FreeBSD open(2) flags for the launcher's portable OpenFlags, without O_CLOEXEC; false when
// `flags` has a bit the launcher does not define. Exposed for the compile check and reviews.
bool ToOpenFlags(uint32_t flags, int* out) noexcept;

}  // namespace stockade::freebsd

#endif  // STOCKADE_FREEBSD_PLATFORM_CAPSICUM_PLATFORM_H_
