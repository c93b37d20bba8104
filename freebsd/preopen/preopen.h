/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen internals: the preopen table, lexical path handling, the mapping of a
 * path to (preopened directory, path beneath it), and the per-OS primitives that run it.
 *
 * The library lets an unmodified program that names files by absolute (or cwd-relative) path
 * work in Capsicum capability mode, where only *at() lookups beneath a granted directory
 * descriptor succeed. It is a convenience, never a protection: a raw system call, a static
 * program or a libc-internal lookup it does not interpose bypasses it, and the kernel
 * (capability mode on FreeBSD) is what enforces. docs/freebsd-launcher.md has the contract.
 *
 * Environment (read once, when the library is loaded):
 *   STOCKADE_PREOPENS=FD:PATH[,FD:PATH...]  directories open on descriptor FD, as the program
 *       should see them; PATH absolute, '%', ',' and bytes outside 0x21..0x7e written %XX.
 *   STOCKADE_PREOPEN_CWD=PATH  the starting virtual working directory (same encoding);
 *       without it, getcwd(3) at load time, and when that fails there is none.
 *   STOCKADE_PREOPEN_LOOKUPS=capsicum  (Linux) the system holds *at() lookups beneath their
 *       descriptor (stockade's Capsicum emulation): paths go whole to the *at() calls, and a
 *       path under no preopen goes to the system unchanged (os_linux.c).
 * Without STOCKADE_PREOPENS the library passes every call through unchanged. */

#ifndef STOCKADE_FREEBSD_PREOPEN_PREOPEN_H_
#define STOCKADE_FREEBSD_PREOPEN_PREOPEN_H_

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PREOPEN_MAX_ENTRIES 64
#define PREOPEN_POOL_BYTES 16384

/* Symbols the program must see; everything else is hidden (-fvisibility=hidden). */
#define PREOPEN_EXPORT __attribute__((visibility("default")))

typedef struct {
  int fd;
  const char* path; /* normalized, absolute; into PreopenTable.pool */
  size_t length;
} PreopenEntry;

typedef struct {
  PreopenEntry entries[PREOPEN_MAX_ENTRIES];
  size_t count;
  char pool[PREOPEN_POOL_BYTES];
  size_t pool_used;
} PreopenTable;

/* ---- Portable core (preopen_core.c): no system calls, unit-tested on Linux. ---- */

/* Joins `path` to `base` when it is relative (base must then be absolute), and removes empty
 * and "." components and ".." with the component before it, never above "/" (lexically: a
 * symlink followed by ".." is not resolved first). Writes the absolute result to `out`.
 * Returns 0, ENOENT for an empty path, EINVAL for a relative path without an absolute base,
 * ENAMETOOLONG when the result does not fit in `size` bytes. */
int PreopenNormalize(const char* base, const char* path, char* out, size_t size);

/* Parses STOCKADE_PREOPENS's value into `table` (emptied first). Returns 0, or EINVAL for a
 * malformed entry, ENOSPC for too many entries or bytes, ENAMETOOLONG for a long path. */
int PreopenParse(PreopenTable* table, const char* spec);

/* Decodes one %XX-encoded value (STOCKADE_PREOPEN_CWD) into `out`. Returns 0, EINVAL or
 * ENAMETOOLONG. */
int PreopenDecode(const char* encoded, size_t length, char* out, size_t size);

/* The entry whose path is the longest prefix of the normalized absolute `path` on a component
 * boundary (the first listed wins a tie), or NULL. *rest points after the prefix and its
 * slash: "" when `path` is the directory itself. */
const PreopenEntry* PreopenMatch(const PreopenTable* table, const char* path, const char** rest);

/* ---- The mapping (preopen_map.c). ---- */

/* Where a path-taking call goes: `path` relative to `dirfd`, with lookups held beneath `dirfd`
 * (`beneath` = 1: a preopened directory) or passed to the kernel unchanged (`beneath` = 0: the
 * program named a descriptor, or the library is not configured). */
typedef struct {
  int dirfd;
  const char* path;
  int beneath;
  char buffer[PATH_MAX];
} PreopenPath;

/* Maps (dirfd, path) as the *at() calls take them. Returns 0, or a negative errno:
 * -PreopenNoMatchErrno() when an absolute (or cwd-relative) path is under no preopen (0 and the
 * path unchanged when that is 0), -EFAULT
 * for NULL, -ENAMETOOLONG, -EBADF when a preopened descriptor was closed or replaced. */
int PreopenResolve(int dirfd, const char* path, PreopenPath* out);

/* Virtual working directory: chdir(2) to a directory under a preopen sets it (0 or a negative
 * errno; -ENOSYS when the real chdir(2) applies: unconfigured, or relative to an unknown cwd);
 * fchdir(2) forgets it, and relative paths then go to the kernel unchanged. */
int PreopenChdir(const char* path);
void PreopenForgetCwd(void);
/* Copies the virtual cwd; returns 0, ERANGE when it does not fit, ENOENT when there is none. */
int PreopenGetCwd(char* out, size_t size);

/* Stores -result in errno and returns -1 when result is negative; else returns it. */
long PreopenReturn(long result);

/* ---- Per-OS primitives (os_linux.c, os_freebsd.c). Negative errno on failure. ---- */

/* The errno for a path under no preopen: ECAPMODE on FreeBSD (what the kernel answers for a
 * global-namespace lookup in capability mode); EPERM on Linux, which has no ECAPMODE; 0 on
 * Linux under stockade's Capsicum emulation: the path goes to the system unchanged. */
int PreopenNoMatchErrno(void);
int OsOpen(const PreopenPath* path, int flags, mode_t mode);
int OsStat(const PreopenPath* path, struct stat* st, int flags);
int OsAccess(const PreopenPath* path, int mode, int flags);
int OsMkdir(const PreopenPath* path, mode_t mode);
int OsUnlink(const PreopenPath* path, int flags);
int OsRename(const PreopenPath* from, const PreopenPath* to);
long OsReadlink(const PreopenPath* path, char* buffer, size_t size);
int OsFstat(int fd, struct stat* st);
int OsChdir(const char* path);
int OsFchdir(int fd);
long OsGetcwd(char* buffer, size_t size);
int OsClose(int fd);

#ifdef __cplusplus
}
#endif

#endif /* STOCKADE_FREEBSD_PREOPEN_PREOPEN_H_ */
