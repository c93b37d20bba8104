/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-capsicum: the cap_rights_t algebra of cap_rights_init(3), and the Capsicum system
 * calls of <sys/capsicum.h> as requests to linux-sim's supervisor through the reserved system
 * call (base/include/stockade/base/capsicum_abi.h).
 *
 * The library enforces nothing itself: the supervisor and the seccomp filters do. It validates
 * arguments (as FreeBSD's libc and kernel do), passes them on, installs the filters the
 * supervisor compiles for the program's own limits, and forwards the calls those filters trap
 * (docs/capsicum-linux.md, mechanism 7). Outside a sandbox the kernel answers the reserved call
 * with ENOSYS, and the calls that would limit fail with EOPNOTSUPP rather than pretend. */

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capsicum.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "stockade/base/capsicum_abi.h"

#define EXPORT __attribute__((visibility("default")))

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SIGSYS from SECCOMP_RET_TRAP */
#endif

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

/* The runtime state this process is in (0: the policy's), its SIGSYS handler, and the buffer
 * the supervisor writes a change's filter into. A change is made under g_lock, so that the
 * filters are installed in the order the supervisor made the states. */
static _Atomic uint64_t g_state;
static atomic_int g_handler;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stockade_capsicum_filters g_filters;
static struct sigaction g_previous;

/* One request to the supervisor: the raw system call, so that the result (a negative errno
 * value on failure) needs no errno, which a signal handler must not disturb. */
static long Raw(long op, const struct stockade_capsicum_request* request) {
#if defined(__x86_64__)
  long result;
  register long r10 __asm__("r10") = (long)(uintptr_t)request;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "0"((long)STOCKADE_CAPSICUM_SYSCALL), "D"((long)STOCKADE_CAPSICUM_MAGIC),
                     "S"(op), "d"((long)atomic_load(&g_state)), "r"(r10)
                   : "rcx", "r11", "memory");
  return result;
#else
  (void)op;
  (void)request;
  return -ENOSYS; /* the emulation's filters are x86_64's */
#endif
}

/* A SIGSYS that is not ours goes where it would have gone without the library. */
static void Chain(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) && g_previous.sa_sigaction != NULL) {
    g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler == SIG_IGN) {
    return;
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != NULL) {
    g_previous.sa_handler(sig);
  } else {
    signal(SIGSYS, SIG_DFL);
    raise(SIGSYS);
  }
}

/* A call a runtime filter trapped (SECCOMP_RET_TRAP with STOCKADE_CAPSICUM_TRAP_DATA): the
 * supervisor performs it, and its result becomes the call's. Nothing here is trusted: the
 * supervisor decides with the claimed state, which the filters have verified. */
static void OnSigsys(int sig, siginfo_t* info, void* context) {
#if defined(__x86_64__)
  if (info->si_code != SYS_SECCOMP || info->si_errno != STOCKADE_CAPSICUM_TRAP_DATA) {
    Chain(sig, info, context);
    return;
  }
  ucontext_t* uc = (ucontext_t*)context;
  greg_t* registers = uc->uc_mcontext.gregs;
  struct stockade_capsicum_request request = {0};
  request.nr = (uint64_t)(unsigned)info->si_syscall;
  request.args[0] = (uint64_t)registers[REG_RDI];
  request.args[1] = (uint64_t)registers[REG_RSI];
  request.args[2] = (uint64_t)registers[REG_RDX];
  request.args[3] = (uint64_t)registers[REG_R10];
  request.args[4] = (uint64_t)registers[REG_R8];
  request.args[5] = (uint64_t)registers[REG_R9];
  registers[REG_RAX] = (greg_t)Raw(STOCKADE_CAPSICUM_OP_SYSCALL, &request);
#else
  Chain(sig, info, context);
#endif
}

static int InstallHandler(void) {
  if (atomic_load(&g_handler)) return 0;
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = OnSigsys;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, &g_previous) != 0) return -1;
  atomic_store(&g_handler, 1);
  return 0;
}

static void UnlockInChild(void) { pthread_mutex_init(&g_lock, NULL); }

/* A program executed inside a sandbox where runtime filters may already hold (its parent
 * limited descriptors, or it is the same process after exec): the supervisor suggests the
 * state, and the filters verify the suggestion on every call that names it. */
__attribute__((constructor)) static void Adopt(void) {
  pthread_atfork(NULL, NULL, UnlockInChild);
  const long suggested = Raw(STOCKADE_CAPSICUM_OP_SUGGEST, NULL);
  if (suggested > 0) {
    atomic_store(&g_state, (uint64_t)suggested);
    InstallHandler();
  }
}

static int Fail(long result) {
  errno = result == -ENOSYS ? STOCKADE_CAPSICUM_UNSUPPORTED_ERRNO : (int)-result;
  return -1;
}

/* A change (limit or cap_enter): the supervisor makes the new state and its filter, which is
 * installed on every thread (TSYNC) before the process takes the state. */
