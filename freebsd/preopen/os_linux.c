/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen's primitives on Linux: raw system calls (never the libc functions the
 * library interposes), with lookups under a preopen held beneath it by openat2(2)'s
 * RESOLVE_BENEATH, the nearest Linux has to FreeBSD's capability-mode lookups.
 *
 * Under stockade's Capsicum emulation (STOCKADE_PREOPEN_LOOKUPS=capsicum, set by linux-sim) the
 * system holds every *at() lookup beneath its directory descriptor, as FreeBSD's capability
 * mode does, and cannot install the O_PATH descriptors the openat2 route opens: paths are then
 * passed whole to the *at() calls, as on FreeBSD, and a path under no preopen goes to the
 * system unchanged (which answers ECAPMODE, or serves a read-only library lookup). */

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preopen.h"
#include "preopen_linux.h"

static long Sys(long result) { return result < 0 ? -errno : result; }

/* 1: the system holds lookups beneath (STOCKADE_PREOPEN_LOOKUPS=capsicum); 0: openat2 does. */
static int SystemBeneath(void) {
  static atomic_int state = -1;
  int value = atomic_load_explicit(&state, memory_order_relaxed);
  if (value < 0) {
    const char* lookups = getenv("STOCKADE_PREOPEN_LOOKUPS");
    value = lookups != NULL && strcmp(lookups, "capsicum") == 0;
    atomic_store_explicit(&state, value, memory_order_relaxed);
  }
  return value;
}

/* Whether the library must hold this lookup beneath its preopen itself. */
static int Held(const PreopenPath* path) { return path->beneath && !SystemBeneath(); }

/* openat2(2): RESOLVE_BENEATH refuses "..", absolute symlinks and symlinks leading out of
 * dirfd (EXDEV); RESOLVE_NO_MAGICLINKS refuses /proc/self/fd-style links (ELOOP). openat2 also
 * refuses a mode without O_CREAT or O_TMPFILE, and mode bits above 07777 (EINVAL). */
static int OpenBeneath(int dirfd, const char* path, int flags, mode_t mode) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = (unsigned long long)(unsigned int)flags;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) how.mode = mode & 07777;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return (int)Sys(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

/* For the calls that act on a name in a directory (mkdirat, unlinkat, renameat2, readlinkat):
 * the directory is opened beneath the preopen, so only the last component is looked up by the
 * call itself, and that lookup does not follow a symlink. */
typedef struct {
  int fd;    /* the parent directory, or the original dirfd when not beneath */
  int owned; /* fd must be closed */
  const char* last;
  char parent[PATH_MAX];
} Parent;

static int OpenParent(const PreopenPath* path, Parent* out) {
  out->fd = path->dirfd;
  out->owned = 0;
  out->last = path->path;
  if (!Held(path)) return 0;
  const char* slash = strrchr(path->path, '/');
  if (slash == NULL) {
    memcpy(out->parent, ".", 2);
  } else {
    const size_t length = (size_t)(slash - path->path);
    memcpy(out->parent, path->path, length);
    out->parent[length] = '\0';
    out->last = slash + 1;
  }
  const int fd = OpenBeneath(path->dirfd, out->parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  out->fd = fd;
  out->owned = 1;
  return 0;
}

static void CloseParent(Parent* parent) {
  if (parent->owned) OsClose(parent->fd);
}

int PreopenNoMatchErrno(void) { return SystemBeneath() ? 0 : EPERM; }

int OsOpen(const PreopenPath* path, int flags, mode_t mode) {
  if (Held(path)) return OpenBeneath(path->dirfd, path->path, flags, mode);
  return (int)Sys(syscall(SYS_openat, path->dirfd, path->path, flags, mode));
}

/* The object itself, opened O_PATH beneath the preopen (O_NOFOLLOW keeps a final symlink), so
 * that the call after it takes a descriptor and does no lookup of its own. */
static int OpenObject(const PreopenPath* path, int nofollow) {
  return OpenBeneath(path->dirfd, path->path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0), 0);
}

int OsStat(const PreopenPath* path, struct stat* st, int flags) {
  if (!Held(path)) {
    return (int)Sys(syscall(SYS_newfstatat, path->dirfd, path->path, st, flags));
  }
  const int fd = OpenObject(path, flags & AT_SYMLINK_NOFOLLOW);
  if (fd < 0) return fd;
  const int result =
      (int)Sys(syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH | (flags & AT_NO_AUTOMOUNT)));
  OsClose(fd);
  return result;
}

