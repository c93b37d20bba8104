/* SPDX-License-Identifier: BSD-2-Clause */
/* Test-only: glibc's <sys/syscall.h> with the FreeBSD system call numbers stockade uses (from
 * ../shared/reference/freebsd/syscalls.tsv, FreeBSD's sys/kern/syscalls.master), for the
 * -fsyntax-only check of the FreeBSD code. Linux-only names used by os_linux.c are removed. */

#include_next <sys/syscall.h>

#undef SYS_close
#undef SYS_chdir
#undef SYS_fchdir
#undef SYS_faccessat
#undef SYS_mkdirat
#undef SYS_openat
#undef SYS_readlinkat
#undef SYS_renameat
#undef SYS_unlinkat
#undef SYS_fstat
#undef SYS_getcwd
#undef SYS_newfstatat
#undef SYS_openat2
#undef SYS_faccessat2
#undef SYS_renameat2
#undef SYS_statx

#define SYS_close 6
#define SYS_chdir 12
#define SYS_fchdir 13
#define SYS___getcwd 326
#define SYS_faccessat 489
#define SYS_mkdirat 496
#define SYS_openat 499
#define SYS_readlinkat 500
#define SYS_renameat 501
#define SYS_unlinkat 503
#define SYS_fstat 551
#define SYS_fstatat 552
