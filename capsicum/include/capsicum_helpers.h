/* SPDX-License-Identifier: BSD-2-Clause */
/* FreeBSD's <capsicum_helpers.h> on Linux (libstockade-capsicum), with one deliberate change:
 * it fails closed. FreeBSD's helpers treat ENOSYS (a kernel without Capsicum) as success, so a
 * program built against them runs unconfined where Capsicum is missing. These return -1 with
 * errno set on every failure, ENOSYS and EOPNOTSUPP included; a program that checks the result
 * (as FreeBSD's own programs do: `if (caph_enter() < 0) err(1, ...)`) stops instead.
 *
 * caph_enter_casper() enters capability mode too (there is no Casper on Linux; FreeBSD built
 * without Casper would return 0 and stay outside capability mode). caph_limit_stream() allows
 * the Linux terminal ioctls TCGETS and TIOCGWINSZ where FreeBSD allows TIOCGETA, TIOCGWINSZ
 * and FIODTYPE. */

#ifndef _CAPSICUM_HELPERS_H_
#define _CAPSICUM_HELPERS_H_

#include <errno.h>
#include <nl_types.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/capsicum.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define CAPH_IGNORE_EBADF 0x0001
#define CAPH_READ 0x0002
#define CAPH_WRITE 0x0004
#define CAPH_LOOKUP 0x0008

static __inline cap_rights_t* caph_stream_rights(cap_rights_t* rights, int flags) {
  cap_rights_init(rights, CAP_EVENT, CAP_FCNTL, CAP_FSTAT, CAP_IOCTL, CAP_SEEK);
  if ((flags & CAPH_READ) != 0) cap_rights_set(rights, CAP_READ);
  if ((flags & CAPH_WRITE) != 0) cap_rights_set(rights, CAP_WRITE);
  if ((flags & CAPH_LOOKUP) != 0) cap_rights_set(rights, CAP_LOOKUP);
  return rights;
}

static __inline int caph_limit_stream(int fd, int flags) {
  const cap_ioctl_t cmds[] = {TCGETS, TIOCGWINSZ};
  cap_rights_t rights;
  caph_stream_rights(&rights, flags);
  if (cap_rights_limit(fd, &rights) < 0) {
    if (errno == EBADF && (flags & CAPH_IGNORE_EBADF) != 0) return 0;
    return -1;
  }
  if (cap_ioctls_limit(fd, cmds, sizeof(cmds) / sizeof(cmds[0])) < 0) return -1;
  if (cap_fcntls_limit(fd, CAP_FCNTL_GETFL) < 0) return -1;
  return 0;
}

static __inline int caph_limit_stdin(void) { return caph_limit_stream(STDIN_FILENO, CAPH_READ); }

static __inline int caph_limit_stderr(void) { return caph_limit_stream(STDERR_FILENO, CAPH_WRITE); }

static __inline int caph_limit_stdout(void) { return caph_limit_stream(STDOUT_FILENO, CAPH_WRITE); }

static __inline int caph_limit_stdio(void) {
  const int ignore = CAPH_IGNORE_EBADF;
  if (caph_limit_stream(STDIN_FILENO, CAPH_READ | ignore) == -1 ||
      caph_limit_stream(STDOUT_FILENO, CAPH_WRITE | ignore) == -1 ||
      caph_limit_stream(STDERR_FILENO, CAPH_WRITE | ignore) == -1) {
    return -1;
  }
  return 0;
}

/* Reads the time zone database now, while paths can still be opened. */
static __inline void caph_cache_tzdata(void) { tzset(); }

/* Opens libc's message catalogue now (strerror(3) translations). */
static __inline void caph_cache_catpages(void) { (void)catopen("libc", NL_CAT_LOCALE); }

static __inline int caph_enter(void) { return cap_enter() < 0 ? -1 : 0; }

static __inline int caph_enter_casper(void) { return caph_enter(); }

static __inline int caph_rights_limit(int fd, const cap_rights_t* rights) {
  return cap_rights_limit(fd, rights) < 0 ? -1 : 0;
}

static __inline int caph_ioctls_limit(int fd, const cap_ioctl_t* cmds, size_t ncmds) {
  return cap_ioctls_limit(fd, cmds, ncmds) < 0 ? -1 : 0;
}

static __inline int caph_fcntls_limit(int fd, uint32_t fcntlrights) {
  return cap_fcntls_limit(fd, fcntlrights) < 0 ? -1 : 0;
}

#endif /* !_CAPSICUM_HELPERS_H_ */
