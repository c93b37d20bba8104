/* SPDX-License-Identifier: BSD-2-Clause */
/* A Capsicum program that limits its own descriptors (mechanism 7 of docs/capsicum-linux.md),
 * written against FreeBSD's API only, run under `stockade run` by
 * tests/linux_sim/capsicum_sandbox_test.cc. Usage: capsicum_runtime SCENARIO DIR, where DIR
 * holds a file "file" with the text "content" and a subdirectory "sub". Each check prints
 * "ok NAME" or "FAIL NAME: detail"; the exit status is the number of failures (at most 100). */

#include <sys/capsicum.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <capsicum_helpers.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static void
check(const char *name, int good, const char *detail)
{
	if (good) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: %s (errno %d)\n", name, detail, errno);
		failures++;
	}
	fflush(stdout);
}

/* The call failed with `error`. */
static int
failed(long result, int error)
{
	return (result < 0 && errno == error);
}

static int
open_in(const char *dir, const char *name, int flags)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (open(path, flags));
}

/* In a child: 0 when `what` fails with `error` there, too. */
static int
in_child(int (*what)(int), int arg, int error)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0)
		_exit(what(arg) < 0 && errno == error ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return (0);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
seek_start(int fd)
{
	return ((int)lseek(fd, 0, SEEK_SET));
}

static int
open_passwd(int unused)
{
	(void)unused;
	return (open("/etc/passwd", O_RDONLY));
}

static int
limit(const char *dir)
{
	cap_rights_t rights, got;
	char buf[16];
	struct stat st;
	int fd, copy, low;

	fd = open_in(dir, "file", O_RDONLY);
	check("open", fd >= 0, "open");
	cap_rights_init(&rights, CAP_READ, CAP_FSTAT);
	check("cap_rights_limit", cap_rights_limit(fd, &rights) == 0, "cap_rights_limit");
	check("read", read(fd, buf, 4) == 4, "read with CAP_READ");
	check("lseek refused", failed(lseek(fd, 0, SEEK_SET), ENOTCAPABLE), "lseek without CAP_SEEK");
	check("fstat", fstat(fd, &st) == 0, "fstat with CAP_FSTAT");
	check("cap_rights_get", cap_rights_get(fd, &got) == 0 &&
	    cap_rights_is_set(&got, CAP_READ) && !cap_rights_is_set(&got, CAP_SEEK),
	    "cap_rights_get");
	cap_rights_set(&rights, CAP_WRITE);
	check("widening refused", failed(cap_rights_limit(fd, &rights), ENOTCAPABLE), "widening");
	/* Copies keep the limits, wherever they land. */
	copy = dup(fd);
	check("dup", copy >= 0, "dup");
	check("dup keeps the limits", failed(lseek(copy, 0, SEEK_SET), ENOTCAPABLE), "dup's lseek");
	check("dup reads", read(copy, buf, 1) == 1, "dup's read");
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	check("F_DUPFD keeps the limits", copy >= 0 && failed(lseek(copy, 0, SEEK_SET), ENOTCAPABLE),
	    "F_DUPFD's lseek");
	low = open_in(dir, "file", O_RDONLY);
	check("dup2 onto a wider number refused", failed(dup2(fd, low), ENOTCAPABLE), "dup2");
	check("fork keeps the limits", in_child(seek_start, fd, ENOTCAPABLE), "child's lseek");
	check("other descriptors unlimited", lseek(low, 0, SEEK_SET) == 0, "unlimited lseek");
	/* A second limit: the first one still holds. */
	cap_rights_init(&rights, CAP_SEEK);
	check("limit another", cap_rights_limit(low, &rights) == 0, "second cap_rights_limit");
	check("the second holds", failed(read(low, buf, 1), ENOTCAPABLE), "read without CAP_READ");
	check("the first still holds", failed(lseek(fd, 0, SEEK_SET), ENOTCAPABLE), "first limit");
	check("not in capability mode", !cap_sandboxed(), "cap_sandboxed");
	/* Closed, the number is not handed out again with the limits of the file it had. */
	check("close", close(fd) == 0, "close");
	check("closed is closed", failed(close(fd), EBADF), "second close");
	copy = open_in(dir, "file", O_RDONLY);
	check("a new file gets another number", copy >= 0 && copy != fd &&
	    lseek(copy, 0, SEEK_SET) == 0, "reopen");
	return (failures);
}

static int
commands(const char *dir)
{
	cap_rights_t rights;
	cap_ioctl_t allowed[1] = {FIONREAD}, got[4];
	uint32_t fcntls;
	int fd, count;

	fd = open_in(dir, "file", O_RDONLY);
	cap_rights_init(&rights, CAP_READ, CAP_FCNTL, CAP_IOCTL);
	check("cap_rights_limit", cap_rights_limit(fd, &rights) == 0, "cap_rights_limit");
	check("cap_fcntls_limit", cap_fcntls_limit(fd, CAP_FCNTL_GETFL) == 0, "cap_fcntls_limit");
	check("F_GETFL", fcntl(fd, F_GETFL) >= 0, "F_GETFL");
	check("F_SETFL refused", failed(fcntl(fd, F_SETFL, O_NONBLOCK), ENOTCAPABLE), "F_SETFL");
	check("cap_fcntls_get", cap_fcntls_get(fd, &fcntls) == 0 && fcntls == CAP_FCNTL_GETFL,
	    "cap_fcntls_get");
	check("widening fcntls refused",
	    failed(cap_fcntls_limit(fd, CAP_FCNTL_GETFL | CAP_FCNTL_SETFL), ENOTCAPABLE),
	    "cap_fcntls_limit wider");
	check("cap_ioctls_get before", cap_ioctls_get(fd, got, 4) == CAP_IOCTLS_ALL,
	    "cap_ioctls_get: all");
	check("cap_ioctls_limit", cap_ioctls_limit(fd, allowed, 1) == 0, "cap_ioctls_limit");
	count = 0;
	check("FIONREAD", ioctl(fd, FIONREAD, &count) == 0, "FIONREAD");
	check("FIOCLEX refused", failed(ioctl(fd, FIOCLEX), ENOTCAPABLE), "FIOCLEX");
	check("cap_ioctls_get", cap_ioctls_get(fd, got, 4) == 1 && got[0] == FIONREAD,
	    "cap_ioctls_get");
	return (failures);
}

static volatile sig_atomic_t signalled;

static void
on_usr1(int sig)
{
	(void)sig;
	signalled = 1;
}

static int
enter(const char *dir)
{
	cap_rights_t rights;
	char buf[16];
	u_int mode;
	int dfd, fd, n;

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	check("open directory", dfd >= 0, "open");
	cap_rights_init(&rights, CAP_LOOKUP, CAP_READ, CAP_FSTAT, CAP_FSTATAT, CAP_FCNTL);
	check("cap_rights_limit", cap_rights_limit(dfd, &rights) == 0, "cap_rights_limit");
	check("cap_enter", cap_enter() == 0, "cap_enter");
	check("cap_getmode", cap_getmode(&mode) == 0 && mode == 1, "cap_getmode");
	check("cap_enter again", cap_enter() == 0, "a second cap_enter");
	check("open refused", failed(open("/etc/passwd", O_RDONLY), ECAPMODE), "open by path");
	check("openat AT_FDCWD refused", failed(openat(AT_FDCWD, "file", O_RDONLY), ECAPMODE),
	    "openat(AT_FDCWD)");
	fd = openat(dfd, "file", O_RDONLY);
	check("openat beneath", fd >= 0, "openat beneath the directory");
	n = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
	check("read what was opened", n == 7 && memcmp(buf, "content", 7) == 0, "read");
	check("it has the directory's rights", failed(lseek(fd, 0, SEEK_SET), ENOTCAPABLE),
	    "lseek without CAP_SEEK");
	check("escape refused", failed(openat(dfd, "../file", O_RDONLY), ENOTCAPABLE), "..");
	check("absolute refused", failed(openat(dfd, "/etc/passwd", O_RDONLY), ENOTCAPABLE),
	    "absolute path");
	check("writing refused", failed(openat(dfd, "file", O_RDWR), ENOTCAPABLE), "O_RDWR");
	check("mkdirat refused", failed(mkdirat(dfd, "new", 0755), ENOTCAPABLE), "mkdirat");
	check("kill of another refused", failed(kill(getppid(), 0), ECAPMODE), "kill(parent)");
	signal(SIGUSR1, on_usr1);
	check("raise", raise(SIGUSR1) == 0 && signalled, "raise(SIGUSR1)");
	check("children too", in_child(open_passwd, 0, ECAPMODE), "child's open");
	check("exec refused", failed(execl("/bin/true", "true", (char *)NULL), ECAPMODE), "exec");
	return (failures);
}

static int
stdio(const char *dir)
{
	char byte;

	(void)dir;
	check("caph_limit_stdio", caph_limit_stdio() == 0, "caph_limit_stdio");
	check("caph_enter", caph_enter() == 0, "caph_enter");
	check("write stdout", write(STDOUT_FILENO, "", 0) == 0, "write");
	check("no reading stdout", failed(read(STDOUT_FILENO, &byte, 1), ENOTCAPABLE), "read");
	check("no fchmod of stdout", failed(fchmod(STDOUT_FILENO, 0600), ENOTCAPABLE), "fchmod");
	return (failures);
}

/* What a compromised program could try after limiting itself: reserved calls of its own. */
#define RESERVED 0x5ca9
#define MAGIC 0x6d75636973706163ULL
struct request {
	int32_t fd;
	uint32_t fcntls;
	uint64_t rights[2], ioctls, nioctls, out, filters, nr, args[6];
};

static long
reserved(long op, uint64_t claim, struct request *r)
{
	return (syscall(RESERVED, MAGIC, op, claim, r));
}

static int
forge(const char *dir)
{
	struct request r;
	long suggested;
	int dfd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	check("cap_enter", cap_enter() == 0, "cap_enter");
	memset(&r, 0, sizeof(r));
	r.nr = SYS_openat;
	r.args[0] = (uint64_t)AT_FDCWD;
	r.args[1] = (uint64_t)(uintptr_t)"/etc/passwd";
	/* The policy's state (0) is laxer than this process's: its filter refuses the claim. */
	check("a laxer claim is refused", failed(reserved(9, 0, &r), EPERM), "claim 0");
	check("a laxer limit is refused", failed(reserved(1, 0, &r), EPERM), "limit with claim 0");
	/* Its own state: the supervisor decides as the filters would. */
	suggested = reserved(10, 0, NULL);
	check("suggest", suggested > 0, "OP_SUGGEST");
	check("a forged lookup is refused", failed(reserved(9, (uint64_t)suggested, &r), ECAPMODE),
	    "forged openat");
	memset(&r, 0, sizeof(r));
	r.nr = SYS_read;
	r.args[0] = (uint64_t)dfd;
	check("a call never trapped is not performed", failed(reserved(9, (uint64_t)suggested, &r),
	    ENOSYS), "forged read");
	check("an unknown claim", failed(reserved(8, (uint64_t)suggested + 12345, NULL), EPERM) ||
	    failed(reserved(8, (uint64_t)suggested + 12345, NULL), EINVAL), "unknown claim");
	return (failures);
}

/* fd 3 is limited by the policy (CAP_READ, CAP_SEEK, CAP_FSTAT); the program narrows it. */
static int
inherited(const char *dir)
{
	cap_rights_t rights, got;
	char buf[4];
	int copy;

	(void)dir;
	check("the policy's limits", cap_rights_get(3, &got) == 0 &&
	    cap_rights_is_set(&got, CAP_READ, CAP_SEEK, CAP_FSTAT) &&
	    !cap_rights_is_set(&got, CAP_WRITE), "cap_rights_get before");
	cap_rights_init(&rights, CAP_READ, CAP_WRITE);
	check("wider than the policy's refused", failed(cap_rights_limit(3, &rights), ENOTCAPABLE),
	    "CAP_WRITE");
	cap_rights_init(&rights, CAP_READ);
	check("narrowed", cap_rights_limit(3, &rights) == 0, "cap_rights_limit");
	check("read", read(3, buf, 1) == 1, "read");
	check("lseek now refused", failed(lseek(3, 0, SEEK_SET), ENOTCAPABLE), "lseek");
	/* No block holds exactly the narrowed limits since the policy's did (docs: mechanism 7). */
	copy = dup(3);
	check("a copy of a narrowed policy descriptor is refused", copy < 0 && errno == ENOTCAPABLE,
	    "dup");
	check("cap_rights_get after", cap_rights_get(3, &got) == 0 &&
	    cap_rights_is_set(&got, CAP_READ) && !cap_rights_is_set(&got, CAP_SEEK),
	    "cap_rights_get after");
	return (failures);
}

/* fd 3 is limited by the policy (CAP_READ, CAP_SEEK). A compromised program asks for a
 * narrower limit without installing its filter, then forwards a dup of fd 3 naming the new
 * state: the copy must not land where the kernel does not limit it. */
static int
escape(const char *dir)
{
	static unsigned char filters[2 * 4096 * 8 + 64];
	cap_rights_t rights;
	struct request r;
	long made, suggested, copy;

	(void)dir;
	cap_rights_init(&rights, CAP_READ);
	memset(&r, 0, sizeof(r));
	r.fd = 3;
	r.rights[0] = rights.cr_rights[0];
	r.rights[1] = rights.cr_rights[1];
	r.filters = (uint64_t)(uintptr_t)filters;
	made = reserved(1, 0, &r);
	check("a state made, its filter not installed", made == 1, "limit");
	suggested = reserved(10, 0, NULL);
	check("its id", suggested > 0, "suggest");
	memset(&r, 0, sizeof(r));
	r.nr = SYS_dup;
	r.args[0] = 3;
	copy = reserved(9, (uint64_t)suggested, &r);
	check("the forged dup is refused", copy < 0 && errno == ENOTCAPABLE, "forged dup");
	if (copy >= 0 && lseek((int)copy, 0, SEEK_SET) >= 0)
		printf("FAIL the forged copy escaped the policy's limits (lseek worked)\n");
	check("fd 3 keeps the policy's limits", failed(write(3, "x", 1), ENOTCAPABLE), "write");
	return (failures);
}

/* The limits stay with the descriptor across exec: the probe (not linked with the library)
 * reads it and is refused a seek. */
static int
exec_probe(const char *dir)
{
	cap_rights_t rights;
	char read_op[32], seek_op[32];
	int fd;

	fd = open_in(dir, "file", O_RDONLY);
	cap_rights_init(&rights, CAP_READ);
	if (fd < 0 || cap_rights_limit(fd, &rights) != 0) {
		check("limit before exec", 0, "cap_rights_limit");
		return (failures);
	}
	snprintf(read_op, sizeof(read_op), "read:%d", fd);
	snprintf(seek_op, sizeof(seek_op), "lseek-set:%d", fd);
	fflush(stdout);
	execl("/probe/probe", "probe", "ops", read_op, seek_op, (char *)NULL);
	check("exec", 0, "execl");
	return (failures);
}

static int ready, stop;
static int thread_fd;
static int thread_refused;

static void *
seeker(void *unused)
{
	(void)unused;
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		if (lseek(thread_fd, 0, SEEK_SET) < 0 && errno == ENOTCAPABLE) {
			__atomic_store_n(&thread_refused, 1, __ATOMIC_SEQ_CST);
			break;
		}
	}
	return (NULL);
}

