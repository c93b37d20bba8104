/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-capsicum: the cap_rights_t algebra of cap_rights_init(3), and the Capsicum system
 * calls of <sys/capsicum.h> as requests to linux-sim's supervisor through the reserved system
 * call (base/include/stockade/base/capsicum_abi.h).
 *
 * Nothing here enforces anything: the supervisor and the seccomp filters of the sandbox do. The
 * library only validates arguments (as FreeBSD's libc and kernel do) and passes them on; outside
 * a sandbox the kernel answers the reserved call with ENOSYS, and the calls that would limit
 * fail with EOPNOTSUPP rather than pretend. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capsicum.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stockade/base/capsicum_abi.h"

#define EXPORT __attribute__((visibility("default")))

_Static_assert(ENOTCAPABLE == STOCKADE_ENOTCAPABLE, "generated header and ABI disagree");
_Static_assert(ECAPMODE == STOCKADE_ECAPMODE, "generated header and ABI disagree");
_Static_assert(sizeof(cap_rights_t) == 16, "cap_rights_t is two 64-bit words");

/* The bits of a word that are rights (not the version or index bits). */
#define RIGHT_BITS 0x01FFFFFFFFFFFFFFULL

/* ---- cap_rights_t algebra ------------------------------------------------------------------ */

/* FreeBSD's libc asserts that rights are well formed; so do we, with a message. */
static void Malformed(const char* function, const char* what) {
  fprintf(stderr, "libstockade-capsicum: %s: %s\n", function, what);
  abort();
}

/* The cr_rights[] index a right or word belongs to: its index bit 57 + i, or -1. */
static int IndexOf(uint64_t right) {
  switch (CAPIDXBIT(right)) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
    case 16:
      return 4;
    default:
      return -1;
  }
}

static void CheckRights(const cap_rights_t* rights, const char* function) {
  if (rights == NULL) Malformed(function, "NULL cap_rights_t");
  if (CAPVER(rights) != CAP_RIGHTS_VERSION_00) Malformed(function, "unknown cap_rights_t version");
  if (IndexOf(rights->cr_rights[0]) != 0 || IndexOf(rights->cr_rights[1]) != 1) {
    Malformed(function, "cap_rights_t not initialized with cap_rights_init()");
  }
}

/* Applies each right of the 0ULL-terminated list: set (+1), clear (-1) or test (0). */
static bool Apply(cap_rights_t* rights, va_list ap, int how, const char* function) {
  for (;;) {
    const uint64_t right = (uint64_t)va_arg(ap, unsigned long long);
    if (right == 0) break;
    const int i = IndexOf(right);
    if (CAPRVER(right) != 0 || i < 0 || i >= CAPARSIZE(rights)) {
      Malformed(function, "not a capability right");
    }
    if (how > 0) {
      rights->cr_rights[i] |= right;
    } else if (how < 0) {
      rights->cr_rights[i] &= ~(right & RIGHT_BITS);
    } else if ((rights->cr_rights[i] & right) != right) {
      return false;
    }
  }
  return true;
}

EXPORT cap_rights_t* __cap_rights_init(int version, cap_rights_t* rights, ...) {
  if (version != CAP_RIGHTS_VERSION_00) Malformed("cap_rights_init", "unknown version");
  if (rights == NULL) Malformed("cap_rights_init", "NULL cap_rights_t");
  CAP_NONE(rights);
  va_list ap;
  va_start(ap, rights);
  Apply(rights, ap, +1, "cap_rights_init");
  va_end(ap);
  return rights;
}

EXPORT cap_rights_t* __cap_rights_set(cap_rights_t* rights, ...) {
  CheckRights(rights, "cap_rights_set");
  va_list ap;
  va_start(ap, rights);
  Apply(rights, ap, +1, "cap_rights_set");
  va_end(ap);
  return rights;
}

EXPORT cap_rights_t* __cap_rights_clear(cap_rights_t* rights, ...) {
  CheckRights(rights, "cap_rights_clear");
  va_list ap;
  va_start(ap, rights);
  Apply(rights, ap, -1, "cap_rights_clear");
  va_end(ap);
  return rights;
}

EXPORT bool __cap_rights_is_set(const cap_rights_t* rights, ...) {
  CheckRights(rights, "cap_rights_is_set");
  cap_rights_t copy = *rights;
  va_list ap;
  va_start(ap, rights);
  const bool set = Apply(&copy, ap, 0, "cap_rights_is_set");
  va_end(ap);
  return set;
}

EXPORT bool cap_rights_is_empty(const cap_rights_t* rights) {
  CheckRights(rights, "cap_rights_is_empty");
  return (rights->cr_rights[0] & RIGHT_BITS) == 0 && (rights->cr_rights[1] & RIGHT_BITS) == 0;
}

EXPORT bool cap_rights_is_valid(const cap_rights_t* rights) {
  if (CAPVER(rights) != CAP_RIGHTS_VERSION_00) return false;
  if ((rights->cr_rights[0] & ~(uint64_t)CAP_ALL0) != 0) return false;
  if ((rights->cr_rights[1] & ~(uint64_t)CAP_ALL1) != 0) return false;
  return IndexOf(rights->cr_rights[0]) == 0 && IndexOf(rights->cr_rights[1]) == 1 &&
         CAPRVER(rights->cr_rights[1]) == 0;
}

