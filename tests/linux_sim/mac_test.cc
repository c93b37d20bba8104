// SPDX-License-Identifier: BSD-2-Clause
// Real enforcement of the MAC rules: mac_bsdextended rules become Landlock path-beneath rules and
// mac_portacl rules Landlock network rules. Each test shows the denied access failing with EACCES
// and the allowed one working, in a real sandbox.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testing/sandbox_util.h"

namespace stockade::testing {
namespace {

constexpr const char* kAcceptMac =
    "accept_approximate:\n"
    "  - {clause: mac.bsdextended, backend: linux, justification: \"test: a and s are not "
    "refused\"}\n"
    "  - {clause: mac.portacl, backend: linux, justification: \"test: UDP is open above the "
    "floor\"}\n";

std::string Describe(const ProbeRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out + "\nstderr: " + run.err;
}

class LandlockMacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    STOCKADE_REQUIRE_SANDBOX();
    // A host directory the program's uid may read and write by its permissions, so that only
    // Landlock can refuse.
    data_ = dir_.path() / "data";
    std::filesystem::create_directories(data_);
    dir_.Write("data/file", "contents");
    chmod(dir_.path().c_str(), 0755);
    chmod(data_.c_str(), 0777);
    chmod((data_ / "file").c_str(), 0666);
  }

  // The probe at /probe, `data_` writable at /data, scratch spaces /a and /b, and `extra`.
  std::string Filesystem() const {
    return "filesystem:\n  mounts:\n    - {source: " +
           std::filesystem::path(ProbePath()).parent_path().string() +
           ", target: /probe}\n    - {source: " + data_.string() +
           ", target: /data, readonly: false}\n  scratch:\n    - {target: /a, size: 1M}\n"
           "    - {target: /b, size: 1M}\n";
  }

  ProbeRun Run(const std::string& policy, std::vector<std::string> command) {
    RunSpec spec;
    spec.policy = policy;
    spec.command = std::move(command);
    return RunSandboxed(dir_, spec);
  }

  TempDir dir_;
  std::filesystem::path data_;
};

TEST_F(LandlockMacTest, DeniedWritesFailWithEaccesAndReadsStillWork) {
  const std::string policy = Filesystem() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /data mode rsx\"\n" +
                             kAcceptMac;
  ProbeRun read = Run(policy, {"probe", "read-file", "/data/file"});
  EXPECT_EQ(read.exit_code, 0) << Describe(read);
  EXPECT_EQ(read.probe["value"], "contents");
  ProbeRun list = Run(policy, {"probe", "list-dir", "/data"});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
  ProbeRun write = Run(policy, {"probe", "write-file", "/data/file"});
  EXPECT_EQ(write.probe["error"], "EACCES") << Describe(write);
  ProbeRun create = Run(policy, {"probe", "write-file", "/data/new"});
  EXPECT_EQ(create.probe["error"], "EACCES") << Describe(create);
  ProbeRun remove = Run(policy, {"probe", "unlink", "/data/file"});
  EXPECT_EQ(remove.probe["error"], "EACCES") << Describe(remove);
  ProbeRun truncate = Run(policy, {"probe", "truncate", "/data/file"});
  EXPECT_EQ(truncate.probe["error"], "EACCES") << Describe(truncate);
  EXPECT_EQ(ReadFile(data_ / "file"), "contents");
  // Other file systems keep every right.
  ProbeRun scratch = Run(policy, {"probe", "write-file", "/a/x"});
  EXPECT_EQ(scratch.exit_code, 0) << Describe(scratch);
}

TEST_F(LandlockMacTest, FirstMatchingRuleDecidesAndOtherSubjectsAreLeftOut) {
  const std::string policy = Filesystem() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /a mode arswx\"\n"
                             "    - \"subject uid 1000 object filesys /b mode n\"\n"
                             "    - \"subject not uid 0 object mode rsx\"\n" +
                             kAcceptMac;
  // Rule 1 matches /a first and allows everything; rule 3 makes the rest read-only; rule 2 is
  // for another uid and changes nothing.
  EXPECT_EQ(Run(policy, {"probe", "write-file", "/a/x"}).exit_code, 0);
  ProbeRun b = Run(policy, {"probe", "write-file", "/b/x"});
  EXPECT_EQ(b.probe["error"], "EACCES") << Describe(b);
  ProbeRun data = Run(policy, {"probe", "mkdir", "/data/d"});
  EXPECT_EQ(data.probe["error"], "EACCES") << Describe(data);
  ProbeRun list = Run(policy, {"probe", "list-dir", "/b"});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
}

