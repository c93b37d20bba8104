// SPDX-License-Identifier: BSD-2-Clause
// `stockade run` on systems without a run backend: refuse, never pretend.

#include <iostream>

#include "run_command.h"

namespace stockade::cli {

int RunCommand(const RunArgs&) {
  std::cerr << "stockade: error[unsupported]: 'run' needs the linux-sim backend, which this build "
               "does not have; on FreeBSD use 'stockade compile --target freebsd'\n";
  return 125;
}

int GcCommand(bool) {
  std::cerr << "stockade: error: gc needs the linux-sim backend, which this build lacks\n";
  return 2;
}

void CheckLinuxFilter(const policy::Policy&, const policy::SourceSet&, policy::Diagnostics&) {}

std::optional<enforce::Assessment> AssessLinux(const policy::Policy&) { return std::nullopt; }

}  // namespace stockade::cli
