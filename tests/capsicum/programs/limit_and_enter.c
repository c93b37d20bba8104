/* SPDX-License-Identifier: BSD-2-Clause */
/* A program written for FreeBSD's Capsicum, in FreeBSD's style and with FreeBSD's headers only:
 * it must compile unchanged against libstockade-capsicum (`pkg-config --cflags --libs
 * stockade-capsicum`). It limits a file to reading, enters capability mode, then checks that
 * writing to the file, opening a path and widening its rights are refused with FreeBSD's
 * errors, and that reading still works. tests/capsicum/install_test.sh builds it. */

#include <sys/capsicum.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	cap_rights_t rights, got;
	char buf[64];
	ssize_t n;
	u_int mode;
	int fd;

	if (argc != 2)
		errx(2, "usage: %s file", argv[0]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		err(1, "%s", argv[1]);

	cap_rights_init(&rights, CAP_READ, CAP_FSTAT, CAP_FCNTL);
	if (cap_rights_limit(fd, &rights) < 0)
		err(1, "cap_rights_limit");
	if (cap_fcntls_limit(fd, CAP_FCNTL_GETFL) < 0)
		err(1, "cap_fcntls_limit");
	if (cap_enter() < 0)
		err(1, "cap_enter");

	if (cap_getmode(&mode) < 0 || mode != 1 || !cap_sandboxed())
		errx(1, "not in capability mode after cap_enter");
	if (cap_rights_get(fd, &got) < 0)
		err(1, "cap_rights_get");
	if (!cap_rights_contains(&rights, &got) || !cap_rights_contains(&got, &rights))
		errx(1, "cap_rights_get does not return the limit");

	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err(1, "read");
	buf[n] = '\0';
	if (write(fd, "x", 1) >= 0 || errno != ENOTCAPABLE)
		errx(1, "write without CAP_WRITE was not refused with ENOTCAPABLE");
	if (fcntl(fd, F_SETFL, O_NONBLOCK) >= 0 || errno != ENOTCAPABLE)
		errx(1, "F_SETFL without CAP_FCNTL_SETFL was not refused with ENOTCAPABLE");
	if (open("/etc/passwd", O_RDONLY) >= 0 || errno != ECAPMODE)
		errx(1, "open of a path was not refused with ECAPMODE");
	cap_rights_set(&rights, CAP_WRITE);
	if (cap_rights_limit(fd, &rights) >= 0 || errno != ENOTCAPABLE)
		errx(1, "widening the rights was not refused with ENOTCAPABLE");

	printf("read \"%s\" in capability mode; write, F_SETFL, open and widening refused\n",
	    buf);
	return (0);
}
