/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-capsicum: FreeBSD's process descriptors (pdfork(2), pdkill(2), pdgetpid(2)) on
 * Linux pidfds.
 *
 * pdfork() is fork(2) followed by pidfd_open(2) of the child in the parent. The child waits on a
 * pipe until the parent holds the pidfd, so the descriptor can never name a recycled pid: the
 * child is alive (it is blocked in read) when pidfd_open runs, whatever the parent's SIGCHLD
 * disposition. fork(2) keeps glibc's atfork handlers and thread bookkeeping, which a raw
 * clone(CLONE_PIDFD) would skip. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procdesc.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* PIDFD_GET_INFO, Linux 6.13 (linux/pidfd.h of newer kernels, which also clashes with glibc's
 * <fcntl.h>); the fallback below reads fdinfo. The kernel accepts any size from its first
 * version's 64 bytes on. */
#ifndef PIDFD_GET_INFO
struct pidfd_info {
  unsigned long long mask;
  unsigned long long cgroupid;
  unsigned int pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int exit_code;
  unsigned int coredump_mask, spare1;
};
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info)
#endif

static int ReadFull(int fd, char* byte) {
  for (;;) {
    const ssize_t n = read(fd, byte, 1);
    if (n >= 0) return (int)n;
    if (errno != EINTR) return -1;
  }
}

EXPORT pid_t pdfork(int* fdp, int flags) {
  if ((flags & ~PD_ALLOWED_AT_FORK) != 0 || fdp == NULL) {
    errno = EINVAL;
    return -1;
  }
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(gate[0]);
    close(gate[1]);
    errno = error;
    return -1;
  }
  if (pid == 0) {
    close(gate[1]);
    char go = 0;
    ReadFull(gate[0], &go); /* EOF when the parent gave up: then it also killed us */
    close(gate[0]);
    return 0;
  }
  close(gate[0]);
  const int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    const int error = errno;
    kill(pid, SIGKILL);
    close(gate[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    errno = error;
    return -1;
  }
  if ((flags & PD_CLOEXEC) == 0) {
    /* pidfd_open(2) always sets close-on-exec. */
    fcntl(pidfd, F_SETFD, 0);
  }
  const char go = 'g';
  while (write(gate[1], &go, 1) < 0 && errno == EINTR) {
  }
  close(gate[1]);
  *fdp = pidfd;
  return pid;
}

EXPORT int pdkill(int fd, int signum) {
  return (int)syscall(SYS_pidfd_send_signal, fd, signum, NULL, 0);
}

EXPORT int pdgetpid(int fd, pid_t* pidp) {
  struct pidfd_info info;
  memset(&info, 0, sizeof(info));
  info.mask = 1; /* PIDFD_INFO_PID */
  if (ioctl(fd, PIDFD_GET_INFO, &info) == 0) {
    *pidp = (pid_t)info.pid;
    return 0;
  }
  if (errno == EBADF || errno == ESRCH) return -1;
  /* Kernels before 6.13: the "Pid:" line of the descriptor's fdinfo. */
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  const int info_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (info_fd < 0) return -1;
  char text[512];
  const ssize_t n = read(info_fd, text, sizeof(text) - 1);
  close(info_fd);
  if (n <= 0) {
    errno = EBADF;
    return -1;
  }
  text[n] = '\0';
  const char* line = strstr(text, "\nPid:");
  long pid = -1;
  if (line == NULL || sscanf(line + 5, "%ld", &pid) != 1 || pid <= 0) {
    errno = pid == -1 && line != NULL ? ESRCH : EBADF; /* -1: the process has exited */
    return -1;
  }
  *pidp = (pid_t)pid;
  return 0;
}