TEST_F(LandlockMacTest, ExecutionIsRefusedWhereXIsDenied) {
  std::filesystem::create_directories(dir_.path() / "tools");
  std::filesystem::copy_file(ProbePath(), dir_.path() / "tools" / "probe");
  chmod((dir_.path() / "tools").c_str(), 0755);
  chmod((dir_.path() / "tools" / "probe").c_str(), 0755);
  const std::string policy =
      Filesystem().replace(
          Filesystem().find("  scratch:"), 0,
          "    - {source: " + (dir_.path() / "tools").string() + ", target: /tools}\n") +
      "mac:\n  bsdextended:\n"
      "    - \"subject uid 65534 object filesys /tools type r mode rs\"\n" +
      kAcceptMac;
  ProbeRun exec = Run(policy, {"probe", "exec", "/tools/probe", "ok"});
  EXPECT_EQ(exec.probe["error"], "EACCES") << Describe(exec);
  ProbeRun read = Run(policy, {"probe", "read-file", "/tools/probe"});
  EXPECT_EQ(read.exit_code, 0) << Describe(read);
  ProbeRun elsewhere = Run(policy, {"probe", "exec", "/probe/probe", "ok"});
  EXPECT_EQ(elsewhere.exit_code, 0) << Describe(elsewhere);
}

TEST_F(LandlockMacTest, EntriesOfTheDirectoriesAboveARestrictedFileSystemKeepTheirRights) {
  // A directory root the program may write to, with a read-only scratch space at /srv/data:
  // Landlock rights add up downwards, so the rules go on the entries of / and /srv.
  const std::filesystem::path root = dir_.path() / "root";
  std::filesystem::create_directories(root / "srv");
  std::filesystem::create_directories(root / "usr");
  for (const char* d : {"", "srv", "usr"}) chmod((root / d).c_str(), 0777);
  const std::string policy =
      "filesystem:\n  root: {type: directory, path: " + root.string() +
      "}\n  mounts:\n    - {source: " + std::filesystem::path(ProbePath()).parent_path().string() +
      ", target: /probe}\n  scratch:\n    - {target: /srv/data, size: 1M}\n"
      "mac:\n  bsdextended:\n"
      "    - \"subject uid 65534 object filesys /srv/data mode rsx\"\n" +
      kAcceptMac;
  ProbeRun data = Run(policy, {"probe", "write-file", "/srv/data/x"});
  EXPECT_EQ(data.probe["error"], "EACCES") << Describe(data);
  ProbeRun usr = Run(policy, {"probe", "write-file", "/usr/x"});
  EXPECT_EQ(usr.exit_code, 0) << Describe(usr);
  EXPECT_TRUE(std::filesystem::exists(root / "usr" / "x"));
  // Directly in / and /srv, only what they share with /srv/data: the approximation the
  // fidelity table reports.
  ProbeRun top = Run(policy, {"probe", "write-file", "/x"});
  EXPECT_EQ(top.probe["error"], "EACCES") << Describe(top);
  ProbeRun list = Run(policy, {"probe", "list-dir", "/srv"});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
}

