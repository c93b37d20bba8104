// SPDX-License-Identifier: BSD-2-Clause
// `stockade run`: declared here, defined per platform (run_linux.cc; run_unsupported.cc
// elsewhere), chosen by CMake.

#ifndef STOCKADE_CLI_RUN_COMMAND_H_
#define STOCKADE_CLI_RUN_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "stockade/enforce/fidelity.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

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
// program's own status, 125 for any failure after the command line was read and before exec,
// 126/127, 128+N).
int RunCommand(const RunArgs& args);

// `stockade gc`: removes what runs that were killed left on the host (linux-sim's run records:
// cgroup directories and veth host ends). Prints one line per object; exit code 0, or 1 when
// something could not be removed, 2 in builds without linux-sim.
int GcCommand(bool dry_run);

// linux-sim's fidelity assessment of `policy` on this host, for 'explain --target linux';
// nullopt in builds without linux-sim.
std::optional<enforce::Assessment> AssessLinux(const policy::Policy& policy);

// Compiles the policy's Linux seccomp filter (where linux-sim is built) and reports, as a
// diagnostic at the 'syscalls' clause, a filter the kernel would refuse (more than 4,096 BPF
// instructions in one program) or a rule libseccomp rejects. Nothing in builds without
// linux-sim, which cannot build the filter.
void CheckLinuxFilter(const policy::Policy& policy, const policy::SourceSet& sources,
                      policy::Diagnostics& diags);

}  // namespace stockade::cli

#endif  // STOCKADE_CLI_RUN_COMMAND_H_
