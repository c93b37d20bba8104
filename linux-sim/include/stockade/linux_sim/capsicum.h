// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum emulation's kernel side (docs/capsicum-linux.md): which descriptor numbers carry
// which rights, the decision for every call from its registers, and the seccomp programs that
// enforce it.
//
// Rights belong to descriptor *numbers* here, because that is all a seccomp filter can see.
// Every number keeps the rights it is given for the life of the sandbox (filters only ever
// tighten), so the layout keeps limited descriptors where their rights are:
//   - the policy's limited descriptors stay on their numbers ("fixed" numbers);
//   - each distinct set of limits is a *class*, and owns a block of numbers at the top of the
//     descriptor table; descriptors derived from a limited one (dup, dup2, F_DUPFD, lookups
//     beneath a limited directory) are placed in its class's block by the supervisor, which is
//     the only one that ever creates them;
//   - a descriptor may only ever be put on a number whose limits are at least as tight as its
//     own (RightsClass::Covers), so no copy ever has a right its original lacks.
// Two programs enforce the layout: the rights program (the kernel alone decides: ENOTCAPABLE,
// ECAPMODE) and the notify prefix, spliced in front of the listener filter, which hands the calls
// the supervisor performs to it (seccomp user notification).

#ifndef STOCKADE_LINUX_SIM_CAPSICUM_H_
#define STOCKADE_LINUX_SIM_CAPSICUM_H_

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/base/rights.h"
#include "stockade/launch/manifest.h"

namespace stockade::linux_sim {

struct SeccompPlan;

// The limits of one descriptor: cap_rights_limit(2), cap_ioctls_limit(2), cap_fcntls_limit(2).
struct RightsClass {
  RightSet rights = RightSet::All(RightRelease::kMainOnly);
  std::optional<std::vector<uint64_t>> ioctls;  // nullopt: every command; sorted, unique
  uint32_t fcntls = kFcntlAll;                  // CAP_FCNTL_* mask
  // Its descriptors may be directories: lookups relative to them are performed by the
  // supervisor. A class of files (and of stdin, stdout, stderr) holds no directory; the
  // launcher verifies that before exec.
  bool directory = false;

  bool operator==(const RightsClass&) const = default;
  // True when a descriptor with these limits may be put on a number that enforces `number`:
  // `number` allows nothing these limits do not (rights, ioctls and fcntls are subsets).
  bool Covers(const RightsClass& number) const;
  // "CAP_READ,CAP_FSTAT ioctls[0x5413] fcntls[0x8]", for reports.
  std::string Describe() const;
};

struct CapsicumLayout {
  bool capability_mode = false;
  std::vector<RightsClass> classes;
  std::vector<std::pair<int, int>> fixed;  // (number, class), sorted by number
  int block_size = 0;                      // a power of two
  std::vector<int> block_base;             // per class, aligned to block_size
  // Capability mode: the run-time linker's library directories (absolute, as the sandbox
  // sees them), beneath which the supervisor performs read-only lookups by absolute path, and
  // the class of what it opens there (mechanism 5). Empty and -1 outside capability mode.
  std::vector<std::string> library_dirs;
  int library_class = -1;
  // The program's own limits (mechanism 7): the depth of this layout's runtime state (0: the
  // policy's), and for each fixed number and block the depth since which it is limited
  // (parallel to `fixed` and `block_base`; empty: all 0). A process may really be in any
  // ancestor of the state it names, so a descriptor derived from a limited one may only go
  // where the limits have held at least as long as the original's (PlacementClass).
  int depth = 0;
  std::vector<int> fixed_since;
  std::vector<int> block_since;
  // SCM_RIGHTS would carry a limited descriptor to a new, unlimited number. So while anything
  // is limited, every AF_UNIX socket of the sandbox refuses descriptors (SO_PASSRIGHTS off,
  // Linux 6.16): the launcher turns it off on the sockets it passes, the supervisor makes the
  // program's new sockets with it off, and the filters refuse turning it on. Set by the
  // planner when the kernel has the option and the supervisor can make sockets in the
  // sandbox's network namespace; otherwise the hole is reported (docs/capsicum-linux.md).
  bool seal_unix_sockets = false;

