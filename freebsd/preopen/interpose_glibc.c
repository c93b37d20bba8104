/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen: the glibc-only names. glibc's own functions call each other through
 * hidden internal aliases (__open_nocancel, __lstat64, ...), so fopen(3) and opendir(3) do not
 * reach an interposed open(2) and are interposed themselves. Programs built with
 * _FILE_OFFSET_BITS=64 call the *64 names, fortified programs __open_2 and friends, programs
 * built before glibc 2.33 the __xstat family; Debian 12's coreutils call statx(2). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preopen.h"
#include "preopen_linux.h"

_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
               "the library is built for LP64 glibc, where stat and stat64 are one layout");

static int NeedsMode(int flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

static int OpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsOpen(&target, flags, mode));
}

PREOPEN_EXPORT int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (NeedsMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = (mode_t)va_arg(args, int);
    va_end(args);
  }
  return OpenAt(AT_FDCWD, path, flags, mode);
}

PREOPEN_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (NeedsMode(flags)) {
    va_list args;
    va_start(args, flags);
    mode = (mode_t)va_arg(args, int);
    va_end(args);
  }
  return OpenAt(dirfd, path, flags, mode);
}

/* The fortified entry points (bits/fcntl2.h) are used only for calls without a mode. */
PREOPEN_EXPORT int __open_2(const char* path, int flags) {
  return OpenAt(AT_FDCWD, path, flags, 0);
}
PREOPEN_EXPORT int __open64_2(const char* path, int flags) {
  return OpenAt(AT_FDCWD, path, flags, 0);
}
PREOPEN_EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  return OpenAt(dirfd, path, flags, 0);
}
PREOPEN_EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  return OpenAt(dirfd, path, flags, 0);
}

PREOPEN_EXPORT int creat64(const char* path, mode_t mode) {
  return OpenAt(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

static int StatAt(int dirfd, const char* path, struct stat* st, int flags) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsStat(&target, st, flags));
}

PREOPEN_EXPORT int stat64(const char* restrict path, struct stat64* restrict st) {
  return StatAt(AT_FDCWD, path, (struct stat*)st, 0);
}
PREOPEN_EXPORT int lstat64(const char* restrict path, struct stat64* restrict st) {
  return StatAt(AT_FDCWD, path, (struct stat*)st, AT_SYMLINK_NOFOLLOW);
}
PREOPEN_EXPORT int fstatat64(int dirfd, const char* restrict path, struct stat64* restrict st,
                             int flags) {
  return StatAt(dirfd, path, (struct stat*)st, flags);
}

/* The pre-2.33 __xstat family: `version` names the struct layout the caller was built for;
 * only the one struct stat has on this architecture is accepted. */
static int StatVersionOk(int version) {
#if defined(__x86_64__)
  return version == 0 || version == 1; /* _STAT_VER_KERNEL, _STAT_VER_LINUX: the same layout */
#elif defined(__aarch64__)
  return version == 0;
#else
  (void)version;
  return 0;
#endif
}

PREOPEN_EXPORT int __xstat(int version, const char* path, struct stat* st);
PREOPEN_EXPORT int __xstat64(int version, const char* path, struct stat64* st);
PREOPEN_EXPORT int __lxstat(int version, const char* path, struct stat* st);
PREOPEN_EXPORT int __lxstat64(int version, const char* path, struct stat64* st);
PREOPEN_EXPORT int __fxstatat(int version, int dirfd, const char* path, struct stat* st, int flags);
PREOPEN_EXPORT int __fxstatat64(int version, int dirfd, const char* path, struct stat64* st,
                                int flags);

int __xstat(int version, const char* path, struct stat* st) {
  if (!StatVersionOk(version)) return (int)PreopenReturn(-EINVAL);
  return StatAt(AT_FDCWD, path, st, 0);
}
int __xstat64(int version, const char* path, struct stat64* st) {
  return __xstat(version, path, (struct stat*)st);
}
int __lxstat(int version, const char* path, struct stat* st) {
  if (!StatVersionOk(version)) return (int)PreopenReturn(-EINVAL);
  return StatAt(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}
int __lxstat64(int version, const char* path, struct stat64* st) {
  return __lxstat(version, path, (struct stat*)st);
}
int __fxstatat(int version, int dirfd, const char* path, struct stat* st, int flags) {
  if (!StatVersionOk(version)) return (int)PreopenReturn(-EINVAL);
  return StatAt(dirfd, path, st, flags);
}
int __fxstatat64(int version, int dirfd, const char* path, struct stat64* st, int flags) {
  return __fxstatat(version, dirfd, path, (struct stat*)st, flags);
}

PREOPEN_EXPORT int statx(int dirfd, const char* restrict path, int flags, unsigned int mask,
                         struct statx* restrict buffer) {
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsStatx(&target, flags, mask, buffer));
}

PREOPEN_EXPORT int euidaccess(const char* path, int mode) {
  PreopenPath target;
  const int error = PreopenResolve(AT_FDCWD, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsAccess(&target, mode, AT_EACCESS));
}

/* fopen(3) modes: r, w, a, then '+' and the glibc flags 'x' (O_EXCL) and 'e' (O_CLOEXEC);
 * ",ccs=" ends the flags. 'b', 'c' and 'm' change nothing in open(2). */
static int FopenFlags(const char* mode, int* flags) {
  int access_mode, extra = 0;
  switch (mode[0]) {
    case 'r':
      access_mode = O_RDONLY;
      break;
    case 'w':
      access_mode = O_WRONLY;
      extra = O_CREAT | O_TRUNC;
      break;
    case 'a':
      access_mode = O_WRONLY;
      extra = O_CREAT | O_APPEND;
      break;
    default:
      return EINVAL;
  }
  for (const char* m = mode + 1; *m != '\0' && *m != ','; ++m) {
    if (*m == '+') access_mode = O_RDWR;
    if (*m == 'x') extra |= O_EXCL;
    if (*m == 'e') extra |= O_CLOEXEC;
  }
  *flags = access_mode | extra;
  return 0;
}

static FILE* Fopen(const char* path, const char* mode) {
  int flags = 0;
  const int error = mode == NULL ? EINVAL : FopenFlags(mode, &flags);
  if (error != 0) {
    errno = error;
    return NULL;
  }
  const int fd = OpenAt(AT_FDCWD, path, flags, 0666); /* DEFFILEMODE, less the umask */
  if (fd < 0) return NULL;
  FILE* file = fdopen(fd, mode);
  if (file == NULL) {
    const int saved = errno;
    OsClose(fd);
    errno = saved;
  }
  return file;
}

PREOPEN_EXPORT FILE* fopen(const char* restrict path, const char* restrict mode) {
  return Fopen(path, mode);
}
PREOPEN_EXPORT FILE* fopen64(const char* restrict path, const char* restrict mode) {
  return Fopen(path, mode);
}

PREOPEN_EXPORT DIR* opendir(const char* path) {
  const int fd = OpenAt(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return NULL;
  DIR* dir = fdopendir(fd);
  if (dir == NULL) {
    const int saved = errno;
    OsClose(fd);
    errno = saved;
  }
  return dir;
}
