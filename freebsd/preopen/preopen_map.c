/* SPDX-License-Identifier: BSD-2-Clause */
/* libstockade-preopen's state: the table read from the environment once, the virtual working
 * directory, and PreopenResolve, which every interposed call goes through. No allocation. */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preopen.h"

typedef struct {
  dev_t dev;
  ino_t ino;
  int checked; /* 0 when fstat(2) was not allowed (no CAP_FSTAT): the descriptor is trusted */
} Identity;

static PreopenTable g_table;
static Identity g_identity[PREOPEN_MAX_ENTRIES];
static int g_configured;   /* STOCKADE_PREOPENS was set */
static atomic_int g_state; /* 0 not initialized, 1 initializing, 2 ready */

static char g_cwd[PATH_MAX];
static int g_cwd_known;
static atomic_flag g_cwd_lock = ATOMIC_FLAG_INIT;

static void LockCwd(void) {
  while (atomic_flag_test_and_set_explicit(&g_cwd_lock, memory_order_acquire)) {
  }
}
static void UnlockCwd(void) { atomic_flag_clear_explicit(&g_cwd_lock, memory_order_release); }

long PreopenReturn(long result) {
  if (result < 0) {
    errno = (int)-result;
    return -1;
  }
  return result;
}

/* One line on standard error, once, when the launcher handed us something unusable: every
 * mapped path then fails, which is safer than guessing. */
static void Complain(const char* what, int error) {
  char line[256];
  const int n = snprintf(line, sizeof(line), "stockade-preopen: %s: %s\n", what, strerror(error));
  if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line));
}

static void Initialize(void) {
  const char* spec = getenv("STOCKADE_PREOPENS");
  if (spec == NULL) return;
  g_configured = 1;
  const int error = PreopenParse(&g_table, spec);
  if (error != 0) {
    Complain("STOCKADE_PREOPENS is malformed; no path is mapped", error);
    g_table.count = 0;
  }
  /* Remember what each descriptor is, so that a program that closes one and gets the number
   * back for another file is refused (EBADF) instead of served from the wrong directory. */
  for (size_t i = 0; i < g_table.count; ++i) {
    struct stat st;
    const int result = OsFstat(g_table.entries[i].fd, &st);
    if (result == 0) {
      g_identity[i] = (Identity){st.st_dev, st.st_ino, 1};
    } else {
      g_identity[i].checked = 0;
    }
  }
  const char* cwd = getenv("STOCKADE_PREOPEN_CWD");
  char decoded[PATH_MAX];
  if (cwd != NULL) {
    const int bad = PreopenDecode(cwd, strlen(cwd), decoded, sizeof(decoded));
    if (bad == 0 && PreopenNormalize(NULL, decoded, g_cwd, sizeof(g_cwd)) == 0) {
      g_cwd_known = 1;
    } else {
      Complain("STOCKADE_PREOPEN_CWD is not an absolute path; relative paths are not mapped",
               bad ? bad : EINVAL);
    }
  } else if (OsGetcwd(decoded, sizeof(decoded)) > 0 && decoded[0] == '/') {
    memcpy(g_cwd, decoded, sizeof(g_cwd));
    g_cwd_known = 1;
  }
}

static void EnsureInitialized(void) {
  int expected = 0;
  if (atomic_load_explicit(&g_state, memory_order_acquire) == 2) return;
  if (atomic_compare_exchange_strong(&g_state, &expected, 1)) {
    Initialize();
    atomic_store_explicit(&g_state, 2, memory_order_release);
    return;
  }
  while (atomic_load_explicit(&g_state, memory_order_acquire) != 2) {
  }
}

__attribute__((constructor)) static void InitializeAtLoad(void) { EnsureInitialized(); }

/* Checks that the entry's descriptor is still the directory it was at load time. */
static int StillOpen(const PreopenEntry* entry) {
  const Identity* identity = &g_identity[entry - g_table.entries];
  if (!identity->checked) return 0;
  struct stat st;
  const int result = OsFstat(entry->fd, &st);
  if (result != 0) return result;
  if (st.st_dev != identity->dev || st.st_ino != identity->ino) return -EBADF;
  return 0;
}

int PreopenResolve(int dirfd, const char* path, PreopenPath* out) {
  EnsureInitialized();
  if (path == NULL) return -EFAULT;
  out->dirfd = dirfd;
  out->path = path;
  out->beneath = 0;
  /* Not configured, an empty path (AT_EMPTY_PATH or the kernel's ENOENT) or a path relative to
   * a descriptor the program holds: the kernel decides, as without the library. */
  if (!g_configured || path[0] == '\0') return 0;
  if (path[0] != '/' && dirfd != AT_FDCWD) return 0;
  char absolute[PATH_MAX];
  int error;
  if (path[0] == '/') {
    error = PreopenNormalize(NULL, path, absolute, sizeof(absolute));
  } else {
    LockCwd();
    const int known = g_cwd_known;
    error = known ? PreopenNormalize(g_cwd, path, absolute, sizeof(absolute)) : 0;
    UnlockCwd();
    if (!known) return 0; /* after fchdir(2): the real working directory is the right one */
  }
  if (error != 0) return -error;
  const char* rest = NULL;
  const PreopenEntry* entry = PreopenMatch(&g_table, absolute, &rest);
  if (entry == NULL) {
    const int no_match = PreopenNoMatchErrno();
    return no_match == 0 ? 0 : -no_match; /* 0: the system decides, on the path unchanged */
  }
  error = StillOpen(entry);
  if (error != 0) return error;
  const size_t length = strlen(rest);
  if (length + 2 > sizeof(out->buffer)) return -ENAMETOOLONG;
  if (length == 0) {
    memcpy(out->buffer, ".", 2); /* the preopened directory itself */
  } else {
    memcpy(out->buffer, rest, length + 1);
  }
  out->dirfd = entry->fd;
  out->path = out->buffer;
  out->beneath = 1;
  return 0;
}

int PreopenChdir(const char* path) {
  EnsureInitialized();
  if (path == NULL) return -EFAULT;
  if (!g_configured) return -ENOSYS; /* -ENOSYS: the caller uses the real chdir(2) */
  PreopenPath target;
  int error = PreopenResolve(AT_FDCWD, path, &target);
  if (error != 0) return error;
  if (!target.beneath) return -ENOSYS; /* relative to the real cwd (after fchdir(2)) */
  struct stat st;
  error = OsStat(&target, &st, 0);
  if (error != 0) return error;
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  char absolute[PATH_MAX];
  LockCwd();
  error = PreopenNormalize(g_cwd_known ? g_cwd : NULL, path, absolute, sizeof(absolute));
  if (error == 0) {
    memcpy(g_cwd, absolute, sizeof(g_cwd));
    g_cwd_known = 1;
  }
  UnlockCwd();
  return -error;
}

void PreopenForgetCwd(void) {
  EnsureInitialized();
  LockCwd();
  g_cwd_known = 0;
  UnlockCwd();
}

int PreopenGetCwd(char* out, size_t size) {
  EnsureInitialized();
  int error = 0;
  LockCwd();
  if (!g_configured || !g_cwd_known) {
    error = ENOENT;
  } else if (strlen(g_cwd) + 1 > size) {
    error = ERANGE;
  } else {
    memcpy(out, g_cwd, strlen(g_cwd) + 1);
  }
  UnlockCwd();
  return error;
}
