// SPDX-License-Identifier: BSD-2-Clause
// `stockade run`: declared here, defined per platform (run_linux.cc; run_unsupported.cc
// elsewhere), chosen by CMake.

#ifndef STOCKADE_CLI_RUN_COMMAND_H_
#define STOCKADE_CLI_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace stockade::cli {

struct RunArgs {
  std::string policy;
  std::vector<std::string> command;  // after '--'
  bool strict = false;
  bool trace_setup = false;
  std::string report = "text";  // text | json
  std::string color = "auto";
};

// Runs the command under the policy; returns the process exit code (docs/cli.md: the
// program's own status, 125 for any failure before exec, 126/127, 128+N).
int RunCommand(const RunArgs& args);

}  // namespace stockade::cli

#endif  // STOCKADE_CLI_RUN_COMMAND_H_
