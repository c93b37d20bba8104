/* SPDX-License-Identifier: BSD-2-Clause */
/* A program written for FreeBSD's process descriptors (<sys/procdesc.h>): forks a child with
 * pdfork(2), reads its pid with pdgetpid(2) and stops it with pdkill(2). */

#include <sys/types.h>
#include <sys/procdesc.h>
#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	pid_t child, pid;
	int fd, status;

	child = pdfork(&fd, PD_CLOEXEC);
	if (child < 0)
		err(1, "pdfork");
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (pdgetpid(fd, &pid) < 0)
		err(1, "pdgetpid");
	if (pid != child)
		errx(1, "pdgetpid: %d, pdfork: %d", (int)pid, (int)child);
	if (pdkill(fd, SIGTERM) < 0)
		err(1, "pdkill");
	if (waitpid(child, &status, 0) != child)
		err(1, "waitpid");
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		errx(1, "the child was not stopped by SIGTERM");
	printf("pdfork, pdgetpid and pdkill work\n");
	return (0);
}
