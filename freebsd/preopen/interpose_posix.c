/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen: the POSIX-named functions, the same on glibc and FreeBSD libc. Each one
 * maps its path (PreopenResolve) and makes the call through the per-OS primitives, which use
 * raw system calls, so that the library never calls back into itself. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preopen.h"

static int NeedsMode(int flags) {
#ifdef O_TMPFILE
  if ((flags & O_TMPFILE) == O_TMPFILE) return 1; /* Linux: open(2) reads the mode for it too */
#endif
  return (flags & O_CREAT) != 0;
}

static int OpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsOpen(&target, flags, mode));
}

PREOPEN_EXPORT int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (NeedsMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = (mode_t)va_arg(args, int); /* promoted to int through the ellipsis */
    va_end(args);
  }
  return OpenAt(AT_FDCWD, path, flags, mode);
}

PREOPEN_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (NeedsMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = (mode_t)va_arg(args, int);
    va_end(args);
  }
  return OpenAt(dirfd, path, flags, mode);
}

PREOPEN_EXPORT int creat(const char* path, mode_t mode) {
  return OpenAt(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

static int StatAt(int dirfd, const char* path, struct stat* st, int flags) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsStat(&target, st, flags));
}

PREOPEN_EXPORT int stat(const char* restrict path, struct stat* restrict st) {
  return StatAt(AT_FDCWD, path, st, 0);
}

PREOPEN_EXPORT int lstat(const char* restrict path, struct stat* restrict st) {
  return StatAt(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

PREOPEN_EXPORT int fstatat(int dirfd, const char* restrict path, struct stat* restrict st,
                           int flags) {
  return StatAt(dirfd, path, st, flags);
}

static int AccessAt(int dirfd, const char* path, int mode, int flags) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsAccess(&target, mode, flags));
}

PREOPEN_EXPORT int access(const char* path, int mode) { return AccessAt(AT_FDCWD, path, mode, 0); }

PREOPEN_EXPORT int faccessat(int dirfd, const char* path, int mode, int flags) {
  return AccessAt(dirfd, path, mode, flags);
}

PREOPEN_EXPORT int eaccess(const char* path, int mode) {
  return AccessAt(AT_FDCWD, path, mode, AT_EACCESS);
}

static int MkdirAt(int dirfd, const char* path, mode_t mode) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsMkdir(&target, mode));
}

PREOPEN_EXPORT int mkdir(const char* path, mode_t mode) { return MkdirAt(AT_FDCWD, path, mode); }

PREOPEN_EXPORT int mkdirat(int dirfd, const char* path, mode_t mode) {
  return MkdirAt(dirfd, path, mode);
}

static int UnlinkAt(int dirfd, const char* path, int flags) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsUnlink(&target, flags));
}

PREOPEN_EXPORT int unlink(const char* path) { return UnlinkAt(AT_FDCWD, path, 0); }
PREOPEN_EXPORT int rmdir(const char* path) { return UnlinkAt(AT_FDCWD, path, AT_REMOVEDIR); }

PREOPEN_EXPORT int unlinkat(int dirfd, const char* path, int flags) {
  return UnlinkAt(dirfd, path, flags);
}

/* remove(3) as glibc does it: rmdir, and unlink when that says it is not a directory. */
PREOPEN_EXPORT int remove(const char* path) {
  PreopenPath target;
  const int error = PreopenResolve(AT_FDCWD, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  int result = OsUnlink(&target, AT_REMOVEDIR);
  if (result == -ENOTDIR) result = OsUnlink(&target, 0);
  return (int)PreopenReturn(result);
}

static int RenameAt(int old_dirfd, const char* old_path, int new_dirfd, const char* new_path) {
  PreopenPath from, to;
  int error = PreopenResolve(old_dirfd, old_path, &from);
  if (error == 0) error = PreopenResolve(new_dirfd, new_path, &to);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsRename(&from, &to));
}

PREOPEN_EXPORT int rename(const char* old_path, const char* new_path) {
  return RenameAt(AT_FDCWD, old_path, AT_FDCWD, new_path);
}

PREOPEN_EXPORT int renameat(int old_dirfd, const char* old_path, int new_dirfd,
                            const char* new_path) {
  return RenameAt(old_dirfd, old_path, new_dirfd, new_path);
}

static ssize_t ReadlinkAt(int dirfd, const char* path, char* buffer, size_t size) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (ssize_t)PreopenReturn(error);
  return (ssize_t)PreopenReturn(OsReadlink(&target, buffer, size));
}

PREOPEN_EXPORT ssize_t readlink(const char* restrict path, char* restrict buffer, size_t size) {
  return ReadlinkAt(AT_FDCWD, path, buffer, size);
}

PREOPEN_EXPORT ssize_t readlinkat(int dirfd, const char* restrict path, char* restrict buffer,
                                  size_t size) {
  return ReadlinkAt(dirfd, path, buffer, size);
}

PREOPEN_EXPORT int chdir(const char* path) {
  const int result = PreopenChdir(path);
  if (result == -ENOSYS) return (int)PreopenReturn(OsChdir(path));
  return (int)PreopenReturn(result);
}

PREOPEN_EXPORT int fchdir(int fd) {
  const int result = OsFchdir(fd);
  if (result == 0) PreopenForgetCwd();
  return (int)PreopenReturn(result);
}

/* getcwd(3), with the glibc and FreeBSD extension: a NULL buffer is allocated (of `size`
 * bytes, or as long as needed when size is 0). */
PREOPEN_EXPORT char* getcwd(char* buffer, size_t size) {
  char cwd[PATH_MAX];
  int error = PreopenGetCwd(cwd, sizeof(cwd));
  if (error == ENOENT) {
    const long length = OsGetcwd(cwd, sizeof(cwd));
    error = length < 0 ? (int)-length : cwd[0] == '/' ? 0 : ENOENT; /* "(unreachable)/..." */
  }
  if (error != 0) {
    errno = error;
    return NULL;
  }
  const size_t needed = strlen(cwd) + 1;
  if (buffer == NULL) {
    if (size != 0 && size < needed) {
      errno = ERANGE;
      return NULL;
    }
    buffer = malloc(size != 0 ? size : needed);
    if (buffer == NULL) return NULL;
  } else if (size == 0) {
    errno = EINVAL;
    return NULL;
  } else if (size < needed) {
    errno = ERANGE;
    return NULL;
  }
  memcpy(buffer, cwd, needed);
  return buffer;
}
