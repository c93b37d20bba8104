// SPDX-License-Identifier: BSD-2-Clause
// Internal: the program's own Capsicum limits (docs/capsicum-linux.md, mechanism 7).
//
// A program that calls cap_rights_limit(2), cap_ioctls_limit(2), cap_fcntls_limit(2) or
// cap_enter(2) through libstockade-capsicum moves to a new *runtime state*: the layout of the
// policy with its changes (`full`, what the supervisor decides with), enforced by filters the
// supervisor compiles and the library installs (seccomp(2) with TSYNC; filters only tighten,
// so they cannot be undone):
//   one program: the claim check; the rights program of the change alone (the older filters
//   keep enforcing the rest); then the full layout's notify program with SECCOMP_RET_TRAP:
//   every call the supervisor must perform traps, and the library's SIGSYS handler forwards
//   it through the reserved call, naming the state it believes it is in (its *claim*).
// States form a tree; each owns an interval of ids, and its children's intervals nest inside
// it. The claim check of a state's filter refuses (EPERM) any reserved call whose claim lies
// outside its interval, so a call reaches the supervisor only with a claim that is the
// caller's real state or a descendant of it (stricter: states only add limits). The
// supervisor can therefore decide with the claimed state without trusting the program.

#ifndef STOCKADE_LINUX_SIM_SRC_CAPSICUM_RUNTIME_H_
#define STOCKADE_LINUX_SIM_SRC_CAPSICUM_RUNTIME_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "stockade/base/expected.h"
#include "stockade/linux_sim/capsicum.h"

namespace stockade::linux_sim::detail {

struct RuntimeState {
  uint64_t id = 0;             // the first id of its interval
  uint64_t last = UINT64_MAX;  // the last id of its interval
  uint64_t next = 1;           // the first id no child has
  CapsicumLayout full;         // what the supervisor decides with
};

struct RuntimeChange {
  const RuntimeState* state = nullptr;  // nullptr: nothing changed, nothing to install
  std::vector<std::vector<sock_filter>> programs;
};

// `first` then `then`: every "return ALLOW" of `first` jumps to `then` instead.
std::vector<sock_filter> ChainPrograms(const std::vector<sock_filter>& first,
                                       const std::vector<sock_filter>& then);

// The claim check: the reserved call with a claim (args[2]) outside [first, last] fails with
// EPERM, except OP_SUGGEST; every other call continues to `tail`.
Expected<std::vector<sock_filter>> CompileClaimCheck(uint64_t first, uint64_t last,
                                                     const std::vector<sock_filter>& tail);

class RuntimeStates {
 public:
  // `plan`: the policy's layout (the root state, id 0, every id its descendant's);
  // `library_dirs` and `top` as CapsicumPlan has them.
  RuntimeStates(const CapsicumLayout& plan, std::vector<std::string> library_dirs, int top);

  const RuntimeState& Root() const { return states_.front(); }
  // The state with this id, or nullptr.
  const RuntimeState* Find(uint64_t id) const;

  // `fd` gets `limits` (the caller checked that they are no wider than its current ones;
  // `limits.directory` says what fd is). ENOMEM (kResourceExhausted) when there is no room
  // for a new class's block, no id left, or the filters would be too large.
  Expected<RuntimeChange> Limit(const RuntimeState& from, int fd, const RightsClass& limits);
  // Capability mode.
  Expected<RuntimeChange> Enter(const RuntimeState& from);

  // The state a process took last (its tgid), for OP_SUGGEST: a child or an exec'd program
  // asks, and the claim check verifies whatever it is told.
  void Took(pid_t tgid, uint64_t id) { latest_[tgid] = id; }
  uint64_t Suggest(pid_t tgid) const;

 private:
  Expected<RuntimeState*> Child(const RuntimeState& from);
  Expected<RuntimeChange> Finish(RuntimeState* state, const CapsicumLayout& delta);
  // A child of `from` with `full`, enforced by `delta`'s rights; undone on failure.
  Expected<RuntimeChange> Commit(const RuntimeState& from, CapsicumLayout full,
                                 const CapsicumLayout& delta);
  // The class in `layout` equal to `c` (added, with a block, when new), or an error.
  Expected<int> ClassFor(CapsicumLayout& layout, const RightsClass& c, int highest_fixed);

  std::deque<RuntimeState> states_;
  std::map<uint64_t, size_t> by_id_;
  std::map<pid_t, uint64_t> latest_;
  std::vector<std::string> library_dirs_;
  int top_;
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_CAPSICUM_RUNTIME_H_
