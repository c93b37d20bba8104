/* SPDX-License-Identifier: BSD-2-Clause */
/* Test-only: glibc's <fcntl.h> with FreeBSD's names and values (sys/sys/fcntl.h of FreeBSD 13
 * and 14, open(2), fcntl(2)) in place of Linux's, for the -fsyntax-only check of the FreeBSD
 * code. Linux-only names are removed so that using one fails the check. */

#include_next <fcntl.h>

#undef O_ACCMODE
#undef O_RDONLY
#undef O_WRONLY
#undef O_RDWR
#undef O_NONBLOCK
#undef O_APPEND
#undef O_SYNC
#undef O_NOFOLLOW
#undef O_CREAT
#undef O_TRUNC
#undef O_EXCL
#undef O_NOCTTY
#undef O_DIRECT
#undef O_DIRECTORY
#undef O_CLOEXEC
#undef O_DSYNC
#undef O_NDELAY
#undef O_FSYNC
#undef O_ASYNC
#undef F_DUPFD_CLOEXEC
#undef AT_FDCWD
#undef AT_EACCESS
#undef AT_SYMLINK_NOFOLLOW
#undef AT_SYMLINK_FOLLOW
#undef AT_REMOVEDIR

/* Linux only (FreeBSD 13 has none of them). */
#undef O_PATH
#undef O_TMPFILE
#undef O_NOATIME
#undef O_LARGEFILE
#undef O_RSYNC
#undef AT_EMPTY_PATH
#undef AT_NO_AUTOMOUNT
#undef AT_STATX_SYNC_TYPE
#undef AT_RECURSIVE
#undef F_GETPIPE_SZ
#undef F_SETPIPE_SZ

#define O_RDONLY 0x0000
#define O_WRONLY 0x0001
#define O_RDWR 0x0002
#define O_ACCMODE 0x0003
#define O_NONBLOCK 0x0004
#define O_APPEND 0x0008
#define O_FSYNC 0x0080
#define O_SYNC 0x0080
#define O_NOFOLLOW 0x0100
#define O_CREAT 0x0200
#define O_TRUNC 0x0400
#define O_EXCL 0x0800
#define O_NOCTTY 0x8000
#define O_DIRECT 0x00010000
#define O_DIRECTORY 0x00020000
#define O_EXEC 0x00040000
#define O_SEARCH O_EXEC
#define O_TTY_INIT 0x00080000
#define O_CLOEXEC 0x00100000
#define O_VERIFY 0x00200000
#define O_RESOLVE_BENEATH 0x00800000
#define O_DSYNC 0x01000000

#define AT_FDCWD -100
#define AT_EACCESS 0x0100
#define AT_SYMLINK_NOFOLLOW 0x0200
#define AT_SYMLINK_FOLLOW 0x0400
#define AT_REMOVEDIR 0x0800
#define AT_RESOLVE_BENEATH 0x2000

#define F_DUP2FD 10
#define F_DUPFD_CLOEXEC 17
#define F_DUP2FD_CLOEXEC 18
