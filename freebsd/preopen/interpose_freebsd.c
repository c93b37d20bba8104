/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen: FreeBSD libc's internal names. fopen(3) and opendir(3) open by calling
 * _open() (lib/libc/include/namespace.h renames open to _open inside libc), an exported weak
 * symbol (FBSDprivate_1.0) that libc reaches through its PLT, so a preloaded definition is
 * bound instead; _openat likewise. rtld accepts an unversioned definition for a versioned
 * reference (libexec/rtld-elf/rtld.c, matched_symbol). Compile-checked on Linux only; never
 * run. */

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "preopen.h"

static int OpenAt(int dirfd, const char* path, int flags, va_list args) {
  const mode_t mode = (flags & O_CREAT) ? (mode_t)va_arg(args, int) : 0;
  PreopenPath target;
  const int error = PreopenResolve(dirfd, path, &target);
  if (error != 0) return (int)PreopenReturn(error);
  return (int)PreopenReturn(OsOpen(&target, flags, mode));
}

PREOPEN_EXPORT int _open(const char* path, int flags, ...);
PREOPEN_EXPORT int _openat(int dirfd, const char* path, int flags, ...);

int _open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const int result = OpenAt(AT_FDCWD, path, flags, args);
  va_end(args);
  return result;
}

int _openat(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const int result = OpenAt(dirfd, path, flags, args);
  va_end(args);
  return result;
}
