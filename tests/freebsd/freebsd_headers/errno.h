/* SPDX-License-Identifier: BSD-2-Clause */
/* Test-only: glibc's <errno.h> plus FreeBSD's Capsicum errors (sys/sys/errno.h: ENOTCAPABLE 93,
 * ECAPMODE 94), for the -fsyntax-only check of the FreeBSD code. */

#include_next <errno.h>

#ifndef ENOTCAPABLE
#define ENOTCAPABLE 93
#endif
#ifndef ECAPMODE
#define ECAPMODE 94
#endif
