// SPDX-License-Identifier: BSD-2-Clause
// Builds the launcher manifest for a checked policy: the part of the policy the launcher core
// enforces (program, identity, environment, descriptors and their rights, capability mode).

#ifndef STOCKADE_ENFORCE_MANIFEST_BUILDER_H_
#define STOCKADE_ENFORCE_MANIFEST_BUILDER_H_

#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/launch/manifest.h"
#include "stockade/policy/ir.h"

namespace stockade::enforce {

struct ManifestOptions {
  // The program and its arguments; empty: the policy's exec.command.
  std::vector<std::string> command;
  // The run-time linker for dynamic programs in capability mode, the directories it loads
  // libraries from and the preopen-mapping library (FreeBSD: /libexec/ld-elf.so.1,
  // /lib:/usr/lib:/usr/local/lib). Empty on backends that do not need them.
  std::string interpreter;
  std::vector<std::string> library_dirs;
  std::string preload;
};

// Fails (kInvalidArgument) when there is no program to run (no command given and no
// exec.command in the policy). Constants such as ioctl numbers take `target`'s values; an
// ioctl the target does not define is left out (the check warned about it).
Expected<launch::Manifest> BuildManifest(const policy::Policy& policy, policy::Target target,
                                         const ManifestOptions& options);

// The portable open flags of a descriptor, as the launcher spells them.
uint32_t LaunchOpenFlags(uint32_t policy_open_flags);

}  // namespace stockade::enforce

#endif  // STOCKADE_ENFORCE_MANIFEST_BUILDER_H_
