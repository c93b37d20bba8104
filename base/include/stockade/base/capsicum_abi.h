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

/* The call is syscall(STOCKADE_CAPSICUM_SYSCALL, MAGIC, op, state, request): `op` one of the
 * operations below; `state` the caller's runtime state (0 before its first limit: the
 * policy's), which every runtime filter checks in the register (a claim outside its own
 * lineage fails with EPERM, so a process can never ask for a laxer state than it is in);
 * `request` a struct stockade_capsicum_request, read once by the supervisor into its own
 * memory. The result is the call's return value (0, a count, a state id) or a negative errno
 * value. docs/capsicum-linux.md, mechanism 7. */
#define STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT 1 /* fd, rights, filters -> programs to install */
#define STOCKADE_CAPSICUM_OP_RIGHTS_GET 2   /* fd, out: cap_rights_t */
#define STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT 3 /* fd, ioctls, nioctls, filters -> programs */
#define STOCKADE_CAPSICUM_OP_IOCTLS_GET 4   /* fd, out: unsigned long[nioctls] -> count */
#define STOCKADE_CAPSICUM_OP_FCNTLS_LIMIT 5 /* fd, fcntls, filters -> programs */
#define STOCKADE_CAPSICUM_OP_FCNTLS_GET 6   /* fd, out: uint32_t */
#define STOCKADE_CAPSICUM_OP_ENTER 7        /* filters -> programs */
#define STOCKADE_CAPSICUM_OP_GETMODE 8      /* -> 0 or 1 */
#define STOCKADE_CAPSICUM_OP_SYSCALL 9      /* nr, args: a call a runtime filter trapped */
#define STOCKADE_CAPSICUM_OP_SUGGEST 10     /* -> the state this process most likely has */

/* OP_IOCTLS_GET's result when every command is allowed (cap_ioctls_get's CAP_IOCTLS_ALL). */
#define STOCKADE_CAPSICUM_IOCTLS_ALL_RESULT 0x7fffffff

/* SECCOMP_RET_DATA of the runtime filters' SECCOMP_RET_TRAP: the library's SIGSYS handler
 * forwards only these (si_errno) and leaves any other SIGSYS to the program. */
#define STOCKADE_CAPSICUM_TRAP_DATA 0xca95

/* The most instructions of one filter program (BPF_MAXINSNS) and of programs per change. */
#define STOCKADE_CAPSICUM_MAX_PROGRAM 4096
#define STOCKADE_CAPSICUM_MAX_PROGRAMS 2

#ifndef __ASSEMBLER__
#include <stdint.h>

/* One instruction, as struct sock_filter. */
struct stockade_capsicum_insn {
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};

/* What a change returns: the new state and the programs that enforce it, which the library
 * installs in order (seccomp(2), SECCOMP_FILTER_FLAG_TSYNC) before it takes the new state. */
struct stockade_capsicum_filters {
  uint64_t state;
  uint32_t count;
  uint32_t length[STOCKADE_CAPSICUM_MAX_PROGRAMS];
  uint32_t reserved;
  struct stockade_capsicum_insn program[STOCKADE_CAPSICUM_MAX_PROGRAMS]
                                       [STOCKADE_CAPSICUM_MAX_PROGRAM];
};

struct stockade_capsicum_request {
  int32_t fd;
  uint32_t fcntls;
  uint64_t rights[2]; /* cap_rights_t's cr_rights */
  uint64_t ioctls;    /* address of the commands (unsigned long[]) */
  uint64_t nioctls;
  uint64_t out;     /* address of the result (RIGHTS_GET, IOCTLS_GET, FCNTLS_GET) */
  uint64_t filters; /* address of a struct stockade_capsicum_filters */
  uint64_t nr;      /* OP_SYSCALL: the trapped call */
  uint64_t args[6];
};
#endif

/* cap_ioctls_limit(2): at most this many commands (FreeBSD's limit). */
#define STOCKADE_CAPSICUM_MAX_IOCTLS 256

#endif /* STOCKADE_BASE_CAPSICUM_ABI_H_ */
