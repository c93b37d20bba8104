// SPDX-License-Identifier: BSD-2-Clause
// The program's relation to the caller: signals are forwarded, orphans die with the program,
// and the caller's terminal is out of reach (TIOCSTI; dev.tty.legacy_tiocsti=1 here).

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

// Whether a process whose command line contains `marker` exists.
bool Running(const std::string& marker) {
  DIR* proc = opendir("/proc");
  if (!proc) return false;
  bool found = false;
  while (struct dirent* entry = readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const std::string cmdline = CommandLineOf(entry->d_name);
    // stockade's own command line carries the marker too; only the program's counts.
    if (cmdline.find(marker) != std::string::npos && cmdline.rfind("/probe/probe", 0) == 0) {
      found = true;
    }
  }
  closedir(proc);
  return found;
}

bool WaitFor(const std::string& marker, bool running) {
  for (int i = 0; i < 500; ++i) {
    if (Running(marker) == running) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    marker_ = dir_.path().filename().string();
  }

  std::string Policy(const std::string& extra = "") const {
    return dir_
        .Write("policy.yaml",
               "version: 1\nname: process-test\nfilesystem:\n  mounts:\n    - {source: " +
                   std::filesystem::path(ProbePath()).parent_path().string() +
                   ", target: /probe}\n    - {source: /usr}\n  symlinks:\n"
                   "    - {path: /bin, target: usr/bin}\n    - {path: /lib, target: usr/lib}\n"
                   "    - {path: /lib64, target: usr/lib64}\n" +
                   extra)
        .string();
  }

  // Starts `stockade run POLICY -- ARGS` with its standard streams on /dev/null.
  pid_t Start(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {StockadePath(), "run", Policy(), "--"};
    argv.insert(argv.end(), args.begin(), args.end());
    return StartQuietly(argv);
  }

  static int ExitCode(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  TempDir dir_;
  std::string marker_;
};

TEST_F(ProcessTest, SignalsAreForwardedToTheProgram) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    SCOPED_TRACE(strsignal(sig));
    const pid_t stockade = Start({"/probe/probe", "sleep", "30", marker_});
    ASSERT_TRUE(WaitFor(marker_, true)) << "the program never started";
    kill(stockade, sig);
    // The probe does not handle these: their default action ends it, and stockade passes the
    // status on as 128 + N.
    EXPECT_EQ(ExitCode(stockade), 128 + sig);
    EXPECT_TRUE(WaitFor(marker_, false)) << "the program outlived stockade";
  }
}

TEST_F(ProcessTest, ASecondStopRequestStopsTheSandbox) {
  // The program ignores SIGTERM (and its child inherits that): the first SIGTERM is forwarded
  // and changes nothing; the second stops the whole sandbox.
  const pid_t stockade =
      Start({"/bin/sh", "-c", "trap '' TERM; /probe/probe sleep 30 " + marker_ + "; exit 0"});
  ASSERT_TRUE(WaitFor(marker_, true)) << "the program never started";
  kill(stockade, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(Running(marker_)) << "the first SIGTERM is the program's to handle";
  kill(stockade, SIGTERM);
  EXPECT_EQ(ExitCode(stockade), 128 + SIGTERM);
  EXPECT_TRUE(WaitFor(marker_, false)) << "the sandbox outlived the second SIGTERM";
}

TEST_F(ProcessTest, OrphansDieWithTheProgram) {
  const pid_t stockade =
      Start({"/bin/sh", "-c", "/probe/probe sleep 30 " + marker_ + " & sleep 0.2; exit 3"});
  EXPECT_EQ(ExitCode(stockade), 3);
  // When the program ends, the namespace's init exits and the kernel kills what is left.
  EXPECT_TRUE(WaitFor(marker_, false)) << "an orphan of the program outlived the sandbox";
}

TEST_F(ProcessTest, TheCallersTerminalIsOutOfReach) {
  // stockade runs with a pseudo-terminal as its controlling terminal and stdin. The program
  // shares that stdin, but runs in a session of its own, so TIOCSTI (inject input into the
  // terminal) is refused; without the new session it would type into the caller's shell.
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  // The test's own handle on the terminal, in raw mode: injected input is then readable at once
  // (canonical mode would hold it until a newline) and is not echoed.
  const int input = open(slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(input, 0);
  struct termios mode {};
  ASSERT_EQ(tcgetattr(input, &mode), 0);
  cfmakeraw(&mode);
  ASSERT_EQ(tcsetattr(input, TCSANOW, &mode), 0);
  const std::string out = (dir_.path() / "out").string();
  auto run_on_the_terminal = [&](std::vector<std::string> argv) {
    const pid_t pid = fork();
    if (pid != 0) return pid;
    setsid();
    const int tty = open(slave.c_str(), O_RDWR);  // becomes the controlling terminal
    const int file = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(tty, 0);
    dup2(file, 1);
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  };
  // The control: the probe itself, unsandboxed, can type into its controlling terminal (the
  // kernel's legacy TIOCSTI is on here), so the refusal below is the sandbox's doing.
  std::ifstream knob("/proc/sys/dev/tty/legacy_tiocsti");
  int legacy = 1;
  knob >> legacy;
  if (legacy == 1) {
    EXPECT_EQ(ExitCode(run_on_the_terminal({ProbePath(), "tiocsti", "0"})), 0) << ReadFile(out);
    int injected = -1;
    ioctl(input, FIONREAD, &injected);
    EXPECT_EQ(injected, 1);
    char drain[8];
    EXPECT_EQ(read(input, drain, sizeof(drain)), 1);
  }
  const std::string policy = Policy();
  EXPECT_EQ(ExitCode(run_on_the_terminal(
                {StockadePath(), "run", policy, "--", "/probe/probe", "tiocsti", "0"})),
            1);
  EXPECT_NE(ReadFile(out).find("\"error\":\"EPERM\""), std::string::npos) << ReadFile(out);
  // Nothing was injected: the terminal has no input to read.
  int pending = -1;
  ioctl(input, FIONREAD, &pending);
  EXPECT_EQ(pending, 0);
  close(input);
  close(master);
}

}  // namespace
}  // namespace stockade::testing
