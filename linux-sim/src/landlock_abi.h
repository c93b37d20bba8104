// SPDX-License-Identifier: BSD-2-Clause
// Internal: the Landlock ABI as of ABI 7 (Linux 6.15+), for hosts whose UAPI headers are older
// than the running kernel (Debian 12 ships the 6.1 headers, ABI 2). Values and layouts are the
// kernel's include/uapi/linux/landlock.h; the ABI is stable and only grows, and the running
// kernel's ABI is always probed first (LANDLOCK_CREATE_RULESET_VERSION).

#ifndef STOCKADE_LINUX_SIM_SRC_LANDLOCK_ABI_H_
#define STOCKADE_LINUX_SIM_SRC_LANDLOCK_ABI_H_

#include <cstddef>
#include <cstdint>

namespace stockade::linux_sim::landlock {

// struct landlock_ruleset_attr: handled_access_net from ABI 4, scoped from ABI 6.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
// The size to pass for a kernel of `abi`: older kernels refuse a larger struct with
// unknown non-zero fields, and a zero tail is accepted by all of them.
inline size_t RulesetAttrSize(int abi) {
  return abi >= 6   ? sizeof(RulesetAttr)
         : abi >= 4 ? offsetof(RulesetAttr, scoped)
                    : offsetof(RulesetAttr, handled_access_net);
}

// struct landlock_path_beneath_attr is packed.
struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

struct NetPortAttr {
  uint64_t allowed_access;
  uint64_t port;
};

inline constexpr int kRulePathBeneath = 1;
inline constexpr int kRuleNetPort = 2;
inline constexpr uint32_t kCreateRulesetVersion = 1u << 0;

// Filesystem access rights and the ABI that introduced each.
inline constexpr uint64_t kFsExecute = 1ull << 0;
inline constexpr uint64_t kFsWriteFile = 1ull << 1;
inline constexpr uint64_t kFsReadFile = 1ull << 2;
inline constexpr uint64_t kFsReadDir = 1ull << 3;
inline constexpr uint64_t kFsRemoveDir = 1ull << 4;
inline constexpr uint64_t kFsRemoveFile = 1ull << 5;
inline constexpr uint64_t kFsMakeChar = 1ull << 6;
inline constexpr uint64_t kFsMakeDir = 1ull << 7;
inline constexpr uint64_t kFsMakeReg = 1ull << 8;
inline constexpr uint64_t kFsMakeSock = 1ull << 9;
inline constexpr uint64_t kFsMakeFifo = 1ull << 10;
inline constexpr uint64_t kFsMakeBlock = 1ull << 11;
inline constexpr uint64_t kFsMakeSym = 1ull << 12;
inline constexpr uint64_t kFsRefer = 1ull << 13;     // ABI 2
inline constexpr uint64_t kFsTruncate = 1ull << 14;  // ABI 3
inline constexpr uint64_t kFsIoctlDev = 1ull << 15;  // ABI 5

// Network rights (ABI 4) and scopes (ABI 6).
inline constexpr uint64_t kNetBindTcp = 1ull << 0;
inline constexpr uint64_t kNetConnectTcp = 1ull << 1;
inline constexpr uint64_t kScopeAbstractUnixSocket = 1ull << 0;
inline constexpr uint64_t kScopeSignal = 1ull << 1;

// The rights that apply to files other than directories: a rule on such a file may carry only
// these (landlock_add_rule(2) refuses the others with EINVAL).
inline constexpr uint64_t kFsFileRights =
    kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev;

// Every filesystem right a kernel of `abi` handles.
inline uint64_t FsRightsOf(int abi) {
  uint64_t rights = (1ull << 13) - 1;
  if (abi >= 2) rights |= kFsRefer;
  if (abi >= 3) rights |= kFsTruncate;
  if (abi >= 5) rights |= kFsIoctlDev;
  return abi >= 1 ? rights : 0;
}

}  // namespace stockade::linux_sim::landlock

#endif  // STOCKADE_LINUX_SIM_SRC_LANDLOCK_ABI_H_
