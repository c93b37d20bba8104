// SPDX-License-Identifier: BSD-2-Clause
// Running `stockade run` for enforcement tests.

#include "testing/sandbox_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

extern char** environ;

namespace stockade::testing {

std::string ProbePath() { return (BinaryDir() / "tests" / "probe" / "probe").string(); }
std::string StockadePath() { return (BinaryDir() / "cli" / "stockade").string(); }

std::optional<std::string> SandboxUnavailableReason() {
  if (geteuid() == 0) return std::nullopt;
  std::ifstream knob("/proc/sys/kernel/unprivileged_userns_clone");
  std::string value;
  if (knob && std::getline(knob, value) && value == "0") {
    return "not root and unprivileged user namespaces are disabled "
           "(kernel.unprivileged_userns_clone=0)";
  }
  return std::nullopt;
}

ProbeRun RunSandboxed(const TempDir& dir, const RunSpec& spec) {
  std::string policy = "version: 1\nname: probe-test\n" + spec.policy;
  if (spec.policy.find("filesystem:") == std::string::npos) {
    policy += "\nfilesystem:\n  mounts:\n    - {source: " +
              std::filesystem::path(ProbePath()).parent_path().string() + ", target: /probe}\n";
  }
  const std::filesystem::path file = dir.Write("policy.yaml", policy);

  std::vector<std::string> argv;
  if (spec.unprivileged && geteuid() == 0) {
    argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  }
  argv.insert(argv.end(), {StockadePath(), "run"});
  argv.insert(argv.end(), spec.stockade_args.begin(), spec.stockade_args.end());
  argv.push_back(file.string());
  argv.push_back("--");
  for (size_t i = 0; i < spec.command.size(); ++i) {
    argv.push_back(i == 0 && spec.command[0] == "probe" ? "/probe/probe" : spec.command[i]);
  }
  std::vector<char*> raw;
  for (std::string& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (spec.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, spec.stdin_fd, 0);
  } else if (spec.stdin_path) {
    posix_spawn_file_actions_addopen(&actions, 0, spec.stdin_path->c_str(), O_RDWR, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  ProbeRun run;
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    run.err = "posix_spawn failed";
    return run;
  }
  struct timespec start {};
  clock_gettime(CLOCK_MONOTONIC, &start);
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_pipes = 2;
  while (open_pipes > 0) {
    struct timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    if (elapsed > spec.timeout_seconds) {
      kill(pid, SIGKILL);
      run.err += "\n[test harness: killed stockade after the timeout]";
      break;
    }
    if (poll(fds, 2, 200) < 0) break;
    for (struct pollfd& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP))) continue;
      char buffer[4096];
      const ssize_t n = read(p.fd, buffer, sizeof(buffer));
      if (n <= 0) {
        close(p.fd);
        p.fd = -1;
        --open_pipes;
      } else {
        (p.fd == out[0] ? run.out : run.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (struct pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const size_t brace = run.out.find('{');
  const size_t end = run.out.find('\n', brace);
  if (brace != std::string::npos) {
    run.probe =
        nlohmann::json::parse(run.out.substr(brace, end == std::string::npos ? end : end - brace),
                              nullptr, /*allow_exceptions=*/false);
  }
  return run;
}

}  // namespace stockade::testing
