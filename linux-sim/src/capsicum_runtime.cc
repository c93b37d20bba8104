// SPDX-License-Identifier: BSD-2-Clause
// The program's own Capsicum limits: runtime states and their filters (mechanism 7).

#include "capsicum_runtime.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "bpf_builder.h"
#include "stockade/base/capsicum_abi.h"

namespace stockade::linux_sim::detail {
namespace {

constexpr size_t kMaxInstructions = STOCKADE_CAPSICUM_MAX_PROGRAM;
// Ids stay below 2^62, so that one fits a syscall's (positive) return value.
constexpr uint64_t kLastId = (uint64_t{1} << 62) - 1;

Error Exhausted(const std::string& what) { return Error(ErrorCode::kResourceExhausted, what); }

// A child state's layout: one deeper, with every number's and block's depth written out.
CapsicumLayout Descend(const CapsicumLayout& parent) {
  CapsicumLayout child = parent;
  child.depth = parent.depth + 1;
  child.fixed_since.resize(child.fixed.size(), 0);
  child.block_since.resize(child.block_base.size(), 0);
  return child;
}

int HighestFixed(const CapsicumLayout& layout, int fd) {
  int highest = std::max(2, fd);
  for (const auto& [number, cls] : layout.fixed) highest = std::max(highest, number);
  return highest;
}

}  // namespace

Expected<std::vector<sock_filter>> CompileClaimCheck(uint64_t first, uint64_t last,
                                                     const std::vector<sock_filter>& tail) {
  BpfBuilder b;
  const BpfBuilder::Label rest = b.NewLabel(), fail = b.NewLabel(), ok = b.NewLabel();
  const BpfBuilder::Label low_equal = b.NewLabel(), low_ok = b.NewLabel(),
                          high_equal = b.NewLabel();
  b.LoadArch();
  b.JumpIfEq(AUDIT_ARCH_X86_64, BpfBuilder::kNext, rest);
  b.LoadNr();
  b.JumpIfEq(STOCKADE_CAPSICUM_SYSCALL, BpfBuilder::kNext, rest);
  b.LoadArgLow(1);
  b.JumpIfEq(STOCKADE_CAPSICUM_OP_SUGGEST, ok);
  // claim >= first, on the two 32-bit halves.
  const uint32_t first_high = static_cast<uint32_t>(first >> 32);
  const uint32_t first_low = static_cast<uint32_t>(first);
  const uint32_t last_high = static_cast<uint32_t>(last >> 32);
  const uint32_t last_low = static_cast<uint32_t>(last);
  b.LoadArgHigh(2);
  b.JumpIfEq(first_high, low_equal);
  b.JumpIfGe(first_high, low_ok, fail);
  b.Bind(low_equal);
  b.LoadArgLow(2);
  b.JumpIfGe(first_low, low_ok, fail);
  // claim <= last.
  b.Bind(low_ok);
  b.LoadArgHigh(2);
  b.JumpIfEq(last_high, high_equal);
  b.JumpIfGe(last_high, fail, ok);
  b.Bind(high_equal);
  if (last_low == 0xffffffffu) {
    b.Jump(ok);
  } else {
    b.LoadArgLow(2);
    b.JumpIfGe(last_low + 1, fail, ok);
  }
  b.Bind(fail);
  b.Ret(SECCOMP_RET_ERRNO | EPERM);
  b.Bind(ok);
  b.Ret(SECCOMP_RET_ALLOW);
  b.Bind(rest);
  b.AppendRaw(tail);
  return b.Finish(kMaxInstructions);
}

RuntimeStates::RuntimeStates(const CapsicumLayout& plan, std::vector<std::string> library_dirs,
                             int top)
    : library_dirs_(std::move(library_dirs)), top_(top) {
  RuntimeState root;
  root.id = 0;
  root.last = kLastId;
  root.next = 1;
  root.full = plan;
  states_.push_back(std::move(root));
  by_id_[0] = 0;
}

const RuntimeState* RuntimeStates::Find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &states_[it->second];
}

uint64_t RuntimeStates::Suggest(pid_t tgid) const {
  auto it = latest_.find(tgid);
  return it == latest_.end() ? 0 : it->second;
}

Expected<RuntimeState*> RuntimeStates::Child(const RuntimeState& from) {
  RuntimeState& parent = states_[by_id_.at(from.id)];
  if (parent.next > parent.last || parent.last - parent.next < 1) {
    return Exhausted("no runtime state ids left beneath state " + std::to_string(parent.id));
  }
  RuntimeState child;
  child.id = parent.next;
  child.last = parent.next + (parent.last - parent.next) / 2;
  child.next = child.id + 1;
  child.full = parent.full;
  parent.next = child.last + 1;
  states_.push_back(std::move(child));
  return &states_.back();
}