static int
threads(const char *dir)
{
	cap_rights_t rights;
	pthread_t thread;
	int i;

	thread_fd = open_in(dir, "file", O_RDONLY);
	pthread_create(&thread, NULL, seeker, NULL);
	while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
		;
	cap_rights_init(&rights, CAP_READ);
	check("cap_rights_limit with a thread running",
	    cap_rights_limit(thread_fd, &rights) == 0, "cap_rights_limit");
	for (i = 0; i < 2000 && !__atomic_load_n(&thread_refused, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(thread, NULL);
	check("the other thread is limited too", thread_refused, "the thread's lseek");
	return (failures);
}

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif

/* `fd` sent over Unix socket `s` (SCM_RIGHTS). */
static int
send_fd(int s, int fd)
{
	char byte = 'x', control[CMSG_SPACE(sizeof(int))];
	struct iovec part = { &byte, 1 };
	struct msghdr message;
	struct cmsghdr *header;

	memset(control, 0, sizeof(control));
	memset(&message, 0, sizeof(message));
	message.msg_iov = &part;
	message.msg_iovlen = 1;
	message.msg_control = control;
	message.msg_controllen = sizeof(control);
	header = CMSG_FIRSTHDR(&message);
	header->cmsg_level = SOL_SOCKET;
	header->cmsg_type = SCM_RIGHTS;
	header->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(header), &fd, sizeof(int));
	return (sendmsg(s, &message, 0) < 0 ? -1 : 0);
}

/* A listener on an abstract address, a connection to it and a byte through: 0 when it works. */
static int
abstract_roundtrip(void)
{
	struct sockaddr_un address;
	socklen_t size;
	int listener, client, server, ok;
	char byte = 'x';

	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    (size_t)snprintf(address.sun_path + 1, sizeof(address.sun_path) - 1, "scm-%d",
	    (int)getpid()));
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	client = socket(AF_UNIX, SOCK_STREAM, 0);
	server = -1;
	ok = listener >= 0 && client >= 0 &&
	    bind(listener, (struct sockaddr *)&address, size) == 0 && listen(listener, 1) == 0 &&
	    connect(client, (struct sockaddr *)&address, size) == 0 &&
	    (server = accept(listener, NULL, NULL)) >= 0 && write(client, &byte, 1) == 1 &&
	    read(server, &byte, 1) == 1;
	close(listener);
	close(client);
	if (server >= 0)
		close(server);
	return (ok ? 0 : -1);
}

