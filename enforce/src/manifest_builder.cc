// SPDX-License-Identifier: BSD-2-Clause
// Policy IR -> launcher manifest.

#include "stockade/enforce/manifest_builder.h"

namespace stockade::enforce {

uint32_t LaunchOpenFlags(uint32_t flags) {
  struct Pair {
    uint32_t from;
    uint32_t to;
  };
  static constexpr Pair kMap[] = {
      {policy::kOpenRead, launch::kRead},           {policy::kOpenWrite, launch::kWrite},
      {policy::kOpenAppend, launch::kAppend},       {policy::kOpenCreate, launch::kCreate},
      {policy::kOpenTruncate, launch::kTruncate},   {policy::kOpenExclusive, launch::kExclusive},
      {policy::kOpenDirectory, launch::kDirectory}, {policy::kOpenNoFollow, launch::kNoFollow},
      {policy::kOpenSync, launch::kSync},           {policy::kOpenNonBlock, launch::kNonBlock},
      {policy::kOpenExec, launch::kExecOnly},
  };
  uint32_t out = 0;
  for (const Pair& pair : kMap) {
    if (flags & pair.from) out |= pair.to;
  }
  if (!(out & (launch::kRead | launch::kWrite))) out |= launch::kRead;
  return out;
}

Expected<launch::Manifest> BuildManifest(const policy::Policy& policy, policy::Target target,
                                         const ManifestOptions& options) {
  launch::Manifest m;
  const std::vector<std::string>& command =
      options.command.empty() ? policy.exec.command : options.command;
  if (command.empty() || command[0].empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "no program to run: set exec.command in the policy (or, for 'stockade run', give "
                 "one after '--')");
  }
  m.program = command[0];
  m.argv = command;
  m.workdir = policy.exec.workdir;
  m.user = policy.exec.user;
  m.group = policy.exec.group;
  m.env_clean = policy.exec.env_clean;
  m.env_keep = policy.exec.env_keep;
  for (const policy::EnvVar& var : policy.exec.env_set)
    m.env_set.push_back(var.name + "=" + var.value);
  m.capability_mode = policy.capability_mode;
  m.interpreter = options.interpreter;
  m.library_dirs = options.library_dirs;
  m.preload = options.preload;
  m.keep = {0, 1, 2};
  for (const policy::Descriptor& d : policy.descriptors) {
    if (!d.path.empty()) {
      m.preopens.push_back({d.fd, LaunchOpenFlags(d.open_flags), d.create_mode, d.path});
    }
    if (!d.rights && !d.ioctls && !d.fcntls) continue;
    launch::DescriptorLimits limits;
    limits.fd = d.fd;
    limits.rights = d.rights;
    if (d.ioctls) {
      std::vector<uint64_t> commands;
      for (const policy::IoctlCommand& ioctl : *d.ioctls) {
        if (ioctl.value[target]) commands.push_back(*ioctl.value[target]);
      }
      limits.ioctls = std::move(commands);
    }
    limits.fcntls = d.fcntls;
    m.limits.push_back(std::move(limits));
  }
  return m;
}

}  // namespace stockade::enforce
