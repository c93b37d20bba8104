// SPDX-License-Identifier: BSD-2-Clause
// libstockade-preopen: the portable core (format, normalization, matching) as unit tests, and
// the library itself under real programs (cat, ls, python3) whose paths are served through
// preopened descriptors: /srv/data is a temporary directory on descriptor 3, so a plain open
// of /srv/data/... would fail, and everything outside the preopens is refused.

#include "preopen.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/test_util.h"

extern char** environ;

namespace stockade {
namespace {

namespace fs = std::filesystem;

std::string Normalize(const char* base, const char* path, int* error = nullptr) {
  char out[PATH_MAX];
  const int result = PreopenNormalize(base, path, out, sizeof(out));
  if (error) *error = result;
  return result == 0 ? out : "";
}

TEST(PreopenCoreTest, NormalizesLexically) {
  EXPECT_EQ(Normalize(nullptr, "/srv//data/./x/"), "/srv/data/x");
  EXPECT_EQ(Normalize(nullptr, "/srv/data/sub/../x"), "/srv/data/x");
  EXPECT_EQ(Normalize(nullptr, "/srv/data/../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(Normalize(nullptr, "/.."), "/");
  EXPECT_EQ(Normalize(nullptr, "/"), "/");
  EXPECT_EQ(Normalize("/srv/data", "x/../y"), "/srv/data/y");
  EXPECT_EQ(Normalize("/srv/data", "../.."), "/");
  EXPECT_EQ(Normalize("/srv/data", "."), "/srv/data");
  EXPECT_EQ(Normalize("/ignored", "/abs"), "/abs");
  int error = 0;
  Normalize("/srv", "", &error);
  EXPECT_EQ(error, ENOENT);
  Normalize(nullptr, "relative", &error);
  EXPECT_EQ(error, EINVAL);
  Normalize("relative-base", "x", &error);
  EXPECT_EQ(error, EINVAL);
  char small[6];
  EXPECT_EQ(PreopenNormalize(nullptr, "/abcdef", small, sizeof(small)), ENAMETOOLONG);
  EXPECT_EQ(PreopenNormalize(nullptr, "/abcd", small, sizeof(small)), 0);
  EXPECT_STREQ(small, "/abcd");
}

TEST(PreopenCoreTest, ParsesTheVariable) {
  PreopenTable table;
  ASSERT_EQ(PreopenParse(&table, "3:/srv/data,4:/tmp/,12:/a%2Cb%20c/./d"), 0);
  ASSERT_EQ(table.count, 3u);
  EXPECT_EQ(table.entries[0].fd, 3);
  EXPECT_STREQ(table.entries[0].path, "/srv/data");
  EXPECT_STREQ(table.entries[1].path, "/tmp");
  EXPECT_EQ(table.entries[2].fd, 12);
  EXPECT_STREQ(table.entries[2].path, "/a,b c/d");
  EXPECT_EQ(PreopenParse(&table, ""), 0);
  EXPECT_EQ(table.count, 0u);
}

TEST(PreopenCoreTest, RefusesMalformedVariables) {
  PreopenTable table;
  for (const char* bad : {"3", "3:", ":/x", "x:/srv", "3:relative", "3:/a,", "3:/a,,4:/b", "3:/a b",
                          "3:/a%2", "3:/a%zz", "3:/a%00", "-1:/a", "99999999999:/a"}) {
    EXPECT_NE(PreopenParse(&table, bad), 0) << bad;
  }
  std::string many;
  for (int i = 0; i <= PREOPEN_MAX_ENTRIES; ++i) many += (i ? "," : "") + std::to_string(i) + ":/d";
  EXPECT_EQ(PreopenParse(&table, many.c_str()), ENOSPC);
}

TEST(PreopenCoreTest, MatchesTheLongestPrefixOnComponentBoundaries) {
  PreopenTable table;
  ASSERT_EQ(PreopenParse(&table, "3:/srv,4:/srv/data,5:/srv/data"), 0);
  const char* rest = nullptr;
  const PreopenEntry* entry = PreopenMatch(&table, "/srv/data/x/y", &rest);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->fd, 4);  // the first of two equal prefixes
  EXPECT_STREQ(rest, "x/y");
  entry = PreopenMatch(&table, "/srv/data", &rest);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->fd, 4);
  EXPECT_STREQ(rest, "");
  entry = PreopenMatch(&table, "/srv/database", &rest);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->fd, 3);
  EXPECT_STREQ(rest, "database");
  EXPECT_EQ(PreopenMatch(&table, "/srvx", &rest), nullptr);
  EXPECT_EQ(PreopenMatch(&table, "/etc/passwd", &rest), nullptr);
  ASSERT_EQ(PreopenParse(&table, "7:/"), 0);
  entry = PreopenMatch(&table, "/etc/passwd", &rest);
  ASSERT_NE(entry, nullptr);
  EXPECT_STREQ(rest, "etc/passwd");
}

// ---- Real programs under the library. ----

struct Result {
  int status = -1;  // exit status, or -1 when killed
  std::string out;
  std::string err;
};

class PreopenProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // openat2(2) (Linux 5.6) holds lookups beneath a preopen; without it the library fails
    // closed with ENOSYS and there is nothing to test.
    if (syscall(SYS_openat2, -1, "", nullptr, 0) < 0 && errno == ENOSYS) {
      GTEST_SKIP() << "skipped: this kernel has no openat2(2) (Linux 5.6)";
    }
    // The mapped location must not exist on this machine, so that only the descriptor can
    // serve it.
    ASSERT_FALSE(fs::exists("/srv/data/hello.txt"));
    data_ = dir_.path() / "data";
    dir_.Write("data/hello.txt", "hello through a descriptor\n");
    dir_.Write("data/sub/inner.txt", "inner\n");
    dir_.Write("outside.txt", "outside the preopen\n");
    fs::create_symlink("hello.txt", data_ / "link-inside");
    fs::create_symlink("../outside.txt", data_ / "link-up");
    fs::create_symlink("/etc/passwd", data_ / "link-absolute");
  }

  // Runs `argv` through preopen_exec with /srv/data on descriptor 3 and /usr on descriptor 4
  // (what python3 needs to start), the library preloaded and STOCKADE_PREOPENS set.
  Result Run(const std::vector<std::string>& argv, std::vector<std::string> env = {},
             bool configure = true) {
    std::vector<std::string> args = {STOCKADE_PREOPEN_EXEC};
    env.push_back(std::string("LD_PRELOAD=") + STOCKADE_PREOPEN_LIBRARY);
    if (configure) env.push_back("STOCKADE_PREOPENS=3:/srv/data,4:/usr");
    for (const std::string& e : env) {
      args.push_back("-e");
      args.push_back(e);
    }
    args.push_back("3:" + data_.string());
    args.push_back("4:/usr");
    args.push_back("--");
    args.insert(args.end(), argv.begin(), argv.end());
    std::vector<char*> cargs;
    for (std::string& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    // The helper itself runs with a small fixed environment and no LD_PRELOAD.
    std::string path_env = "PATH=/usr/bin:/bin", lang = "LC_ALL=C";
    char* helper_env[] = {path_env.data(), lang.data(), nullptr};

    const fs::path out = dir_.path() / "stdout", err = dir_.path() / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), helper_env);
    posix_spawn_file_actions_destroy(&actions);
    Result result;
    EXPECT_EQ(spawned, 0) << std::strerror(spawned);
    if (spawned != 0) return result;
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = testing::ReadFile(out);
    result.err = testing::ReadFile(err);
    return result;
  }

  testing::TempDir dir_;
  fs::path data_;
};