static int Change(long op, struct stockade_capsicum_request* request) {
  pthread_mutex_lock(&g_lock);
  request->filters = (uint64_t)(uintptr_t)&g_filters;
  const long result = Raw(op, request);
  if (result < 0) {
    pthread_mutex_unlock(&g_lock);
    return Fail(result);
  }
  if (result > 0) {
    if (InstallHandler() != 0) {
      const int error = errno;
      pthread_mutex_unlock(&g_lock);
      errno = error;
      return -1;
    }
    for (uint32_t i = 0; i < g_filters.count && i < STOCKADE_CAPSICUM_MAX_PROGRAMS; ++i) {
      struct sock_fprog program;
      program.len = (unsigned short)g_filters.length[i];
      program.filter = (struct sock_filter*)(void*)g_filters.program[i];
      const long installed =
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
      if (installed != 0) {
        const int error = installed > 0 ? EBUSY : errno; /* > 0: a thread that could not sync */
        pthread_mutex_unlock(&g_lock);
        errno = error;
        return -1;
      }
    }
    atomic_store(&g_state, g_filters.state);
  }
  pthread_mutex_unlock(&g_lock);
  return 0;
}

static int ValidFd(int fd) { return fcntl(fd, F_GETFD) >= 0; }

EXPORT int cap_enter(void) {
  struct stockade_capsicum_request request = {0};
  return Change(STOCKADE_CAPSICUM_OP_ENTER, &request);
}

EXPORT int cap_getmode(unsigned int* modep) {
  const long mode = Raw(STOCKADE_CAPSICUM_OP_GETMODE, NULL);
  if (mode < 0) {
    if (mode != -ENOSYS) return Fail(mode);
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
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.rights[0] = rights->cr_rights[0];
  request.rights[1] = rights->cr_rights[1];
  return Change(STOCKADE_CAPSICUM_OP_RIGHTS_LIMIT, &request);
}

EXPORT int __cap_rights_get(int version, int fd, cap_rights_t* rights) {
  if (version != CAP_RIGHTS_VERSION_00 || rights == NULL) {
    errno = EINVAL;
    return -1;
  }
  uint64_t words[2] = {0, 0};
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.out = (uint64_t)(uintptr_t)words;
  const long result = Raw(STOCKADE_CAPSICUM_OP_RIGHTS_GET, &request);
  if (result >= 0) {
    rights->cr_rights[0] = words[0];
    rights->cr_rights[1] = words[1];
    return 0;
  }
  if (result != -ENOSYS) return Fail(result);
  if (!ValidFd(fd)) return -1; /* EBADF */
  CAP_ALL(rights);             /* nothing limits the descriptor */
  return 0;
}

EXPORT int cap_ioctls_limit(int fd, const cap_ioctl_t* cmds, size_t ncmds) {
  if (ncmds > STOCKADE_CAPSICUM_MAX_IOCTLS || (ncmds > 0 && cmds == NULL)) {
    errno = EINVAL;
    return -1;
  }
  _Static_assert(sizeof(cap_ioctl_t) == sizeof(uint64_t), "commands are 64-bit words");
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.ioctls = (uint64_t)(uintptr_t)cmds;
  request.nioctls = ncmds;
  return Change(STOCKADE_CAPSICUM_OP_IOCTLS_LIMIT, &request);
}

EXPORT ssize_t cap_ioctls_get(int fd, cap_ioctl_t* cmds, size_t maxcmds) {
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.out = (uint64_t)(uintptr_t)cmds;
  request.nioctls = cmds == NULL ? 0 : maxcmds;
  const long count = Raw(STOCKADE_CAPSICUM_OP_IOCTLS_GET, &request);
  if (count == STOCKADE_CAPSICUM_IOCTLS_ALL_RESULT) return CAP_IOCTLS_ALL;
  if (count >= 0) return (ssize_t)count;
  if (count != -ENOSYS) return Fail(count);
  if (!ValidFd(fd)) return -1;
  return CAP_IOCTLS_ALL;
}

EXPORT int cap_fcntls_limit(int fd, uint32_t fcntlrights) {
  if ((fcntlrights & ~(uint32_t)CAP_FCNTL_ALL) != 0) {
    errno = EINVAL;
    return -1;
  }
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.fcntls = fcntlrights;
  return Change(STOCKADE_CAPSICUM_OP_FCNTLS_LIMIT, &request);
}

EXPORT int cap_fcntls_get(int fd, uint32_t* fcntlrightsp) {
  uint32_t mask = 0;
  struct stockade_capsicum_request request = {0};
  request.fd = fd;
  request.out = (uint64_t)(uintptr_t)&mask;
  const long result = Raw(STOCKADE_CAPSICUM_OP_FCNTLS_GET, &request);
  if (result >= 0) {
    *fcntlrightsp = mask;
    return 0;
  }
  if (result != -ENOSYS) return Fail(result);
  if (!ValidFd(fd)) return -1;
  *fcntlrightsp = CAP_FCNTL_ALL;
  return 0;
}

EXPORT const char* capsicum_strerror(int errnum) {
  if (errnum == ENOTCAPABLE) return "Capabilities insufficient";
  if (errnum == ECAPMODE) return "Not permitted in capability mode";
  return strerror(errnum);
}