  bool limited() const { return !classes.empty(); }
  bool enabled() const { return limited() || capability_mode; }
  bool SealsUnixSockets() const { return seal_unix_sockets && enabled(); }
  // The class whose limits number `fd` carries, or -1 for an unlimited number.
  int ClassOf(int64_t fd) const;
  bool IsFixed(int64_t fd) const;
  // The numbers of `cls`'s block, in order.
  std::vector<int> BlockOf(int cls) const;
  // The depth since which number `fd` is limited; INT_MAX for an unlimited number.
  int SinceOf(int64_t fd) const;
  // The class whose block a descriptor derived from `fd` goes to (a copy, or what a lookup
  // beneath it opens): fd's own class when its block has been limited since fd has been,
  // else a class within fd's limits whose block has; -1 when there is none (or fd is
  // unlimited: then no block is needed).
  int PlacementClass(int64_t fd) const;
};

// What the emulation decides for a call, from its registers alone.
enum class CapsicumVerdict : uint8_t {
  kAllow,       // the kernel runs it
  kNotCapable,  // fails with ENOTCAPABLE: a descriptor lacks a right
  kCapMode,     // fails with ECAPMODE: capability mode forbids it
  kNoSys,       // fails with ENOSYS: a mechanism that cannot be mediated (io_uring, Linux AIO)
  kSupervise,   // the supervisor performs it (seccomp user notification)
};
CapsicumVerdict DecideCapsicum(const CapsicumLayout& layout, int nr, const uint64_t args[6]);

// Names the right a call lacks, for reports and tests: "CAP_READ on fd 3". Empty when the call
// is not refused for a missing right.
std::string MissingRight(const CapsicumLayout& layout, int nr, const uint64_t args[6]);

// Lays out the manifest's limited descriptors. `nofile` is the program's RLIMIT_NOFILE soft
// limit at exec: the blocks end there (or at 4096, whichever is lower). In capability mode,
// `library_dirs` are the run-time linker's directories (mechanism 5), which get a class of
// their own. Fails (kInvalidArgument) when the limit leaves no room for the blocks above the
// fixed numbers.
Expected<CapsicumLayout> LayoutCapsicum(const launch::Manifest& manifest, uint64_t nofile,
                                        const std::vector<std::string>& library_dirs = {});

// The rights of what the run-time linker opens beneath its library directories (FreeBSD rtld's
// LD_LIBRARY_PATH_FDS descriptors): CAP_READ, CAP_SEEK, CAP_FSTAT, CAP_MMAP_RX, CAP_FEXECVE,
// CAP_LOOKUP, CAP_FSTATAT, CAP_FCNTL.
RightsClass LibraryClass();

struct CapsicumPlan {
  CapsicumLayout layout;
  std::vector<sock_filter> rights_program;  // installed first; RET_ERRNO or RET_ALLOW
  // The notify program on its own (RET_USER_NOTIF or RET_ALLOW), as the tests evaluate it;
  // AttachCapsicum splices it in front of the listener filter.
  std::vector<sock_filter> notify_program;
  // Capability mode: the directory the launcher chroots into right before exec (the program's
  // own root, holding only the library directories, read-only), so that a lookup the kernel
  // makes unsupervised (execveat's path, a sendmsg address, #!, PT_INTERP) finds nothing else;
  // empty: none. The supervisor keeps the real root for its lookups.
  std::string capmode_root;
  // For the program's own limits (mechanism 7): the run-time linker's library directories, and
  // where the blocks of new classes may end (min(RLIMIT_NOFILE, 4096)).
  std::vector<std::string> library_dirs;
  int descriptor_top = 0;
};

// Compiles the layout's programs (native x86_64 only).
Expected<CapsicumPlan> CompileCapsicum(const CapsicumLayout& layout);

// The programs of a runtime filter (mechanism 7): the rights program of `layout` (empty when it
// limits nothing), and its notify program with SECCOMP_RET_TRAP (STOCKADE_CAPSICUM_TRAP_DATA)
// in place of SECCOMP_RET_USER_NOTIF, without the reserved call, and without exec outside
// capability mode.
Expected<std::vector<sock_filter>> CompileCapsicumRights(const CapsicumLayout& layout);
Expected<std::vector<sock_filter>> CompileCapsicumTraps(const CapsicumLayout& layout);

// Adds the programs to a sandbox's seccomp plan: the rights program is installed first; the
// notify program goes in front of the listener filter (which it becomes when there was none:
// then execve is supervised so that the launcher waits for the supervisor, as with any
// listener). It always routes libstockade-capsicum's reserved call, also for a layout that
// limits nothing. Fails when the listener filter would exceed BPF's instruction limit.
Status AttachCapsicum(const CapsicumPlan& capsicum, SeccompPlan& seccomp);

}  // namespace stockade::linux_sim

#endif  // STOCKADE_LINUX_SIM_CAPSICUM_H_
