// SPDX-License-Identifier: BSD-2-Clause
// Running the real `stockade run` with a policy and the probe, for enforcement tests.

#ifndef STOCKADE_TESTS_TESTING_SANDBOX_UTIL_H_
#define STOCKADE_TESTS_TESTING_SANDBOX_UTIL_H_

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace stockade::testing {

struct ProbeRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json probe;  // the probe's JSON line, or null
};

struct RunSpec {
  // The policy after the 'version' and 'name' lines. Unless it has its own 'filesystem:',
  // the sandbox gets an empty root with the probe's directory at /probe, read-only.
  std::string policy;
  std::vector<std::string> command;        // after '--'; "probe ..." runs /probe/probe
  std::vector<std::string> stockade_args;  // before the policy ("--strict", "--report=json")
  std::optional<std::string> stdin_path;   // a file (or tty) for the program's stdin
  int stdin_fd = -1;                       // or a descriptor of the test's (a socket, say)
  // Runs stockade itself unprivileged, as uid and gid 65534 with no supplementary groups
  // (setpriv(1)), when the test runs as root; a test run by another user is unprivileged
  // already and runs stockade as itself. The policy's directory must be readable by 65534.
  bool unprivileged = false;
  double timeout_seconds = 60;
};

// The probe binary and the stockade binary of this build.
std::string ProbePath();
std::string StockadePath();

// Writes the policy into `dir` and runs stockade. Never throws on a failed run; the caller
// asserts on exit code, stderr and the probe's line.
ProbeRun RunSandboxed(const TempDir& dir, const RunSpec& spec);

// Whether this host can run sandboxes at all (root, or unprivileged user namespaces); when
// not, tests skip saying why, and fail instead when STOCKADE_REQUIRE_SANDBOX_TESTS=1.
std::optional<std::string> SandboxUnavailableReason();

}  // namespace stockade::testing

// Skips (or, under STOCKADE_REQUIRE_SANDBOX_TESTS=1, fails) a sandbox test on a host that
// cannot run one.
#define STOCKADE_REQUIRE_SANDBOX()                                               \
  do {                                                                           \
    if (auto reason = ::stockade::testing::SandboxUnavailableReason()) {         \
      if (const char* required = std::getenv("STOCKADE_REQUIRE_SANDBOX_TESTS");  \
          required && std::string(required) == "1") {                            \
        FAIL() << "sandbox tests are required here but cannot run: " << *reason; \
      }                                                                          \
      GTEST_SKIP() << "skipped: " << *reason;                                    \
    }                                                                            \
  } while (0)

#endif  // STOCKADE_TESTS_TESTING_SANDBOX_UTIL_H_