Expected<int> RuntimeStates::ClassFor(CapsicumLayout& layout, const RightsClass& c,
                                      int highest_fixed) {
  auto it = std::find(layout.classes.begin(), layout.classes.end(), c);
  if (it != layout.classes.end()) return static_cast<int>(it - layout.classes.begin());
  // A new class: a block below the lowest one (or at the top of the table).
  int size = layout.block_size;
  int base = -1;
  if (size > 0 && !layout.block_base.empty()) {
    base = *std::min_element(layout.block_base.begin(), layout.block_base.end()) - size;
  } else {
    for (int candidate : {32, 16, 8, 4}) {
      const int end = top_ & ~(candidate - 1);
      if (end - candidate >= highest_fixed + 17) {
        size = candidate;
        base = end - candidate;
        break;
      }
    }
  }
  if (size <= 0 || base < highest_fixed + 17) {
    return Exhausted("no room for the block of a new class of limited descriptors");
  }
  layout.block_size = size;
  layout.classes.push_back(c);
  layout.block_base.push_back(base);
  layout.block_since.push_back(layout.depth);  // limited from this state on
  return static_cast<int>(layout.classes.size() - 1);
}

std::vector<sock_filter> ChainPrograms(const std::vector<sock_filter>& first,
                                       const std::vector<sock_filter>& then) {
  std::vector<sock_filter> out = first;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].code == (BPF_RET | BPF_K) && out[i].k == SECCOMP_RET_ALLOW) {
      // ja to the first instruction after `first` (jumps only go forward: always valid).
      out[i] = BPF_STMT(BPF_JMP | BPF_JA, static_cast<uint32_t>(out.size() - i - 1));
    }
  }
  out.insert(out.end(), then.begin(), then.end());
  return out;
}

Expected<RuntimeChange> RuntimeStates::Finish(RuntimeState* state, const CapsicumLayout& delta) {
  RuntimeChange change;
  STOCKADE_ASSIGN_OR_RETURN(std::vector<sock_filter> traps, CompileCapsicumTraps(state->full));
  STOCKADE_ASSIGN_OR_RETURN(std::vector<sock_filter> rights, CompileCapsicumRights(delta));
  // One program, so that a state is installed whole or not at all.
  STOCKADE_ASSIGN_OR_RETURN(
      std::vector<sock_filter> program,
      CompileClaimCheck(state->id, state->last, ChainPrograms(rights, traps)));
  change.programs.push_back(std::move(program));
  by_id_[state->id] = states_.size() - 1;
  change.state = state;
  return change;
}

Expected<RuntimeChange> RuntimeStates::Limit(const RuntimeState& from, int fd,
                                             const RightsClass& limits) {
  const int current = from.full.ClassOf(fd);
  if (current >= 0 && from.full.classes[static_cast<size_t>(current)] == limits) {
    return RuntimeChange{};  // the number enforces exactly these limits already
  }
  CapsicumLayout full = Descend(from.full);
  STOCKADE_ASSIGN_OR_RETURN(int cls, ClassFor(full, limits, HighestFixed(full, fd)));
  // The number is limited since it first was (fixed, or in a block), else from now on.
  const int since = std::min(from.full.SinceOf(fd), full.depth);
  std::vector<std::tuple<int, int, int>> fixed;  // number, class, since
  for (size_t i = 0; i < full.fixed.size(); ++i) {
    if (full.fixed[i].first != fd) {
      fixed.emplace_back(full.fixed[i].first, full.fixed[i].second, full.fixed_since[i]);
    }
  }
  fixed.emplace_back(fd, cls, since);
  std::sort(fixed.begin(), fixed.end());
  full.fixed.clear();
  full.fixed_since.clear();
  for (const auto& [number, c, s] : fixed) {
    full.fixed.emplace_back(number, c);
    full.fixed_since.push_back(s);
  }
  CapsicumLayout delta;
  delta.classes = {limits};
  delta.fixed = {{fd, 0}};
  delta.block_size = full.block_size;
  delta.block_base = {full.block_base[static_cast<size_t>(cls)]};

  return Commit(from, std::move(full), delta);
}

Expected<RuntimeChange> RuntimeStates::Commit(const RuntimeState& from, CapsicumLayout full,
                                              const CapsicumLayout& delta) {
  RuntimeState& parent = states_[by_id_.at(from.id)];
  const size_t count = states_.size();
  const uint64_t next = parent.next;
  STOCKADE_ASSIGN_OR_RETURN(RuntimeState * state, Child(parent));
  state->full = std::move(full);
  Expected<RuntimeChange> change = Finish(state, delta);
  if (!change.has_value()) {
    states_.resize(count);  // nothing was handed out
    parent.next = next;
  }
  return change;
}

Expected<RuntimeChange> RuntimeStates::Enter(const RuntimeState& from) {
  if (from.full.capability_mode) return RuntimeChange{};
  CapsicumLayout full = Descend(from.full);
  full.capability_mode = true;
  full.library_dirs = library_dirs_;
  STOCKADE_ASSIGN_OR_RETURN(int library, ClassFor(full, LibraryClass(), HighestFixed(full, 2)));
  full.library_class = library;
  CapsicumLayout delta;
  delta.capability_mode = true;
  delta.library_dirs = library_dirs_;
  delta.classes = {LibraryClass()};
  delta.library_class = 0;
  delta.block_size = full.block_size;
  delta.block_base = {full.block_base[static_cast<size_t>(library)]};

  return Commit(from, std::move(full), delta);
}

}  // namespace stockade::linux_sim::detail
