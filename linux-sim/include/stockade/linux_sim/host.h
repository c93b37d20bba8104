// SPDX-License-Identifier: BSD-2-Clause
// Facts about the Linux host that decide what linux-sim can enforce here, detected at run
// time (never #ifdef'd): Landlock ABI, cgroup controllers and where they live, namespaces,
// privileges.

#ifndef STOCKADE_LINUX_SIM_HOST_H_
#define STOCKADE_LINUX_SIM_HOST_H_

#include <string>
#include <vector>

#include "stockade/base/expected.h"

namespace stockade::linux_sim {

// Where one cgroup controller can be used: a v1 hierarchy of its own or the v2 unified one.
struct CgroupController {
  std::string name;        // "memory", "pids", "cpu", "blkio"
  bool available = false;  // mounted and writable by us
  bool v2 = false;
  std::string mount;     // "/sys/fs/cgroup/memory" or "/sys/fs/cgroup/unified"
  std::string own_path;  // this process's cgroup in that hierarchy ("/process_api/e265...")
};

struct HostFacts {
  std::string kernel_release;  // uname -r
  bool root = false;           // euid 0
  bool cap_sys_admin = false;  // in the initial user namespace
  bool cap_net_admin = false;
  bool user_namespaces = false;  // unprivileged user namespaces can be created
  int landlock_abi = 0;          // 0: Landlock unavailable
  bool seccomp_filter = false;
  bool seccomp_user_notif = false;
  // SO_PASSRIGHTS (Linux 6.16): a Unix socket can refuse SCM_RIGHTS, which closes the way a
  // limited descriptor would lose its limits (docs/capsicum-linux.md).
  bool so_passrights = false;
  std::vector<CgroupController> cgroups;  // memory, pids, cpu, blkio, in that order
  std::string nft;                        // path of nft(8), empty when not installed
  // net.ipv4.ip_unprivileged_port_start of the host's network namespace: the lowest port a
  // process without CAP_NET_BIND_SERVICE may bind (1024 unless changed).
  int unprivileged_port_start = 1024;
  bool nftables = false;  // nf_tables answers (probed as root only: it needs CAP_NET_ADMIN)

  const CgroupController* Controller(const std::string& name) const;
  // One line each, for 'explain' and reports: "Landlock ABI 7", "memory controller: cgroup v1
  // at /sys/fs/cgroup/memory", "not root: user namespace mode".
  std::vector<std::string> Describe() const;
};

// Probes the running kernel and process. Never fails outright: what cannot be read is
// reported as unavailable.
HostFacts ProbeHost();

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_HOST_H_
