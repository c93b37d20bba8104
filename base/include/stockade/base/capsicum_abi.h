/* SPDX-License-Identifier: BSD-2-Clause */
/* The Capsicum emulation's binary interface on Linux: the errno values, the reserved system
 * call that libstockade-capsicum uses to reach linux-sim's supervisor, and its operations.
 * Plain C preprocessor definitions: the C library (capsicum/), the generated <sys/capsicum.h>
 * and the C++ supervisor (linux-sim/) all read this one file. The values are stable: programs
 * built against an installed <sys/capsicum.h> carry them. docs/capsicum-linux.md explains. */

#ifndef STOCKADE_BASE_CAPSICUM_ABI_H_
#define STOCKADE_BASE_CAPSICUM_ABI_H_

/* Linux has neither errno; FreeBSD's 93 and 94 are EPROTONOSUPPORT and ESOCKTNOSUPPORT on
 * Linux. These collide with no Linux errno (the largest is 133; the kernel's internal 512..535
 * never reach user space) and fit SECCOMP_RET_DATA, so a filter can return them. */
#define STOCKADE_ENOTCAPABLE 4093
#define STOCKADE_ECAPMODE 4094

/* What cap_enter(2), cap_rights_limit(2), cap_ioctls_limit(2) and cap_fcntls_limit(2) fail
 * with where nothing enforces them (no stockade sandbox): EOPNOTSUPP, never ENOSYS, which
 * FreeBSD programs commonly read as "this kernel has no Capsicum, carry on unconfined". */
#define STOCKADE_CAPSICUM_UNSUPPORTED_ERRNO 95 /* EOPNOTSUPP (= ENOTSUP) on Linux */

/* The reserved system call number. No Linux architecture uses it (x86_64 numbers end below
 * 500 and x32's carry bit 30); outside a sandbox the kernel answers ENOSYS. Inside one, the
 * sandbox's seccomp filter hands it to the supervisor, whatever the policy's syscall rules. */
#define STOCKADE_CAPSICUM_SYSCALL 0x5ca9

/* Argument 0 of every call: "capsicum" in ASCII, so that a stray call with this number is
 * refused (EINVAL) rather than taken for a request. */
#define STOCKADE_CAPSICUM_MAGIC 0x6d75636973706163ULL

/* Argument 1: the operation. Arguments 2..5 as listed; results are the call's return value
 * (0 or a count) or a negative errno value. Pointers are read once by the supervisor into its
 * own memory, and results written back once. */
#define STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT 1 /* fd, cr_rights[0], cr_rights[1] */
#define STOCKADE_CAPSICUM_OP_RIGHTS_GET 2   /* fd, cap_rights_t* out */
#define STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT 3 /* fd, const unsigned long* cmds, ncmds */
#define STOCKADE_CAPSICUM_OP_IOCTLS_GET 4   /* fd, unsigned long* cmds, maxcmds -> count */
#define STOCKADE_CAPSICUM_OP_FCNTLS_LIMIT 5 /* fd, mask */
#define STOCKADE_CAPSICUM_OP_FCNTLS_GET 6   /* fd, uint32_t* out */
#define STOCKADE_CAPSICUM_OP_ENTER 7        /* (none) */
#define STOCKADE_CAPSICUM_OP_GETMODE 8      /* (none) -> 0 or 1 */

/* cap_ioctls_limit(2): at most this many commands (FreeBSD's limit). */
#define STOCKADE_CAPSICUM_MAX_IOCTLS 256

#endif /* STOCKADE_BASE_CAPSICUM_ABI_H_ */