EXPORT cap_rights_t* cap_rights_merge(cap_rights_t* dst, const cap_rights_t* src) {
  CheckRights(dst, "cap_rights_merge");
  CheckRights(src, "cap_rights_merge");
  for (int i = 0; i < CAPARSIZE(dst); ++i) dst->cr_rights[i] |= src->cr_rights[i];
  return dst;
}

EXPORT cap_rights_t* cap_rights_remove(cap_rights_t* dst, const cap_rights_t* src) {
  CheckRights(dst, "cap_rights_remove");
  CheckRights(src, "cap_rights_remove");
  for (int i = 0; i < CAPARSIZE(dst); ++i) dst->cr_rights[i] &= ~(src->cr_rights[i] & RIGHT_BITS);
  return dst;
}

EXPORT bool cap_rights_contains(const cap_rights_t* big, const cap_rights_t* little) {
  CheckRights(big, "cap_rights_contains");
  CheckRights(little, "cap_rights_contains");
  for (int i = 0; i < CAPARSIZE(big); ++i) {
    if ((big->cr_rights[i] & little->cr_rights[i]) != little->cr_rights[i]) return false;
  }
  return true;
}

/* ---- the system calls ------------------------------------------------------------------------ */

/* One request to the supervisor. Returns its result, or -1 with errno. */
static long Request(long op, long a, long b, long c) {
  return syscall(STOCKADE_CAPSICUM_SYSCALL, (long)STOCKADE_CAPSICUM_MAGIC, op, a, b, c, 0L);
}

/* Outside a sandbox the kernel does not know the call. */
static int Unsandboxed(void) { return errno == ENOSYS; }

/* A call that would limit: fails where nothing enforces it. */
static int Limit(long op, long a, long b, long c) {
  if (Request(op, a, b, c) >= 0) return 0;
  if (Unsandboxed()) errno = STOCKADE_CAPSICUM_UNSUPPORTED_ERRNO;
  return -1;
}

static int ValidFd(int fd) { return fcntl(fd, F_GETFD) >= 0; }

EXPORT int cap_enter(void) { return Limit(STOCKADE_CAPSICUM_OP_ENTER, 0, 0, 0); }

EXPORT int cap_getmode(unsigned int* modep) {
  const long mode = Request(STOCKADE_CAPSICUM_OP_GETMODE, 0, 0, 0);
  if (mode < 0) {
    if (!Unsandboxed()) return -1;
    *modep = 0; /* nothing put this process in capability mode */
    return 0;
  }
  *modep = mode ? 1u : 0u;
  return 0;
}

EXPORT bool cap_sandboxed(void) {
  unsigned int mode = 0;
  return cap_getmode(&mode) == 0 && mode != 0;
}

EXPORT int cap_rights_limit(int fd, const cap_rights_t* rights) {
  if (rights == NULL || !cap_rights_is_valid(rights)) {
    errno = EINVAL;
    return -1;
  }
  return Limit(STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT, fd, (long)rights->cr_rights[0],
               (long)rights->cr_rights[1]);
}

EXPORT int __cap_rights_get(int version, int fd, cap_rights_t* rights) {
  if (version != CAP_RIGHTS_VERSION_00 || rights == NULL) {
    errno = EINVAL;
    return -1;
  }
  cap_rights_t result;
  if (Request(STOCKADE_CAPSICUM_OP_RIGHTS_GET, fd, (long)&result, 0) >= 0) {
    *rights = result;
    return 0;
  }
  if (!Unsandboxed()) return -1;
  if (!ValidFd(fd)) return -1; /* EBADF */
  CAP_ALL(rights);             /* nothing limits the descriptor */
  return 0;
}

EXPORT int cap_ioctls_limit(int fd, const cap_ioctl_t* cmds, size_t ncmds) {
  if (ncmds > STOCKADE_CAPSICUM_MAX_IOCTLS || (ncmds > 0 && cmds == NULL)) {
    errno = EINVAL;
    return -1;
  }
  return Limit(STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT, fd, (long)cmds, (long)ncmds);
}

EXPORT ssize_t cap_ioctls_get(int fd, cap_ioctl_t* cmds, size_t maxcmds) {
  const long count = Request(STOCKADE_CAPSICUM_OP_IOCTLS_GET, fd, (long)cmds, (long)maxcmds);
  if (count >= 0) return (ssize_t)count;
  if (!Unsandboxed()) return -1;
  if (!ValidFd(fd)) return -1;
  return CAP_IOCTLS_ALL;
}

EXPORT int cap_fcntls_limit(int fd, uint32_t fcntlrights) {
  if ((fcntlrights & ~(uint32_t)CAP_FCNTL_ALL) != 0) {
    errno = EINVAL;
    return -1;
  }
  return Limit(STOCKADE_CAPSICUM_OP_FCNTLS_LIMIT, fd, (long)fcntlrights, 0);
}

EXPORT int cap_fcntls_get(int fd, uint32_t* fcntlrightsp) {
  uint32_t mask = 0;
  if (Request(STOCKADE_CAPSICUM_OP_FCNTLS_GET, fd, (long)&mask, 0) >= 0) {
    *fcntlrightsp = mask;
    return 0;
  }
  if (!Unsandboxed()) return -1;
  if (!ValidFd(fd)) return -1;
  *fcntlrightsp = CAP_FCNTL_ALL;
  return 0;
}

EXPORT const char* capsicum_strerror(int errnum) {
  if (errnum == ENOTCAPABLE) return "Capabilities insufficient";
  if (errnum == ECAPMODE) return "Not permitted in capability mode";
  return strerror(errnum);
}