TEST_F(LandlockMacTest, ApproximatedRulesAreRefusedUnlessAccepted) {
  const std::string policy = Filesystem() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /data mode rsx\"\n";
  ProbeRun refused = Run(policy, {"probe", "ok"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("error[approximated]: 'mac.bsdextended' is only approximated by "
                             "linux-sim: /data (filesystem.mounts): Landlock withholds"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("changes of mode, owner, flags, times and ACLs (a)"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(refused.out.empty());
  // A rule that only names what Landlock can refuse, or that applies to someone else, is exact.
  ProbeRun other = Run(Filesystem() +
                           "mac:\n  bsdextended:\n"
                           "    - \"subject uid 1000 object filesys /data mode n\"\n",
                       {"probe", "write-file", "/data/file"});
  EXPECT_EQ(other.exit_code, 0) << Describe(other);
}

TEST_F(LandlockMacTest, WhatLandlockCannotRefuseStaysPossibleAsTheFidelityTableSays) {
  // Only 'a' is denied, which Landlock cannot refuse: the rule is not enforced, is refused
  // unless accepted, and chmod still works.
  const std::string policy = Filesystem() +
                             "mac:\n  bsdextended:\n"
                             "    - \"subject uid 65534 object filesys /a mode rswx\"\n";
  ProbeRun refused = Run(policy, {"probe", "ok"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("error[not-enforced]: 'mac.bsdextended' is not enforced by "
                             "linux-sim: /a (filesystem.scratch): Landlock withholds nothing"),
            std::string::npos)
      << refused.err;
  // Accepting it as an approximation is not enough: nothing of it is enforced.
  ProbeRun approximation = Run(policy + kAcceptMac, {"probe", "ok"});
  EXPECT_EQ(approximation.exit_code, 125) << Describe(approximation);
  const std::string unenforced =
      "accept_approximate:\n  - {clause: mac.bsdextended, backend: linux, fidelity: "
      "not-enforced, justification: \"test: a is not refused\"}\n";
  ProbeRun chmod = Run(policy + unenforced, {"probe", "chmod", "/a", "0700"});
  EXPECT_EQ(chmod.exit_code, 0) << Describe(chmod);
  ProbeRun write = Run(policy + unenforced, {"probe", "write-file", "/a/x"});
  EXPECT_EQ(write.exit_code, 0) << Describe(write);
}

TEST_F(LandlockMacTest, PortAclGrantsTheLowTcpPortAndNoOther) {
  const std::string policy =
      Filesystem() + "mac:\n  portacl:\n    - uid:65534:tcp:80\n" + kAcceptMac;
  ProbeRun granted = Run(policy, {"probe", "tcp-bind", "80"});
  EXPECT_EQ(granted.exit_code, 0) << Describe(granted);
  ProbeRun other = Run(policy, {"probe", "tcp-bind", "81"});
  EXPECT_EQ(other.probe["error"], "EACCES") << Describe(other);
  ProbeRun below = Run(policy, {"probe", "tcp-bind", "79"});
  EXPECT_EQ(below.probe["error"], "EACCES") << Describe(below);
  // mac_portacl never checks ports above 1023, nor port 0.
  EXPECT_EQ(Run(policy, {"probe", "tcp-bind", "8080"}).exit_code, 0);
  EXPECT_EQ(Run(policy, {"probe", "tcp-bind", "0"}).exit_code, 0);
}

TEST_F(LandlockMacTest, PortAclForAnotherUidGrantsNothing) {
  const std::string policy = Filesystem() + "mac:\n  portacl:\n    - uid:1000:tcp:80\n";
  ProbeRun run = Run(policy, {"probe", "tcp-bind", "80"});
  EXPECT_EQ(run.probe["error"], "EACCES") << Describe(run);
  EXPECT_EQ(Run(policy, {"probe", "tcp-bind", "8080"}).exit_code, 0);
}

TEST_F(LandlockMacTest, PortAclUdpIsApproximatedAndRefusedUnlessAccepted) {
  const std::string policy = Filesystem() + "mac:\n  portacl:\n    - gid:65534:udp:53\n";
  ProbeRun refused = Run(policy, {"probe", "udp-bind", "53"});
  EXPECT_EQ(refused.exit_code, 125) << Describe(refused);
  EXPECT_NE(refused.err.find("Landlock has no UDP rules"), std::string::npos) << refused.err;
  ProbeRun accepted = Run(policy + kAcceptMac, {"probe", "udp-bind", "53"});
  EXPECT_EQ(accepted.exit_code, 0) << Describe(accepted);
  // TCP stays closed below 1024: no rule grants a TCP port.
  ProbeRun tcp = Run(policy + kAcceptMac, {"probe", "tcp-bind", "53"});
  EXPECT_EQ(tcp.probe["error"], "EACCES") << Describe(tcp);
}

}  // namespace
}  // namespace stockade::testing
