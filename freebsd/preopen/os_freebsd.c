/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen's primitives on FreeBSD: syscall(2) by number (never the libc functions
 * the library interposes). In capability mode the kernel itself holds every lookup beneath the
 * preopened descriptor (capsicum(4); open(2): "path must be strictly relative"), so a path is
 * passed whole to the *at() call. Outside capability mode O_RESOLVE_BENEATH and
 * AT_RESOLVE_BENEATH (FreeBSD 13 and later) do the same for the calls that take them.
 * Compile-checked on Linux only (tests/freebsd); never run. */

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preopen.h"

#ifndef O_RESOLVE_BENEATH /* FreeBSD 12: capability mode is the only beneath rule */
#define O_RESOLVE_BENEATH 0
#endif
#ifndef AT_RESOLVE_BENEATH
#define AT_RESOLVE_BENEATH 0
#endif

static long Sys(long result) { return result < 0 ? -errno : result; }

static int Beneath(const PreopenPath* path, int flag) { return path->beneath ? flag : 0; }

/* What the kernel answers for open(2), or openat(2) with AT_FDCWD, in capability mode. */
int PreopenNoMatchErrno(void) { return ECAPMODE; }

int OsOpen(const PreopenPath* path, int flags, mode_t mode) {
  return (int)Sys(syscall(SYS_openat, path->dirfd, path->path,
                          flags | Beneath(path, O_RESOLVE_BENEATH), (int)mode));
}

int OsStat(const PreopenPath* path, struct stat* st, int flags) {
  return (int)Sys(
      syscall(SYS_fstatat, path->dirfd, path->path, st, flags | Beneath(path, AT_RESOLVE_BENEATH)));
}

int OsAccess(const PreopenPath* path, int mode, int flags) {
  return (int)Sys(syscall(SYS_faccessat, path->dirfd, path->path, mode,
                          flags | Beneath(path, AT_RESOLVE_BENEATH)));
}

int OsMkdir(const PreopenPath* path, mode_t mode) {
  return (int)Sys(syscall(SYS_mkdirat, path->dirfd, path->path, (int)mode));
}

int OsUnlink(const PreopenPath* path, int flags) {
  return (int)Sys(
      syscall(SYS_unlinkat, path->dirfd, path->path, flags | Beneath(path, AT_RESOLVE_BENEATH)));
}

int OsRename(const PreopenPath* from, const PreopenPath* to) {
  return (int)Sys(syscall(SYS_renameat, from->dirfd, from->path, to->dirfd, to->path));
}

long OsReadlink(const PreopenPath* path, char* buffer, size_t size) {
  return Sys(syscall(SYS_readlinkat, path->dirfd, path->path, buffer, size));
}

int OsFstat(int fd, struct stat* st) { return (int)Sys(syscall(SYS_fstat, fd, st)); }
int OsChdir(const char* path) { return (int)Sys(syscall(SYS_chdir, path)); }
int OsFchdir(int fd) { return (int)Sys(syscall(SYS_fchdir, fd)); }

/* __getcwd(2) returns 0 and fills the buffer (not the length, as Linux's getcwd(2) does). */
long OsGetcwd(char* buffer, size_t size) {
  const long result = Sys(syscall(SYS___getcwd, buffer, size));
  return result < 0 ? result : 1;
}

int OsClose(int fd) { return (int)Sys(syscall(SYS_close, fd)); }
