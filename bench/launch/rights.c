// SPDX-License-Identifier: BSD-2-Clause
// The rights benchmark, run inside a sandbox by bench/run.sh: nanoseconds per pread(2) on a
// rights-limited descriptor and on an unlimited one, per openat(2) beneath a directory
// descriptor, per open(2) of an absolute path, and per socketpair(2) of AF_UNIX (which the
// supervisor makes while anything is limited: docs/capsicum-linux.md, mechanism 8). Prints one
// JSON line.
//
//   rights ITERATIONS
//
// With descriptors 3 (the file, rights-limited), 4 (the file, unlimited) and 5 (its directory)
// preopened by the launcher, as bench/policies/rights-capmode.yaml asks, it measures those; an
// absolute open is impossible in capability mode and is reported as null. Without them
// (bench/policies/rights-plain.yaml) it opens /data/file and /data itself: the baseline.

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double time_pread(int fd, long iterations) {
  char byte;
  const double start = now_ns();
  for (long i = 0; i < iterations; ++i) {
    if (pread(fd, &byte, 1, 0) != 1) return -1;
  }
  return (now_ns() - start) / (double)iterations;
}

static double time_openat(int dir, const char* name, long iterations) {
  const double start = now_ns();
  for (long i = 0; i < iterations; ++i) {
    const int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    close(fd);
  }
  return (now_ns() - start) / (double)iterations;
}

static double time_socketpair(long iterations) {
  int pair[2];
  const double start = now_ns();
  for (long i = 0; i < iterations; ++i) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
    close(pair[0]);
    close(pair[1]);
  }
  return (now_ns() - start) / (double)iterations;
}

static void print_value(const char* name, double value, int last) {
  if (value < 0) {
    printf("\"%s\": null%s", name, last ? "" : ", ");
  } else {
    printf("\"%s\": %.1f%s", name, value, last ? "" : ", ");
  }
}

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? atol(argv[1]) : 100000;
  const int preopened = fcntl(3, F_GETFD) >= 0 && fcntl(4, F_GETFD) >= 0 && fcntl(5, F_GETFD) >= 0;
  int limited = 3, unlimited = 4, dir = 5;
  if (!preopened) {
    limited = -1;
    unlimited = open("/data/file", O_RDONLY | O_CLOEXEC);
    dir = open("/data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (unlimited < 0 || dir < 0) {
      perror("rights: /data");
      return 1;
    }
  }
  // One unmeasured pass of each: page cache, dentries, lazy binding.
  time_pread(unlimited, iterations / 10 + 1);
  time_openat(dir, "file", iterations / 10 + 1);
  printf("{\"preopened\": %s, ", preopened ? "true" : "false");
  print_value("pread_limited_ns", limited >= 0 ? time_pread(limited, iterations) : -1, 0);
  print_value("pread_unlimited_ns", time_pread(unlimited, iterations), 0);
  print_value("openat_beneath_ns", time_openat(dir, "file", iterations), 0);
  print_value("open_absolute_ns",
              preopened ? -1 : time_openat(AT_FDCWD, "/data/file", iterations), 0);
  // A supervised call costs about as much as a supervised openat: a tenth as many.
  print_value("socketpair_ns", time_socketpair(iterations / 10 + 1), 0);
  printf("\"iterations\": %ld}\n", iterations);
  return 0;
}
