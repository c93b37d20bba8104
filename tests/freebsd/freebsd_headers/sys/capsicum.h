/* SPDX-License-Identifier: BSD-2-Clause */
/* Test-only: the FreeBSD <sys/capsicum.h> declarations stockade uses, written for stockade from
 * the SYNOPSIS of cap_rights_limit(2), cap_ioctls_limit(2), cap_fcntls_limit(2), cap_enter(2)
 * and the cap_rights_t layout of rights(4). Only types and names, for compiling the FreeBSD
 * launcher with -fsyntax-only on Linux (tests/freebsd/CMakeLists.txt); nothing links to it. */

#ifndef STOCKADE_TEST_FREEBSD_SYS_CAPSICUM_H_
#define STOCKADE_TEST_FREEBSD_SYS_CAPSICUM_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAP_RIGHTS_VERSION_00 0
#define CAP_RIGHTS_VERSION CAP_RIGHTS_VERSION_00

struct cap_rights {
  uint64_t cr_rights[CAP_RIGHTS_VERSION + 2];
};
typedef struct cap_rights cap_rights_t;

/* CAPRIGHT(idx, bit) = (1ULL << (57 + idx)) | bit */
#define CAPRIGHT(idx, bit) ((1ULL << (57 + (idx))) | (bit))
#define CAP_READ CAPRIGHT(0, 0x0000000000000001ULL)
#define CAP_FEXECVE CAPRIGHT(0, 0x0000000000000080ULL)
#define CAP_LOOKUP CAPRIGHT(0, 0x0000000000000400ULL)

#define CAP_FCNTL_GETFL (1 << 3)
#define CAP_FCNTL_SETFL (1 << 4)
#define CAP_FCNTL_GETOWN (1 << 5)
#define CAP_FCNTL_SETOWN (1 << 6)

typedef unsigned long cap_ioctl_t;

int cap_enter(void);
int cap_getmode(u_int* modep);
int cap_rights_limit(int fd, const cap_rights_t* rights);
int cap_ioctls_limit(int fd, const cap_ioctl_t* cmds, size_t ncmds);
int cap_fcntls_limit(int fd, uint32_t fcntlrights);

#ifdef __cplusplus
}
#endif

#endif
