// SPDX-License-Identifier: BSD-2-Clause
// Test helper: preopen_exec [-e NAME=VALUE]... [FD:DIR]... -- PROGRAM [ARG]...
// Opens each DIR read-only on descriptor FD (inherited across exec, as stockade-launch leaves a
// preopen), then executes PROGRAM with this environment plus the -e assignments. The extra
// environment (LD_PRELOAD) applies to PROGRAM only, never to this helper.

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

int Fail(const char* what, const char* arg) {
  std::fprintf(stderr, "preopen_exec: %s %s: %s\n", what, arg, std::strerror(errno));
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (std::strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
      env.push_back(argv[++i]);
      continue;
    }
    char* colon = std::strchr(argv[i], ':');
    if (colon == nullptr) {
      std::fprintf(stderr, "preopen_exec: expected FD:DIR, got %s\n", argv[i]);
      return 127;
    }
    const int target = std::atoi(argv[i]);
    const int fd = open(colon + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Fail("cannot open", colon + 1);
    // dup2 clears close-on-exec on the target; when the numbers match, clear it by hand.
    if (fd != target ? dup2(fd, target) < 0 : fcntl(fd, F_SETFD, 0) < 0) {
      return Fail("cannot place", argv[i]);
    }
    if (fd != target) close(fd);
  }
  if (i + 1 >= argc) {
    std::fprintf(stderr,
                 "usage: preopen_exec [-e NAME=VALUE]... [FD:DIR]... -- PROGRAM [ARG]...\n");
    return 127;
  }
  env.push_back(nullptr);
  execve(argv[i + 1], argv + i + 1, env.data());
  return Fail("cannot execute", argv[i + 1]);
}
