// SPDX-License-Identifier: BSD-2-Clause
// 'stockade compile' and 'stockade explain --target freebsd*': the built binary's exit codes
// (docs/cli.md) and what it writes.

#include <gtest/gtest.h>

#include <filesystem>

#include "freebsd_test_util.h"
#include "testing/test_util.h"

namespace stockade::testing {
namespace {

// The binary CMake built (tests/freebsd/CMakeLists.txt passes its path).
std::string Binary() { return STOCKADE_CLI_PATH; }

std::string Example(const std::string& name) {
  return (SourceDir() / "examples" / (name + ".yaml")).string();
}

int Stockade(const std::string& args, std::string* output = nullptr) {
  return RunShell(Binary() + " " + args + " 2>&1", output);
}

// The example without its accept_approximate block.
std::string WithoutAcceptances(const TempDir& dir, const std::string& name) {
  std::string text = ReadFile(Example(name));
  text = text.substr(0, text.find("\n# What FreeBSD can only approximate"));
  return dir.Write(name + ".yaml", text + "\n").string();
}

TEST(CompileCommandTest, WritesTheArtifacts) {
  TempDir dir;
  std::string output;
  ASSERT_EQ(Stockade("compile --target freebsd14 " + Example("nginx") + " -o " +
                         (dir.path() / "out").string(),
                     &output),
            0)
      << output;
  EXPECT_NE(output.find("for jail 'web-nginx' on freebsd14"), std::string::npos) << output;
  for (const char* file : {"jail.conf", "jail-c.sh", "launch.manifest", "start.sh", "stop.sh",
                           "README", "rctl.conf", "portacl.rules", "pf.anchor", "devfs.rules"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "out" / file)) << file;
  }
  EXPECT_NE(ReadFile(dir.path() / "out" / "jail.conf").find("on freebsd14"), std::string::npos);
}

TEST(CompileCommandTest, ExitCodes) {
  TempDir dir;
  const std::string out = " -o " + (dir.path() / "out").string();
  EXPECT_EQ(Stockade("compile " + Example("postgresql") + out), 0);
  EXPECT_EQ(Stockade("compile --target freebsd15 " + Example("static-service") + out), 0);
  // 1: the policy has errors.
  const std::string bad = dir.Write("bad.yaml", "version: 1\nname: x\nsycalls: {}\n").string();
  EXPECT_EQ(Stockade("compile " + bad + out), 1);
  // 2: usage, or a path that cannot be read as a policy, or an output that cannot be written.
  EXPECT_EQ(Stockade("compile " + (dir.path() / "missing.yaml").string() + out), 2);
  EXPECT_EQ(Stockade("compile " + Example("nginx")), 2);  // no -o
  EXPECT_EQ(Stockade("compile --target freebsd13 " + Example("nginx") + out), 2);
  EXPECT_EQ(Stockade("compile " + Example("nginx") + " -o " + Example("nginx") + "/x"), 2);
  // 3: refused on the target: approximations not accepted, or any under --strict.
  std::string output;
  EXPECT_EQ(Stockade("compile " + WithoutAcceptances(dir, "nginx") + out, &output), 3);
  EXPECT_NE(output.find("error[not-enforced]: 'syscalls' is not enforced by freebsd15"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("error[approximated]: 'mac.portacl'"), std::string::npos) << output;
  EXPECT_EQ(Stockade("compile --strict " + Example("nginx") + out, &output), 3);
  EXPECT_NE(output.find("no approximations at all under --strict"), std::string::npos) << output;
  // 3 as well when jail(8) cannot build the view.
  const std::string scratch = dir.Write("scratch.yaml",
                                        "version: 1\nname: s\nexec: {command: [/bin/true]}\n"
                                        "filesystem:\n  scratch: [{target: /tmp, size: 1m}]\n"
                                        "  mounts: [{source: /srv, target: /tmp/srv}]\n")
                                  .string();
  EXPECT_EQ(Stockade("compile " + scratch + out, &output), 3);
  EXPECT_NE(output.find("cannot compile 's' for freebsd15"), std::string::npos) << output;
}

TEST(ExplainCommandTest, ShowsFreeBsdFidelity) {
  std::string output;
  ASSERT_EQ(Stockade("explain --target freebsd14 " + Example("nginx"), &output), 0) << output;
  EXPECT_NE(output.find("freebsd14 [securelevel]: exact \u2014 jail parameter securelevel = 3"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("freebsd14 [mac.portacl]: approximated \u2014 "), std::string::npos);
  EXPECT_NE(output.find("    accepted: the host runs nothing else as uid 80"), std::string::npos);
  ASSERT_EQ(Stockade("explain --target freebsd " + Example("nginx"), &output), 0);
  EXPECT_NE(output.find("freebsd15 [syscalls]: not enforced"), std::string::npos);
  EXPECT_EQ(Stockade("explain --target freebsd --strict " + Example("nginx"), &output), 3);
  EXPECT_NE(output.find("refused under --strict"), std::string::npos);
  TempDir dir;
  EXPECT_EQ(Stockade("explain --target freebsd15 " + WithoutAcceptances(dir, "nginx"), &output), 3);
  EXPECT_NE(output.find("    refused: not accepted for freebsd"), std::string::npos);
  // The default target is Linux, whose fidelity lines name linux-sim, never a FreeBSD release
  // (tests/linux_sim/cli_test.cc covers them).
  Stockade("explain " + Example("nginx"), &output);
  EXPECT_NE(output.find("on linux\n"), std::string::npos) << output;
  EXPECT_EQ(output.find("freebsd15 ["), std::string::npos) << output;
  ASSERT_EQ(Stockade("explain --target freebsd --format json " + Example("postgresql"), &output),
            0);
  EXPECT_NE(output.find("\"fidelity\": \"not enforced\""), std::string::npos) << output;
  EXPECT_NE(output.find("\"enforceable\": true"), std::string::npos);
}

}  // namespace
}  // namespace stockade::testing
