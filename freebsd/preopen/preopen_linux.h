/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen: the Linux-only primitive the glibc interposers need (statx(2)). */

#ifndef STOCKADE_FREEBSD_PREOPEN_PREOPEN_LINUX_H_
#define STOCKADE_FREEBSD_PREOPEN_PREOPEN_LINUX_H_

#include <sys/stat.h>

#include "preopen.h"

/* statx(2) of `path`; beneath a preopen, on the object opened O_PATH (AT_SYMLINK_NOFOLLOW
 * keeps a final symlink). Negative errno on failure. */
int OsStatx(const PreopenPath* path, int flags, unsigned int mask, struct statx* buffer);

#endif /* STOCKADE_FREEBSD_PREOPEN_PREOPEN_LINUX_H_ */