TEST_F(PreopenProgramTest, CatReadsThroughTheDescriptor) {
  const Result r = Run({"/bin/cat", "/srv/data/hello.txt"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello through a descriptor\n");
}

TEST_F(PreopenProgramTest, PathsOutsideEveryPreopenFailWithEperm) {
  ASSERT_TRUE(fs::exists("/etc/passwd"));  // a plain cat would succeed
  const Result r = Run({"/bin/cat", "/etc/passwd"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("/etc/passwd: Operation not permitted"), std::string::npos) << r.err;
  // The temporary directory's real path is outside the preopens too.
  const Result real = Run({"/bin/cat", (data_ / "hello.txt").string()});
  EXPECT_NE(real.err.find("Operation not permitted"), std::string::npos) << real.err;
}

TEST_F(PreopenProgramTest, DotDotCannotClimbAboveThePreopen) {
  Result r = Run({"/bin/cat", "/srv/data/../../etc/passwd"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  r = Run({"/bin/cat", "/srv/data/../outside.txt"});  // the temp dir's sibling file
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  r = Run({"/bin/cat", "/srv/data/sub/../sub/./inner.txt"});  // '..' staying inside is fine
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "inner\n");
}

TEST_F(PreopenProgramTest, SymlinksLeavingThePreopenAreRefused) {
  // openat2 RESOLVE_BENEATH answers EXDEV ("Invalid cross-device link"); FreeBSD's capability
  // mode answers ENOTCAPABLE.
  Result r = Run({"/bin/cat", "/srv/data/link-up"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  r = Run({"/bin/cat", "/srv/data/link-absolute"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  r = Run({"/bin/cat", "/srv/data/link-inside"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello through a descriptor\n");
}

TEST_F(PreopenProgramTest, LsListsThePreopenedDirectory) {
  const Result r = Run({"/bin/ls", "/srv/data"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello.txt\nlink-absolute\nlink-inside\nlink-up\nsub\n");
}

TEST_F(PreopenProgramTest, PythonReadsWritesAndWalksThroughTheDescriptor) {
  const std::string script = R"(
import os
print(open('/srv/data/hello.txt').read(), end='')
print(sorted(os.listdir('/srv/data')))
print(os.getcwd())
print(open('hello.txt').read(), end='')
os.mkdir('made')
os.chdir('made')
print(os.getcwd())
with open('note.txt', 'w') as f:
    f.write('written\n')
os.rename('note.txt', '../moved.txt')
os.chdir('..')
print(os.stat('moved.txt').st_size, os.path.isdir('/srv/data/made'), os.readlink('link-up'))
print(os.access('hello.txt', os.R_OK), os.access('nope', os.F_OK), os.path.lexists('link-up'))
try:
    open('/etc/passwd')
except PermissionError as e:
    print('refused', e.errno)
os.remove('/srv/data/moved.txt')
os.rmdir('/srv/data/made')
)";
  const Result r =
      Run({"/usr/bin/python3", "-S", "-c", script}, {"STOCKADE_PREOPEN_CWD=/srv/data"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "hello through a descriptor\n"
            "['hello.txt', 'link-absolute', 'link-inside', 'link-up', 'sub']\n"
            "/srv/data\n"
            "hello through a descriptor\n"
            "/srv/data/made\n"
            "8 True ../outside.txt\n"
            "True False True\n"
            "refused 1\n");
  // The writes happened in the real directory, and were cleaned up through it too.
  EXPECT_FALSE(fs::exists(data_ / "moved.txt"));
  EXPECT_FALSE(fs::exists(data_ / "made"));
}

TEST_F(PreopenProgramTest, AReplacedPreopenDescriptorIsRefused) {
  // The program closes descriptor 3 and gets the number back for something else: the library
  // refuses (EBADF) instead of looking names up in the wrong directory.
  const Result r = Run({"/usr/bin/python3", "-S", "-c",
                        "import os\nos.close(3)\nassert os.dup(0) == 3\n"
                        "try:\n    open('/srv/data/hello.txt')\n"
                        "except OSError as e:\n    print(e.errno)\n"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(EBADF) + "\n");
}

TEST_F(PreopenProgramTest, WithoutTheVariableEveryCallPassesThrough) {
  const Result r = Run({"/bin/cat", (data_ / "hello.txt").string()}, {}, /*configure=*/false);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello through a descriptor\n");
}

TEST_F(PreopenProgramTest, AMalformedVariableMapsNothing) {
  const Result r = Run({"/bin/cat", "/srv/data/hello.txt"}, {"STOCKADE_PREOPENS=3:relative"},
                       /*configure=*/false);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("stockade-preopen: STOCKADE_PREOPENS is malformed"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(PreopenProgramTest, UnderTheCapsicumEmulationPathsGoWholeToTheSystem) {
  // STOCKADE_PREOPEN_LOOKUPS=capsicum (linux-sim's capability mode, whose supervisor holds the
  // lookups beneath): a mapped path is passed whole to the *at() call, and a path under no
  // preopen goes to the system unchanged (here, without the emulation, it simply works; the
  // real refusals are in tests/linux_sim/capsicum_sandbox_test.cc).
  const std::vector<std::string> env = {"STOCKADE_PREOPEN_LOOKUPS=capsicum"};
  Result r = Run({"/bin/cat", "/srv/data/hello.txt", "/srv/data/sub/inner.txt"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello through a descriptor\ninner\n");
  r = Run({"/bin/cat", (dir_.path() / "outside.txt").string()}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "outside the preopen\n");
  r = Run({"/bin/ls", "/srv/data/sub"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "inner.txt\n");
}

}  // namespace
}  // namespace stockade
