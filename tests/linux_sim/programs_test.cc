// SPDX-License-Identifier: BSD-2-Clause
// Realistic programs under the example policies, unmodified: Python with files, sqlite,
// threads, multiprocessing, subprocess and loopback sockets; shell pipelines; tar and gzip.
// Each test also shows that the policy still bites while they work.

#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

class ProgramsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    if (geteuid() != 0) GTEST_SKIP() << "skipped: the example's cgroup limits need root";
  }

  // `stockade run examples/NAME.yaml -- ARGS...`
  ProgramResult RunExample(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {StockadePath(), "run",
                                     (SourceDir() / "examples" / (name + ".yaml")).string(), "--"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, SourceDir());
  }
};

std::string Describe(const ProgramResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

constexpr const char* kPythonWork = R"py(
import multiprocessing, os, socket, sqlite3, subprocess, threading

def square(x):
    return x * x

if __name__ == "__main__":
    db = sqlite3.connect("/work/data.db")
    db.execute("create table t (a integer)")
    db.executemany("insert into t values (?)", [(i,) for i in range(100)])
    db.commit()
    print("sqlite", db.execute("select sum(a) from t").fetchone()[0])

    results = []
    lock = threading.Lock()
    def work(i):
        with lock:
            results.append(i * i)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    print("threads", sum(results))

    with multiprocessing.Pool(4) as pool:
        print("pool", sum(pool.map(square, range(10))))

    print("subprocess", subprocess.run(["/bin/sh", "-c", "echo $((6 * 7))"],
                                       capture_output=True, text=True, check=True).stdout.strip())

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    client.sendall(b"ping")
    print("socket", peer.recv(4).decode())

    try:
        socket.create_connection(("192.0.2.1", 80), timeout=2)
        print("network reachable")
    except OSError as e:
        print("network", e.errno)
    print("uid", os.getuid())
)py";

TEST_F(ProgramsTest, PythonRunnerRunsRealPython) {
  ProgramResult r = RunExample("python-runner", {"python3", "-c", kPythonWork});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out,
            "sqlite 4950\nthreads 140\npool 285\nsubprocess 42\nsocket ping\n"
            "network 101\nuid 65534\n")
      << "network 101 is ENETUNREACH: the sandbox has only loopback\n"
      << Describe(r);
}

TEST_F(ProgramsTest, PythonRunnerKillsTheUntrustedSnippetAtMount) {
  const std::string snippet = ReadFile(SourceDir() / "examples" / "snippets" / "untrusted.py");
  ProgramResult r = RunExample("python-runner", {"python3", "-c", snippet});
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << Describe(r);
  EXPECT_NE(r.out.find("wrote sum of squares: 385 as uid 65534"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("never reached"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("the syscall policy killed the program: mount("), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("examples/python-runner.yaml:26:12)"), std::string::npos) << r.err;
}

TEST_F(ProgramsTest, ShellPipelinesTarAndGzip) {
  const std::string script =
      "set -e; cd /tmp; seq 1 1000 | sort -rn | head -n 2 | tr '\\n' ' '; echo; "
      "mkdir -p tree/sub && echo hello > tree/sub/file && tar czf tree.tgz tree && rm -r tree; "
      "tar xzf tree.tgz && cat tree/sub/file; "
      "gzip -9 -c tree/sub/file | gunzip | wc -c; "
      "ls /proc | grep -c '^[0-9]'";
  ProgramResult r = RunExample("python-runner", {"/bin/sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  // Four processes are visible: stockade's init, sh, and the two of the last pipeline.
  EXPECT_EQ(r.out, "1000 999 \nhello\n6\n4\n") << Describe(r);
}

TEST_F(ProgramsTest, TheHostStaysOutOfSight) {
  ProgramResult r = RunExample(
      "python-runner",
      {"/bin/sh", "-c",
       "ls /; cat /etc/passwd 2>/dev/null || echo no-passwd; touch /usr/x 2>/dev/null || echo ro"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "bin\ndev\netc\nlib\nlib64\nproc\ntmp\nusr\nwork\nno-passwd\nro\n")
      << Describe(r);
}

}  // namespace
}  // namespace stockade::testing
