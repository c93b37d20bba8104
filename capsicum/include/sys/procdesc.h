/* SPDX-License-Identifier: BSD-2-Clause */
/* FreeBSD's <sys/procdesc.h> on Linux (libstockade-capsicum): process descriptors as pidfds.
 *
 * pdfork() forks and returns a pidfd(2) of the child in *fdp; pdkill() is
 * pidfd_send_signal(2); pdgetpid() asks the kernel for the pidfd's process id. Differences from
 * FreeBSD (docs/capsicum-linux.md): closing the last descriptor of a child started without
 * PD_DAEMON does not kill it, and the child's exit is reported with SIGCHLD and to wait(2)
 * like any other child's. */

#ifndef _SYS_PROCDESC_H_
#define _SYS_PROCDESC_H_

#include <sys/types.h>

#define PD_DAEMON 0x00000001  /* FreeBSD: do not kill the child when the descriptor closes */
#define PD_CLOEXEC 0x00000002 /* the descriptor is close-on-exec */
#define PD_ALLOWED_AT_FORK (PD_DAEMON | PD_CLOEXEC)

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the child's pid in the parent and 0 in the child, like fork(2); -1 and errno on
 * failure (EINVAL for flags outside PD_ALLOWED_AT_FORK). */
pid_t pdfork(int* fdp, int flags);
int pdkill(int fd, int signum);
int pdgetpid(int fd, pid_t* pidp);

#ifdef __cplusplus
}
#endif

#endif /* !_SYS_PROCDESC_H_ */