/* Once a descriptor is limited no Unix socket takes descriptors, the ones made before included:
 * Linux cannot carry the limits with them (docs/capsicum-linux.md). */
static int
scm(const char *dir)
{
	cap_rights_t rights;
	int before[2], after[2], fd, on = 1;
	char byte;

	fd = open_in(dir, "file", O_RDONLY);
	check("socketpair before", socketpair(AF_UNIX, SOCK_STREAM, 0, before) == 0, "socketpair");
	check("descriptors pass before", send_fd(before[0], fd) == 0, "sendmsg before any limit");
	cap_rights_init(&rights, CAP_READ);
	check("cap_rights_limit", cap_rights_limit(fd, &rights) == 0, "cap_rights_limit");
	check("a socket made before refuses", failed(send_fd(before[0], fd), EPERM),
	    "sendmsg over the old pair");
	check("socketpair after", socketpair(AF_UNIX, SOCK_STREAM, 0, after) == 0, "socketpair");
	check("data passes", write(after[0], "x", 1) == 1 && read(after[1], &byte, 1) == 1,
	    "data over the new pair");
	check("a new socket refuses", failed(send_fd(after[0], fd), EPERM),
	    "sendmsg over the new pair");
	check("an unlimited one is refused too", failed(send_fd(after[0], 0), EPERM),
	    "sendmsg of stdin");
	check("SO_PASSRIGHTS stays off", failed(setsockopt(after[1], SOL_SOCKET, SO_PASSRIGHTS,
	    &on, sizeof(on)), ENOTCAPABLE), "setsockopt");
	check("abstract sockets still connect", abstract_roundtrip() == 0, "abstract address");
	return (failures);
}

int
main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s limit|commands|enter|stdio|threads|forge|inherited|escape|exec|scm DIR\n", argv[0]);
		return (100);
	}
	if (strcmp(argv[1], "limit") == 0)
		limit(argv[2]);
	else if (strcmp(argv[1], "commands") == 0)
		commands(argv[2]);
	else if (strcmp(argv[1], "enter") == 0)
		enter(argv[2]);
	else if (strcmp(argv[1], "stdio") == 0)
		stdio(argv[2]);
	else if (strcmp(argv[1], "threads") == 0)
		threads(argv[2]);
	else if (strcmp(argv[1], "forge") == 0)
		forge(argv[2]);
	else if (strcmp(argv[1], "inherited") == 0)
		inherited(argv[2]);
	else if (strcmp(argv[1], "escape") == 0)
		escape(argv[2]);
	else if (strcmp(argv[1], "exec") == 0)
		exec_probe(argv[2]);
	else if (strcmp(argv[1], "scm") == 0)
		scm(argv[2]);
	else
		return (100);
	return (failures > 99 ? 99 : failures);
}
