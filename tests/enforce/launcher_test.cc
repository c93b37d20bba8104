// SPDX-License-Identifier: BSD-2-Clause
// The launcher core against a fake platform: step order, error handling, descriptor hygiene,
// the run-time linker path for capability mode, and the environment.

#include "stockade/launch/launcher.h"

#include <errno.h>
#include <gtest/gtest.h>

#include "testing/fake_platform.h"

namespace stockade::launch {
namespace {

using testing::FakePlatform;

RightSet Rights(std::initializer_list<const char*> names) {
  RightSet set;
  for (const char* name : names) set.Add(FindRight(name)->value);
  return set;
}

Manifest Basic() {
  Manifest m;
  m.program = "/usr/bin/prog";
  m.argv = {"prog", "--flag"};
  m.workdir = "/work";
  m.user = "nobody";
  m.keep = {0, 1, 2};
  m.preopens = {{3, kRead | kDirectory, 0, "/srv/data"}, {4, kWrite | kCreate, 0600, "/srv/out"}};
  m.limits = {{1, Rights({"CAP_WRITE", "CAP_FSTAT"}), std::nullopt, std::nullopt},
              {3, Rights({"CAP_READ", "CAP_LOOKUP"}), std::vector<uint64_t>{}, 0x8}};
  m.capability_mode = true;
  return m;
}

char* kEnviron[] = {const_cast<char*>("PATH=/caller/bin"), const_cast<char*>("LANG=C.UTF-8"),
                    const_cast<char*>("SECRET=token"), nullptr};

struct Launched {
  FakePlatform platform;
  LaunchFailure failure{};
};

void Launch(const Manifest& manifest, FakePlatform& platform, LaunchFailure& failure) {
  Expected<PreparedLaunch> prepared = Prepare(manifest, platform, kEnviron);
  ASSERT_TRUE(prepared.has_value()) << prepared.error().message();
  failure = launch::Run(*prepared, platform);
}

TEST(LauncherTest, StepsRunInOrder) {
  FakePlatform platform;
  LaunchFailure failure;
  Launch(Basic(), platform, failure);
  ASSERT_TRUE(platform.executed);
  EXPECT_EQ(failure.step, Step::kExec);  // exec "returned": the core reports it as a failure
  const int open_data = platform.IndexOf("open /srv/data");
  const int open_out = platform.IndexOf("open /srv/out");
  const int program = platform.IndexOf("open-executable /usr/bin/prog");
  const int identity = platform.IndexOf("set-identity 65534:65534");
  const int chdir = platform.IndexOf("chdir /work");
  const int arrange = platform.IndexOf("dup ");
  const int close = platform.IndexOf("close-all-except");
  const int limit_first = platform.IndexOf("limit-rights 1");
  const int limit_last = platform.IndexOf("limit-fcntls 3");
  const int cap_enter = platform.IndexOf("cap-enter");
  const int exec = platform.IndexOf("exec ");
  for (int index : {open_data, open_out, program, identity, chdir, arrange, close, limit_first,
                    limit_last, cap_enter, exec}) {
    ASSERT_GE(index, 0);
  }
  EXPECT_LT(open_data, open_out);
  EXPECT_LT(open_out, program);
  EXPECT_LT(program, identity);
  EXPECT_LT(identity, chdir);
  EXPECT_LT(chdir, arrange);
  EXPECT_LT(arrange, close);
  EXPECT_LT(close, limit_first);
  EXPECT_LT(limit_last, cap_enter);  // every limit before cap_enter
  EXPECT_LT(cap_enter, exec);
  EXPECT_EQ(exec, static_cast<int>(platform.calls().size()) - 1) << "nothing after exec";
}

TEST(LauncherTest, DescriptorHygiene) {
  FakePlatform platform;
  LaunchFailure failure;
  Launch(Basic(), platform, failure);
  ASSERT_TRUE(platform.executed);
  const auto& table = platform.table();
  // Exactly stdio, the two preopens at their numbers, and the program being executed.
  ASSERT_EQ(table.size(), 6u);
  EXPECT_EQ(table.at(0).what, "stdin");
  EXPECT_EQ(table.at(3).what, "open /srv/data");
  EXPECT_FALSE(table.at(3).cloexec);
  EXPECT_EQ(table.at(4).what, "open /srv/out");
  EXPECT_FALSE(table.at(4).cloexec);
  EXPECT_EQ(table.count(5), 0u) << "the inherited descriptor 5 leaked";
  EXPECT_EQ(platform.exec_what, "executable /usr/bin/prog");
  int program_fd = -1;
  for (const auto& [fd, d] : table) {
    if (d.what == "executable /usr/bin/prog") program_fd = fd;
  }
  ASSERT_GT(program_fd, 4);
  EXPECT_TRUE(table.at(program_fd).cloexec) << "the program's descriptor would leak into it";
  EXPECT_EQ(table.at(3).rights, Rights({"CAP_READ", "CAP_LOOKUP"}));
  EXPECT_EQ(table.at(1).rights, Rights({"CAP_WRITE", "CAP_FSTAT"}));
  EXPECT_FALSE(table.at(4).rights.has_value());
}

TEST(LauncherTest, StdioNotKeptIsClosed) {
  Manifest m = Basic();
  m.keep = {1, 2};
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  ASSERT_TRUE(platform.executed);
  EXPECT_EQ(platform.table().count(0), 0u);
}

TEST(LauncherTest, EnvironmentIsClearedKeptAndSet) {
  Manifest m = Basic();
  m.env_keep = {"LANG", "NOT_SET_IN_CALLER"};
  m.env_set = {"PATH=/usr/bin", "HOME=/work"};
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  EXPECT_EQ(platform.exec_envp,
            (std::vector<std::string>{"LANG=C.UTF-8", "PATH=/usr/bin", "HOME=/work"}));
  EXPECT_EQ(platform.exec_argv, (std::vector<std::string>{"prog", "--flag"}));
}

TEST(LauncherTest, UncleanEnvironmentPassesThrough) {
  Manifest m = Basic();
  m.env_clean = false;
  m.env_set = {"PATH=/usr/bin"};
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  EXPECT_EQ(platform.exec_envp,
            (std::vector<std::string>{"PATH=/usr/bin", "LANG=C.UTF-8", "SECRET=token"}));
}

// A dynamic program in capability mode cannot be fexecve'd directly (its interpreter would be
// looked up by path: ECAPMODE). The core runs rtld in direct-execution mode instead.
TEST(LauncherTest, DynamicProgramRunsThroughTheInterpreter) {
  Manifest m = Basic();
  m.interpreter = "/libexec/ld-elf.so.1";
  m.library_dirs = {"/lib", "/usr/lib"};
  m.preload = "/usr/lib/libstockade-preopen.so";
  FakePlatform platform;
  platform.dynamic_program = true;
  LaunchFailure failure;
  Expected<PreparedLaunch> prepared = Prepare(m, platform, kEnviron);
  ASSERT_TRUE(prepared.has_value());
  ASSERT_EQ(prepared->aux_base(), 5);
  failure = launch::Run(*prepared, platform);
  ASSERT_TRUE(platform.executed);
  // Order: program, inspect, interpreter, library dirs, preload.
  const int program = platform.IndexOf("open-executable /usr/bin/prog");
  const int inspect = platform.IndexOf("inspect ");
  const int interp = platform.IndexOf("open-executable /libexec/ld-elf.so.1");
  const int lib = platform.IndexOf("open /lib");
  const int usrlib = platform.IndexOf("open /usr/lib");
  const int preload = platform.IndexOf("open /usr/lib/libstockade-preopen.so");
  EXPECT_LT(program, inspect);
  EXPECT_LT(inspect, interp);
  EXPECT_LT(interp, lib);
  EXPECT_LT(lib, usrlib);
  EXPECT_LT(usrlib, preload);
  EXPECT_LT(platform.IndexOf("limit-rights 5"), platform.IndexOf("cap-enter"));
  EXPECT_LT(platform.IndexOf("limit-rights 8"), platform.IndexOf("cap-enter"));
  EXPECT_EQ(platform.exec_what, "executable /libexec/ld-elf.so.1");
  EXPECT_EQ(platform.exec_argv,
            (std::vector<std::string>{"/libexec/ld-elf.so.1", "-f", "5", "--", "prog", "--flag"}));
  const auto& table = platform.table();
  EXPECT_EQ(table.at(5).what, "executable /usr/bin/prog");
  EXPECT_FALSE(table.at(5).cloexec) << "rtld -f needs the program's descriptor after exec";
  EXPECT_EQ(table.at(6).what, "open /lib");
  EXPECT_EQ(table.at(7).what, "open /usr/lib");
  EXPECT_EQ(table.at(8).what, "open /usr/lib/libstockade-preopen.so");
  EXPECT_TRUE(table.at(5).rights->Has(FindRight("CAP_FEXECVE")->value));
  EXPECT_TRUE(table.at(6).rights->Has(FindRight("CAP_LOOKUP")->value));
  EXPECT_FALSE(table.at(6).rights->Has(FindRight("CAP_WRITE")->value));
  bool fds = false, preload_fds = false;
  for (const std::string& e : platform.exec_envp) {
    fds = fds || e == "LD_LIBRARY_PATH_FDS=6:7";
    preload_fds = preload_fds || e == "LD_PRELOAD_FDS=8";
  }
  EXPECT_TRUE(fds);
  EXPECT_TRUE(preload_fds);
}

TEST(LauncherTest, StaticProgramInCapabilityModeRunsDirectly) {
  Manifest m = Basic();
  m.interpreter = "/libexec/ld-elf.so.1";
  m.library_dirs = {"/lib"};
  FakePlatform platform;
  platform.dynamic_program = false;
  LaunchFailure failure;
  Launch(m, platform, failure);
  EXPECT_EQ(platform.exec_what, "executable /usr/bin/prog");
  EXPECT_EQ(platform.IndexOf("open-executable /libexec/ld-elf.so.1"), -1);
}

TEST(LauncherTest, WithoutCapabilityModeNoInterpreterIsUsed) {
  Manifest m = Basic();
  m.capability_mode = false;
  m.interpreter = "/libexec/ld-elf.so.1";
  m.preload = "/lib/libpre.so";
  FakePlatform platform;
  platform.dynamic_program = true;
  LaunchFailure failure;
  Launch(m, platform, failure);
  EXPECT_EQ(platform.IndexOf("inspect "), -1);
  EXPECT_EQ(platform.IndexOf("cap-enter"), -1);
  EXPECT_EQ(platform.exec_what, "executable /usr/bin/prog");
  EXPECT_EQ(platform.exec_envp.back(), "LD_PRELOAD=/lib/libpre.so");
}

TEST(LauncherTest, ThePreloadLibraryIsToldThePreopenedDirectories) {
  Manifest m = Basic();
  m.capability_mode = false;
  m.preload = "/lib/libstockade-preopen.so";
  m.preopens.push_back({5, kRead | kDirectory, 0, "/srv/odd,name 100%"});
  m.env_set = {"STOCKADE_PREOPENS=9:/elsewhere"};  // the launcher's map wins
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  std::vector<std::string> preopen_env;
  for (const std::string& e : platform.exec_envp) {
    if (e.rfind("STOCKADE_PREOPEN", 0) == 0) preopen_env.push_back(e);
  }
  // Only directories, each path encoded (',', ' ' and '%' as %XX), and the working directory.
  EXPECT_EQ(preopen_env,
            (std::vector<std::string>{"STOCKADE_PREOPENS=3:/srv/data,5:/srv/odd%2Cname%20100%25",
                                      "STOCKADE_PREOPEN_CWD=/work"}));
  // Without a preload library nothing is said.
  m.preload.clear();
  FakePlatform plain;
  Launch(m, plain, failure);
  for (const std::string& e : plain.exec_envp) {
    EXPECT_NE(e.rfind("STOCKADE_PREOPEN_CWD", 0), 0u) << e;
  }
}

// Found by fuzz/manifest_fuzzer.cc: with 'env-set LD_PRELOAD=...' (or an unclean environment
// that has one) and a preload library, the environment held LD_PRELOAD twice, and libc and the
// run-time linker may each read another one. Each name is there once; the preopen library
// comes first and the program's own list after it.
TEST(LauncherTest, EnvironmentHoldsEachNameOnce) {
  Manifest m = Basic();
  m.capability_mode = false;
  m.preload = "/lib/libpre.so";
  m.env_set = {"LD_PRELOAD=/opt/libmine.so", "HOME=/work"};
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  EXPECT_EQ(platform.exec_envp,
            (std::vector<std::string>{"HOME=/work", "STOCKADE_PREOPENS=3:/srv/data",
                                      "STOCKADE_PREOPEN_CWD=/work",
                                      "LD_PRELOAD=/lib/libpre.so:/opt/libmine.so"}));

  // Through the interpreter, the launcher's descriptor lists replace any the rules gave.
  m.capability_mode = true;
  m.interpreter = "/libexec/ld-elf.so.1";
  m.library_dirs = {"/lib"};
  m.env_set = {"LD_LIBRARY_PATH_FDS=99", "LD_PRELOAD_FDS=98"};
  FakePlatform dynamic;
  dynamic.dynamic_program = true;
  Launch(m, dynamic, failure);
  EXPECT_EQ(dynamic.exec_envp,
            (std::vector<std::string>{"STOCKADE_PREOPENS=3:/srv/data", "STOCKADE_PREOPEN_CWD=/work",
                                      "LD_LIBRARY_PATH_FDS=6", "LD_PRELOAD_FDS=7"}));
}

// Any failed step stops the launch before exec and names the step.
TEST(LauncherTest, EveryFailingStepStopsBeforeExec) {
  struct Case {
    const char* call;
    Step step;
    int fd;
  };
  const Case cases[] = {
      {"open /srv/out", Step::kOpenPreopen, 4},
      {"open-executable /usr/bin/prog", Step::kOpenProgram, -1},
      {"set-identity", Step::kSetIdentity, -1},
      {"chdir", Step::kChangeDirectory, -1},
      {"dup ", Step::kArrangeDescriptors, 3},
      {"close-all-except", Step::kCloseDescriptors, -1},
      {"limit-rights 3", Step::kLimitRights, 3},
      {"limit-ioctls 3", Step::kLimitIoctls, 3},
      {"limit-fcntls 3", Step::kLimitFcntls, 3},
      {"cap-enter", Step::kEnterCapabilityMode, -1},
  };
  for (const Case& c : cases) {
    FakePlatform platform;
    platform.FailAt(c.call, EPERM);
    LaunchFailure failure;
    Launch(Basic(), platform, failure);
    EXPECT_FALSE(platform.executed) << c.call;
    EXPECT_EQ(platform.IndexOf("exec "), -1) << c.call;
    EXPECT_EQ(failure.step, c.step) << c.call;
    EXPECT_EQ(failure.fd, c.fd) << c.call;
    EXPECT_EQ(failure.error_number, EPERM) << c.call;
    if (c.step != Step::kEnterCapabilityMode) {
      EXPECT_FALSE(platform.in_capability_mode) << c.call;
    }
  }
}

TEST(LauncherTest, FailureDescriptionNamesStepAndPath) {
  FakePlatform platform;
  Expected<PreparedLaunch> prepared = Prepare(Basic(), platform, kEnviron);
  ASSERT_TRUE(prepared.has_value());
  EXPECT_EQ(prepared->Describe({Step::kLimitRights, 3, EPERM}),
            "limit-rights of fd 3 (/srv/data): Operation not permitted");
  EXPECT_EQ(prepared->Describe({Step::kOpenProgram, -1, ENOENT}),
            "open-program /usr/bin/prog: No such file or directory");
}

TEST(LauncherTest, ExitStatusFollowsEnv) {
  EXPECT_EQ(ExitStatusFor({Step::kOpenProgram, -1, ENOENT}), 127);
  EXPECT_EQ(ExitStatusFor({Step::kExec, -1, EACCES}), 126);
  EXPECT_EQ(ExitStatusFor({Step::kExec, -1, ENOEXEC}), 126);
  EXPECT_EQ(ExitStatusFor({Step::kOpenPreopen, 3, ENOENT}), 125);
  EXPECT_EQ(ExitStatusFor({Step::kLimitRights, 3, EPERM}), 125);
}

TEST(LauncherTest, UnknownUserFailsInPrepare) {
  Manifest m = Basic();
  m.user = "nosuchuser";
  FakePlatform platform;
  Expected<PreparedLaunch> prepared = Prepare(m, platform, kEnviron);
  ASSERT_FALSE(prepared.has_value());
  EXPECT_EQ(prepared.error().code(), ErrorCode::kNotFound);
}

TEST(LauncherTest, PreopenOnAnOpenedNumberIsMovedAside) {
  // The first preopen is opened on 3 (lowest free) but belongs at 4, while the second is
  // opened on 4 and belongs at 3: the core must not clobber one with the other.
  Manifest m = Basic();
  m.preopens = {{4, kRead, 0, "/a"}, {3, kRead, 0, "/b"}};
  m.limits.clear();
  FakePlatform platform;
  LaunchFailure failure;
  Launch(m, platform, failure);
  ASSERT_TRUE(platform.executed);
  EXPECT_EQ(platform.table().at(4).what, "open /a");
  EXPECT_EQ(platform.table().at(3).what, "open /b");
}

}  // namespace
}  // namespace stockade::launch

