// SPDX-License-Identifier: BSD-2-Clause
// Probing the host: what this kernel and this process can do.

#include "stockade/linux_sim/host.h"

#include <linux/capability.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <tuple>

#include "capsicum_table.h"
#include "netlink.h"

namespace stockade::linux_sim {
namespace {

bool HasCapability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

// The hierarchies this process belongs to: controller list -> path (/proc/self/cgroup).
std::vector<std::pair<std::string, std::string>> OwnCgroups() {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const size_t first = line.find(':');
    const size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    out.emplace_back(line.substr(first + 1, second - first - 1), line.substr(second + 1));
  }
  return out;
}

// Mount points of cgroup file systems: (fstype, mount point, super options) from mountinfo.
std::vector<std::tuple<std::string, std::string, std::string>> CgroupMounts() {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    std::string field;
    while (fields >> field && field != "-") {
    }
    std::string fstype, source, options;
    fields >> fstype >> source >> options;
    if (fstype == "cgroup" || fstype == "cgroup2") out.emplace_back(fstype, mount_point, options);
  }
  return out;
}

bool ListContains(const std::string& comma_list, const std::string& item) {
  std::istringstream in(comma_list);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (part == item) return true;
  }
  return false;
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// nf_tables answers a generation request (NFT_MSG_GETGEN), which reads nothing and changes
// nothing, when the kernel has it. Only root mode can use it, and only root may ask.
bool ProbeNfTables() {
  auto socket = netlink::Socket::Open(NETLINK_NETFILTER);
  if (!socket) return false;
  netlink::Batch request;
  struct nfgenmsg header {};
  header.nfgen_family = AF_UNSPEC;
  header.version = NFNETLINK_V0;
  request.Begin(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN), 0, header);
  std::vector<std::vector<uint8_t>> replies;
  return socket->Transact(request, "nf_tables", &replies).has_value() && !replies.empty();
}

}  // namespace

const CgroupController* HostFacts::Controller(const std::string& name) const {
  for (const CgroupController& controller : cgroups) {
    if (controller.name == name) return &controller;
  }
  return nullptr;
}

std::vector<std::string> HostFacts::Describe() const {
  std::vector<std::string> lines;
  lines.push_back("kernel " + kernel_release);
  lines.push_back(root ? "running as root" : "not root: user-namespace mode");
  lines.push_back(landlock_abi > 0 ? "Landlock ABI " + std::to_string(landlock_abi)
                                   : "Landlock unavailable");
  lines.push_back(std::string("seccomp filters ") + (seccomp_filter ? "available" : "unavailable") +
                  (seccomp_user_notif ? ", user notification available" : ""));
  lines.push_back(so_passrights ? "SO_PASSRIGHTS available (Unix sockets can refuse descriptors)"
                                : "SO_PASSRIGHTS unavailable (Linux 6.16)");
  for (const CgroupController& c : cgroups) {
    lines.push_back(
        c.name + " controller: " +
        (c.available ? std::string(c.v2 ? "cgroup v2" : "cgroup v1") + " at " + c.mount + c.own_path
                     : "unavailable"));
  }
  lines.push_back(user_namespaces ? "user namespaces available" : "user namespaces unavailable");
  lines.push_back(nft.empty() ? "nft(8) not installed" : "nft(8) at " + nft);
  lines.push_back("ports below " + std::to_string(unprivileged_port_start) +
                  " need CAP_NET_BIND_SERVICE in the host's network namespace");
  lines.push_back(nftables                ? "nf_tables available (network: vnet egress rules)"
                  : root && cap_net_admin ? "nf_tables unavailable"
                                          : "nf_tables not probed (needs CAP_NET_ADMIN)");
  return lines;
}

HostFacts ProbeHost() {
  HostFacts facts;
  struct utsname name {};
  if (uname(&name) == 0) facts.kernel_release = name.release;
  facts.root = geteuid() == 0;
  facts.cap_sys_admin = HasCapability(CAP_SYS_ADMIN);
  facts.cap_net_admin = HasCapability(CAP_NET_ADMIN);

  const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0,
                           1u << 0 /* LANDLOCK_CREATE_RULESET_VERSION */);
  facts.landlock_abi = abi > 0 ? static_cast<int>(abi) : 0;

  // seccomp(SECCOMP_GET_ACTION_AVAIL) answers without installing anything.
  uint32_t action = SECCOMP_RET_KILL_PROCESS;
  facts.seccomp_filter = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
                         syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
  action = SECCOMP_RET_USER_NOTIF;
  facts.seccomp_user_notif = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;

  // SO_PASSRIGHTS: turned off and read back on a socket pair of our own.
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
    int off = 0, value = 1;
    socklen_t size = sizeof(value);
    facts.so_passrights =
        setsockopt(pair[0], SOL_SOCKET, detail::kSoPassRights, &off, sizeof(off)) == 0 &&
        getsockopt(pair[0], SOL_SOCKET, detail::kSoPassRights, &value, &size) == 0 && value == 0;
    close(pair[0]);
    close(pair[1]);
  }

  // Unprivileged user namespaces: Debian's knob, then the generic limit.
  const std::string clone_knob = ReadFirstLine("/proc/sys/kernel/unprivileged_userns_clone");
  const std::string max_userns = ReadFirstLine("/proc/sys/user/max_user_namespaces");
  facts.user_namespaces = clone_knob != "0" && !max_userns.empty() && max_userns != "0";

  const auto own = OwnCgroups();
  const auto mounts = CgroupMounts();
  for (const char* controller : {"memory", "pids", "cpu", "blkio"}) {
    CgroupController c;
    c.name = controller;
    // A v1 hierarchy of its own wins; v2 serves when its root lists the controller.
    for (const auto& [fstype, mount_point, options] : mounts) {
      if (fstype == "cgroup" && ListContains(options, controller)) {
        c.mount = mount_point;
        for (const auto& [controllers, path] : own) {
          if (ListContains(controllers, controller)) c.own_path = path;
        }
        break;
      }
    }
    if (c.mount.empty()) {
      for (const auto& [fstype, mount_point, options] : mounts) {
        if (fstype != "cgroup2") continue;
        const std::string available = ReadFirstLine(mount_point + "/cgroup.controllers");
        std::istringstream words(available);
        std::string word;
        bool listed = false;
        while (words >> word) listed = listed || word == controller;
        if (!listed) continue;
        c.mount = mount_point;
        c.v2 = true;
        for (const auto& [controllers, path] : own) {
          if (controllers.empty()) c.own_path = path;
        }
        break;
      }
    }
    c.available = !c.mount.empty() && access((c.mount + c.own_path).c_str(), W_OK) == 0;
    if (c.own_path == "/") c.own_path.clear();
    facts.cgroups.push_back(std::move(c));
  }

  const std::string floor = ReadFirstLine("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  if (!floor.empty() && floor.find_first_not_of("0123456789") == std::string::npos &&
      floor.size() <= 5) {
    facts.unprivileged_port_start = std::stoi(floor);
  }

  for (const char* candidate : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"}) {
    if (access(candidate, X_OK) == 0) {
      facts.nft = candidate;
      break;
    }
  }
  facts.nftables = facts.root && facts.cap_net_admin && ProbeNfTables();
  return facts;
}

}  // namespace stockade::linux_sim