int OsStatx(const PreopenPath* path, int flags, unsigned int mask, struct statx* buffer) {
  if (!Held(path)) {
    return (int)Sys(syscall(SYS_statx, path->dirfd, path->path, flags, mask, buffer));
  }
  const int fd = OpenObject(path, flags & AT_SYMLINK_NOFOLLOW);
  if (fd < 0) return fd;
  const int kept = flags & (AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE);
  const int result = (int)Sys(syscall(SYS_statx, fd, "", AT_EMPTY_PATH | kept, mask, buffer));
  OsClose(fd);
  return result;
}

int OsAccess(const PreopenPath* path, int mode, int flags) {
  if (!Held(path)) {
    long result = syscall(SYS_faccessat2, path->dirfd, path->path, mode, flags);
    if (result < 0 && errno == ENOSYS && flags == 0) {
      result = syscall(SYS_faccessat, path->dirfd, path->path, mode);
    }
    return (int)Sys(result);
  }
  const int fd = OpenObject(path, flags & AT_SYMLINK_NOFOLLOW);
  if (fd < 0) return fd;
  /* faccessat2(2) (Linux 5.8) takes AT_EMPTY_PATH: the check is on the opened object. */
  const int result =
      (int)Sys(syscall(SYS_faccessat2, fd, "", mode, AT_EMPTY_PATH | (flags & AT_EACCESS)));
  OsClose(fd);
  return result;
}

int OsMkdir(const PreopenPath* path, mode_t mode) {
  Parent parent;
  int result = OpenParent(path, &parent);
  if (result < 0) return result;
  result = (int)Sys(syscall(SYS_mkdirat, parent.fd, parent.last, mode));
  CloseParent(&parent);
  return result;
}

int OsUnlink(const PreopenPath* path, int flags) {
  Parent parent;
  int result = OpenParent(path, &parent);
  if (result < 0) return result;
  result = (int)Sys(syscall(SYS_unlinkat, parent.fd, parent.last, flags));
  CloseParent(&parent);
  return result;
}

int OsRename(const PreopenPath* from, const PreopenPath* to) {
  Parent old_parent, new_parent;
  int result = OpenParent(from, &old_parent);
  if (result < 0) return result;
  result = OpenParent(to, &new_parent);
  if (result < 0) {
    CloseParent(&old_parent);
    return result;
  }
  result = (int)Sys(
      syscall(SYS_renameat2, old_parent.fd, old_parent.last, new_parent.fd, new_parent.last, 0));
  CloseParent(&new_parent);
  CloseParent(&old_parent);
  return result;
}

long OsReadlink(const PreopenPath* path, char* buffer, size_t size) {
  Parent parent;
  int opened = OpenParent(path, &parent);
  if (opened < 0) return opened;
  const long result = Sys(syscall(SYS_readlinkat, parent.fd, parent.last, buffer, size));
  CloseParent(&parent);
  return result;
}

int OsFstat(int fd, struct stat* st) { return (int)Sys(syscall(SYS_fstat, fd, st)); }
int OsChdir(const char* path) { return (int)Sys(syscall(SYS_chdir, path)); }
int OsFchdir(int fd) { return (int)Sys(syscall(SYS_fchdir, fd)); }
long OsGetcwd(char* buffer, size_t size) { return Sys(syscall(SYS_getcwd, buffer, size)); }
int OsClose(int fd) { return (int)Sys(syscall(SYS_close, fd)); }