namespace stockade::launch {
namespace {

TEST(LauncherPathTest, BareNameIsLookedUpInTheFinalPath) {
  Manifest m = Basic();
  m.program = "prog";
  m.env_set = {"PATH=/opt/bin:relative:/usr/bin"};
  FakePlatform platform;
  platform.FailAt("open-executable /opt/bin/prog", ENOENT);
  LaunchFailure failure;
  Launch(m, platform, failure);
  ASSERT_TRUE(platform.executed);
  EXPECT_NE(platform.IndexOf("open-executable /opt/bin/prog"), -1);
  EXPECT_EQ(platform.IndexOf("open-executable relative/prog"), -1);
  EXPECT_EQ(platform.exec_what, "executable /usr/bin/prog");
  EXPECT_NE(platform.IndexOf("exec 6 /usr/bin/prog"), -1) << platform.calls().back();
}

TEST(LauncherPathTest, NotFoundAnywhereIs127AndNotExecutableIs126) {
  Manifest m = Basic();
  m.program = "prog";
  m.env_set = {"PATH=/a:/b"};
  FakePlatform missing;
  missing.FailAt("open-executable /a/prog", ENOENT);
  missing.FailAt("open-executable /b/prog", ENOENT);
  LaunchFailure failure;
  Launch(m, missing, failure);
  EXPECT_FALSE(missing.executed);
  EXPECT_EQ(ExitStatusFor(failure), 127);
  FakePlatform denied;
  denied.FailAt("open-executable /a/prog", EACCES);
  denied.FailAt("open-executable /b/prog", ENOENT);
  Launch(m, denied, failure);
  EXPECT_EQ(ExitStatusFor(failure), 126);
}

}  // namespace
}  // namespace stockade::launch
