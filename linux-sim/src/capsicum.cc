// SPDX-License-Identifier: BSD-2-Clause
// The Capsicum emulation's kernel side: the number layout, the decision model and the two
// seccomp programs compiled from capsicum_table.cc.

#include "stockade/linux_sim/capsicum.h"

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <map>
#include <set>

#include "bpf_builder.h"
#include "capsicum_table.h"
#include "stockade/base/capsicum_abi.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/names.h"

namespace stockade::linux_sim {
namespace {

using detail::ArgCond;
using detail::BpfBuilder;
using detail::Need;
using detail::Route;
using detail::SyscallSpec;

constexpr uint32_t kX32Bit = 0x40000000;
constexpr int kHighestBlockNumber = 4096;  // blocks end here at most: a small descriptor table

uint64_t RightValue(const char* name) { return FindRight(name)->value; }

// The ioctls and fcntls a class actually allows: none without CAP_IOCTL / CAP_FCNTL.
std::optional<std::vector<uint64_t>> EffectiveIoctls(const RightsClass& c) {
  if (!c.rights.Has(RightValue("CAP_IOCTL"))) return std::vector<uint64_t>{};
  return c.ioctls;
}

uint32_t EffectiveFcntls(const RightsClass& c) {
  return c.rights.Has(RightValue("CAP_FCNTL")) ? c.fcntls : 0;
}

// Whether class `c` allows `need`, the command list aside.
bool SatisfiesRights(const RightsClass& c, const Need& need) {
  if (need.everything) return false;
  if (!c.rights.Contains(need.rights)) return false;
  if (need.fcntls && (EffectiveFcntls(c) & need.fcntls) != need.fcntls) return false;
  return true;
}

bool Satisfies(const RightsClass& c, const Need& need, const uint64_t args[6]) {
  if (!SatisfiesRights(c, need)) return false;
  if (need.ioctl && c.ioctls) {
    const uint64_t command = static_cast<uint32_t>(args[1]);
    return std::binary_search(c.ioctls->begin(), c.ioctls->end(), command);
  }
  return true;
}

int FdOf(const uint64_t args[6], uint8_t arg) {
  return static_cast<int32_t>(static_cast<uint32_t>(args[arg]));
}

bool AllHold(const std::vector<ArgCond>& conditions, const uint64_t args[6]) {
  for (const ArgCond& c : conditions) {
    if (!c.Holds(args)) return false;
  }
  return true;
}

bool RouteMatches(const CapsicumLayout& layout, const Route& route, const uint64_t args[6]) {
  if (!AllHold(route.when, args)) return false;
  const int fd = FdOf(args, route.fd_arg);
  switch (route.which) {
    case Route::kLimited:
      return layout.ClassOf(fd) >= 0;
    case Route::kFixed:
      return layout.IsFixed(fd);
    case Route::kDirectory: {
      const int cls = layout.ClassOf(fd);
      return cls >= 0 && layout.classes[static_cast<size_t>(cls)].directory;
    }
    case Route::kAlways:
      return true;
    case Route::kSealed:
      return layout.SealsUnixSockets();
  }
  return false;
}

bool Unmediated(const CapsicumLayout& layout, const SyscallSpec& spec) {
  return spec.unmediated && (layout.limited() || layout.capability_mode);
}

// ---- code generation ------------------------------------------------------------------------

class Compiler {
 public:
  explicit Compiler(const CapsicumLayout& layout) : layout_(layout) {}

  // The rights program: ENOTCAPABLE for a missing right, ENOSYS for unmediated mechanisms.
  // Syscalls whose checks compile to the same code share it (read, readv, recvfrom, ... all
  // test "args[0] in a class without CAP_READ").
  Expected<std::vector<sock_filter>> Rights() {
    BpfBuilder b;
    const BpfBuilder::Label allow = b.NewLabel(), deny = b.NewLabel(), nosys = b.NewLabel();
    std::vector<std::pair<int, BpfBuilder::Label>> entries;
    std::map<std::string, BpfBuilder::Label> bodies;
    std::vector<std::pair<BpfBuilder::Label, const SyscallSpec*>> to_emit;
    for (const SyscallSpec& spec : detail::CapsicumSpecs(layout_.capability_mode)) {
      if (!RightsMatter(spec)) continue;
      const bool unmediated = Unmediated(layout_, spec);
      const std::string key = BodyKey(spec);
      auto it = bodies.find(key);
      if (it == bodies.end()) {
        it = bodies.emplace(key, unmediated ? nosys : b.NewLabel()).first;
        if (!unmediated) to_emit.emplace_back(it->second, &spec);
      }
      entries.push_back({spec.nr, it->second});
    }
    const BpfBuilder::Label capmode = b.NewLabel();
    Prologue(b, allow);
    Dispatch(b, entries, 0, entries.size(), allow);
    for (const auto& [label, spec] : to_emit) {
      b.Bind(label);
      for (const detail::Denial& denial : spec->denials) {
        const BpfBuilder::Label skip = b.NewLabel();
        EmitConditions(b, denial.when, skip);
        b.Jump(denial.error == ENOSYS                 ? nosys
               : denial.error == STOCKADE_ENOTCAPABLE ? deny
                                                      : capmode);
        b.Bind(skip);
      }
      for (const detail::RightsCheck& check : spec->checks) EmitCheck(b, check, deny);
      b.Jump(allow);
    }
    b.Bind(deny);
    b.Ret(SECCOMP_RET_ERRNO | STOCKADE_ENOTCAPABLE);
    b.Bind(capmode);
    b.Ret(SECCOMP_RET_ERRNO | STOCKADE_ECAPMODE);
    b.Bind(nosys);
    b.Ret(SECCOMP_RET_ERRNO | ENOSYS);
    b.Bind(allow);
    b.Ret(SECCOMP_RET_ALLOW);
    return b.Finish(kMaxBpfInstructions);
  }

  // The notify program: USER_NOTIF for what the supervisor performs, else "continue": the
  // first instruction of `tail` (a filter it is spliced in front of), or ALLOW without one.
  // The policy's (`runtime` false) also hands the supervisor the reserved call of
  // libstockade-capsicum. A runtime filter's (`runtime`: mechanism 7) returns SECCOMP_RET_TRAP
  // instead, for the library to forward, and leaves exec alone outside capability mode (there
  // the supervisor would only let it continue, which a trapped call cannot).
  Expected<std::vector<sock_filter>> Notify(const std::vector<sock_filter>* tail,
                                            bool runtime = false) {
    BpfBuilder b;
    const BpfBuilder::Label next = b.NewLabel(), notify = b.NewLabel();
    std::vector<std::pair<int, BpfBuilder::Label>> entries;
    std::map<std::string, BpfBuilder::Label> bodies;
    std::vector<std::pair<BpfBuilder::Label, const SyscallSpec*>> to_emit;
    if (!runtime) entries.push_back({STOCKADE_CAPSICUM_SYSCALL, notify});
    for (const SyscallSpec& spec : detail::CapsicumSpecs(layout_.capability_mode)) {
      if (!RoutesMatter(spec)) continue;
      if (runtime && !layout_.capability_mode && IsExec(spec.nr)) continue;
      const std::string key = RouteKey(spec);
      auto it = bodies.find(key);
      if (it == bodies.end()) {
        it = bodies.emplace(key, key == "always" ? notify : b.NewLabel()).first;
        if (key != "always") to_emit.emplace_back(it->second, &spec);
      }
      entries.push_back({spec.nr, it->second});
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    Prologue(b, next);
    Dispatch(b, entries, 0, entries.size(), next);
    for (const auto& [label, spec] : to_emit) {
      b.Bind(label);
      for (const Route& route : spec->routes) EmitRoute(b, route, notify);
      b.Jump(next);
    }
    b.Bind(notify);
    b.Ret(runtime ? SECCOMP_RET_TRAP | STOCKADE_CAPSICUM_TRAP_DATA : SECCOMP_RET_USER_NOTIF);
    b.Bind(next);
    if (tail) {
      b.AppendRaw(*tail);
    } else {
      b.Ret(SECCOMP_RET_ALLOW);
    }
    return b.Finish(kMaxBpfInstructions);
  }

 private:
  // Whether some route of the spec can match in this layout.
  bool RoutesMatter(const SyscallSpec& spec) const {
    for (const Route& route : spec.routes) {
      if (route.which == Route::kAlways) return true;
      if (route.which == Route::kSealed) {
        if (layout_.SealsUnixSockets()) return true;
        continue;
      }
      for (const RightsClass& c : layout_.classes) {
        if (route.which != Route::kDirectory || c.directory) return true;
      }
    }
    return false;
  }

  // "always" for an unconditional route; otherwise what the routes compile to.
  std::string RouteKey(const SyscallSpec& spec) const {
    std::string key;
    for (const Route& route : spec.routes) {
      if (route.which == Route::kAlways && route.when.empty()) return "always";
      key += "r" + std::to_string(route.fd_arg) + ":" + std::to_string(route.which) + "[";
      for (const ArgCond& c : route.when) {
        key += std::to_string(c.arg) + ":" + std::to_string(c.kind) + ":" + std::to_string(c.mask) +
               ":" + std::to_string(c.value) + ",";
      }
      key += "];";
    }
    return key;
  }

  static bool IsExec(int nr) {
    static const int execve = policy::FindSyscall(policy::Target::kLinux, "execve")->number;
    static const int execveat = policy::FindSyscall(policy::Target::kLinux, "execveat")->number;
    return nr == execve || nr == execveat;
  }

  // Other architectures and x32 numbers continue to the policy's filters, which kill them.
  void Prologue(BpfBuilder& b, BpfBuilder::Label other) {
    b.LoadArch();
    b.JumpIfEq(AUDIT_ARCH_X86_64, BpfBuilder::kNext, other);
    b.LoadNr();
    b.JumpIfSet(kX32Bit, other);
  }

  // A binary search on the syscall number (A holds it throughout).
  void Dispatch(BpfBuilder& b, const std::vector<std::pair<int, BpfBuilder::Label>>& entries,
                size_t lo, size_t hi, BpfBuilder::Label otherwise) {
    if (hi - lo <= 4) {
      for (size_t i = lo; i < hi; ++i) {
        b.JumpIfEq(static_cast<uint32_t>(entries[i].first), entries[i].second);
      }
      b.Jump(otherwise);
      return;
    }
    const size_t mid = lo + (hi - lo) / 2;
    const BpfBuilder::Label upper = b.NewLabel();
    b.JumpIfGe(static_cast<uint32_t>(entries[mid].first), upper);
    Dispatch(b, entries, lo, mid, otherwise);
    b.Bind(upper);
    Dispatch(b, entries, mid, hi, otherwise);
  }

  // What a spec's checks compile to, as text: equal keys mean equal code.
  std::string BodyKey(const SyscallSpec& spec) const {
    if (Unmediated(layout_, spec)) return "unmediated";
    std::string key;
    for (const detail::Denial& denial : spec.denials) {
      key += "d" + std::to_string(denial.error) + "[";
      for (const ArgCond& c : denial.when) {
        key += std::to_string(c.arg) + ":" + std::to_string(c.kind) + ":" + std::to_string(c.mask) +
               ":" + std::to_string(c.value) + ",";
      }
      key += "];";
    }
    for (const detail::RightsCheck& check : spec.checks) {
      const std::vector<int> failing = FailingClasses(check.need);
      const std::vector<int> listed = IoctlClasses(check.need);
      if (failing.empty() && listed.empty()) continue;
      key += "a" + std::to_string(check.fd_arg) + "[";
      for (const ArgCond& c : check.when) {
        key += std::to_string(c.arg) + ":" + std::to_string(c.kind) + ":" + std::to_string(c.mask) +
               ":" + std::to_string(c.value) + ",";
      }
      key += "]f";
      for (int cls : failing) key += std::to_string(cls) + ",";
      key += "i";
      for (int cls : listed) key += std::to_string(cls) + ",";
      key += ";";
    }
    return key;
  }

  // Whether some class fails one of the spec's checks (or the spec is unmediated).
  bool RightsMatter(const SyscallSpec& spec) const {
    if (Unmediated(layout_, spec) || !spec.denials.empty()) return true;
    for (const detail::RightsCheck& check : spec.checks) {
      if (!FailingClasses(check.need).empty() || !IoctlClasses(check.need).empty()) return true;
    }
    return false;
  }

  std::vector<int> FailingClasses(const Need& need) const {
    std::vector<int> failing;
    for (size_t c = 0; c < layout_.classes.size(); ++c) {
      if (!SatisfiesRights(layout_.classes[c], need)) failing.push_back(static_cast<int>(c));
    }
    return failing;
  }

  // Classes that pass the rights but restrict the command list.
  std::vector<int> IoctlClasses(const Need& need) const {
    std::vector<int> listed;
    if (!need.ioctl) return listed;
    for (size_t c = 0; c < layout_.classes.size(); ++c) {
      const RightsClass& cls = layout_.classes[c];
      if (SatisfiesRights(cls, need) && cls.ioctls) listed.push_back(static_cast<int>(c));
    }
    return listed;
  }

  // Jumps to `skip` unless the condition holds.
  void EmitCondition(BpfBuilder& b, const ArgCond& c, BpfBuilder::Label skip) {
    const uint32_t low = static_cast<uint32_t>(c.value);
    const uint32_t high = static_cast<uint32_t>(c.value >> 32);
    switch (c.kind) {
      case ArgCond::kEq64:
        b.LoadArgLow(c.arg);
        b.JumpIfEq(low, BpfBuilder::kNext, skip);
        b.LoadArgHigh(c.arg);
        b.JumpIfEq(high, BpfBuilder::kNext, skip);
        return;
      case ArgCond::kNe64: {
        const BpfBuilder::Label holds = b.NewLabel();
        b.LoadArgLow(c.arg);
        b.JumpIfEq(low, BpfBuilder::kNext, holds);
        b.LoadArgHigh(c.arg);
        b.JumpIfEq(high, skip, holds);
        b.Bind(holds);
        return;
      }
      case ArgCond::kMaskedEq32:
      case ArgCond::kMaskedNe32:
        b.LoadArgLow(c.arg);
        if (c.mask != 0xffffffffu) b.And(c.mask);
        if (c.kind == ArgCond::kMaskedEq32) {
          b.JumpIfEq(low, BpfBuilder::kNext, skip);
        } else {
          b.JumpIfEq(low, skip);
        }
        return;
    }
  }

  // Jumps to `hit` when args[fd_arg] is a number of one of `classes` (fixed only: `fixed_only`).
  void EmitMembership(BpfBuilder& b, uint8_t fd_arg, const std::vector<int>& classes,
                      bool fixed_only, BpfBuilder::Label hit) {
    if (classes.empty()) return;
    b.LoadArgLow(fd_arg);
    for (const auto& [number, cls] : layout_.fixed) {
      if (std::find(classes.begin(), classes.end(), cls) != classes.end()) {
        b.JumpIfEq(static_cast<uint32_t>(number), hit);
      }
    }
    if (fixed_only) return;
    b.And(~static_cast<uint32_t>(layout_.block_size - 1));
    for (int cls : classes) {
      b.JumpIfEq(static_cast<uint32_t>(layout_.block_base[static_cast<size_t>(cls)]), hit);
    }
  }

  void EmitConditions(BpfBuilder& b, const std::vector<ArgCond>& when, BpfBuilder::Label skip) {
    for (const ArgCond& c : when) EmitCondition(b, c, skip);
  }

  void EmitCheck(BpfBuilder& b, const detail::RightsCheck& check, BpfBuilder::Label deny) {
    const std::vector<int> failing = FailingClasses(check.need);
    const std::vector<int> listed = IoctlClasses(check.need);
    if (failing.empty() && listed.empty()) return;
    const BpfBuilder::Label skip = b.NewLabel();
    EmitConditions(b, check.when, skip);
    EmitMembership(b, check.fd_arg, failing, false, deny);
    // A class with a command list: the command must be in it.
    for (int cls : listed) {
      const BpfBuilder::Label allowed = b.NewLabel();
      b.LoadArgLow(1);
      for (uint64_t command : *layout_.classes[static_cast<size_t>(cls)].ioctls) {
        if (command > 0xffffffffu) continue;  // the kernel sees 32 bits: never matches
        b.JumpIfEq(static_cast<uint32_t>(command), allowed);
      }
      EmitMembership(b, check.fd_arg, {cls}, false, deny);
      b.Bind(allowed);
    }
    b.Bind(skip);
  }

  void EmitRoute(BpfBuilder& b, const Route& route, BpfBuilder::Label notify) {
    if (route.which == Route::kSealed && !layout_.SealsUnixSockets()) return;
    if (route.which == Route::kAlways || route.which == Route::kSealed) {
      const BpfBuilder::Label skip = b.NewLabel();
      EmitConditions(b, route.when, skip);
      b.Jump(notify);
      b.Bind(skip);
      return;
    }
    std::vector<int> classes;
    for (size_t c = 0; c < layout_.classes.size(); ++c) {
      if (route.which == Route::kDirectory && !layout_.classes[c].directory) continue;
      classes.push_back(static_cast<int>(c));
    }
    if (classes.empty()) return;
    const BpfBuilder::Label skip = b.NewLabel();
    EmitConditions(b, route.when, skip);
    EmitMembership(b, route.fd_arg, classes, route.which == Route::kFixed, notify);
    b.Bind(skip);
  }

  const CapsicumLayout& layout_;
};

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "%#llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace

// ---- RightsClass and the layout ---------------------------------------------------------------

bool RightsClass::Covers(const RightsClass& number) const {
  if (!rights.Contains(number.rights)) return false;
  const uint32_t mine = EffectiveFcntls(*this), theirs = EffectiveFcntls(number);
  if ((theirs & ~mine) != 0) return false;
  const auto my_ioctls = EffectiveIoctls(*this), their_ioctls = EffectiveIoctls(number);
  if (my_ioctls) {
    if (!their_ioctls) return false;  // the number allows every command, we do not
    for (uint64_t command : *their_ioctls) {
      if (!std::binary_search(my_ioctls->begin(), my_ioctls->end(), command)) return false;
    }
  }
  // A directory must not land on a number whose lookups the kernel makes unsupervised.
  return !directory || number.directory;
}

std::string RightsClass::Describe() const {
  std::string text;
  if (rights == RightSet::All(RightRelease::kMainOnly)) {
    text = "all rights";
  } else {
    std::array<std::string_view, 128> names;
    const size_t count = RightNames(rights, names);
    for (size_t i = 0; i < count && i < names.size(); ++i) {
      text += (i ? "," : "") + std::string(names[i]);
    }
    if (count == 0) text = "no rights";
  }
  if (ioctls) {
    text += " ioctls[";
    for (size_t i = 0; i < ioctls->size(); ++i) text += (i ? "," : "") + Hex((*ioctls)[i]);
    text += "]";
  }
  if (fcntls != kFcntlAll) text += " fcntls[" + Hex(fcntls) + "]";
  if (directory) text += " (directory)";
  return text;
}

int CapsicumLayout::ClassOf(int64_t fd) const {
  if (fd < 0) return -1;
  for (const auto& [number, cls] : fixed) {
    if (number == fd) return cls;
  }
  if (block_size <= 0) return -1;
  const int64_t base = fd & ~static_cast<int64_t>(block_size - 1);
  for (size_t c = 0; c < block_base.size(); ++c) {
    if (block_base[c] == base) return static_cast<int>(c);
  }
  return -1;
}

bool CapsicumLayout::IsFixed(int64_t fd) const {
  for (const auto& [number, cls] : fixed) {
    if (number == fd) return true;
  }
  return false;
}

int CapsicumLayout::SinceOf(int64_t fd) const {
  if (fd < 0) return INT_MAX;
  for (size_t i = 0; i < fixed.size(); ++i) {
    if (fixed[i].first == fd) return i < fixed_since.size() ? fixed_since[i] : 0;
  }
  if (block_size <= 0) return INT_MAX;
  const int64_t base = fd & ~static_cast<int64_t>(block_size - 1);
  for (size_t c = 0; c < block_base.size(); ++c) {
    if (block_base[c] == base) return c < block_since.size() ? block_since[c] : 0;
  }
  return INT_MAX;
}

int CapsicumLayout::PlacementClass(int64_t fd) const {
  const int cls = ClassOf(fd);
  if (cls < 0) return -1;
  const int since = SinceOf(fd);
  auto block_since_of = [&](size_t c) { return c < block_since.size() ? block_since[c] : 0; };
  if (static_cast<size_t>(cls) < block_base.size() && block_since_of(cls) <= since) return cls;
  // A narrower class with an older block (never a wider one, nor a younger block: a process
  // really in an older state would see that block unlimited).
  const RightsClass& limits = classes[static_cast<size_t>(cls)];
  for (size_t c = 0; c < classes.size() && c < block_base.size(); ++c) {
    if (block_since_of(c) <= since && limits.Covers(classes[c])) {
      return static_cast<int>(c);
    }
  }
  return -1;
}

std::vector<int> CapsicumLayout::BlockOf(int cls) const {
  std::vector<int> numbers;
  if (cls < 0 || static_cast<size_t>(cls) >= block_base.size()) return numbers;
  for (int i = 0; i < block_size; ++i) numbers.push_back(block_base[static_cast<size_t>(cls)] + i);
  return numbers;
}

RightsClass LibraryClass() {
  RightsClass c;
  c.rights = RightSet();
  for (const char* name : {"CAP_READ", "CAP_SEEK", "CAP_FSTAT", "CAP_MMAP_RX", "CAP_FEXECVE",
                           "CAP_LOOKUP", "CAP_FSTATAT", "CAP_FCNTL"}) {
    c.rights.Add(RightValue(name));
  }
  c.directory = true;
  return c;
}

Expected<CapsicumLayout> LayoutCapsicum(const launch::Manifest& manifest, uint64_t nofile,
                                        const std::vector<std::string>& library_dirs) {
  CapsicumLayout layout;
  layout.capability_mode = manifest.capability_mode;
  int highest = 2;
  for (int fd : manifest.keep) highest = std::max(highest, fd);
  for (const launch::Preopen& p : manifest.preopens) highest = std::max(highest, p.fd);
  for (const launch::DescriptorLimits& limits : manifest.limits) {
    RightsClass c;
    if (limits.rights) c.rights = *limits.rights;
    if (limits.ioctls) {
      std::vector<uint64_t> commands = *limits.ioctls;
      std::sort(commands.begin(), commands.end());
      commands.erase(std::unique(commands.begin(), commands.end()), commands.end());
      c.ioctls = std::move(commands);
    }
    if (limits.fcntls) c.fcntls = *limits.fcntls;
    for (const launch::Preopen& p : manifest.preopens) {
      if (p.fd == limits.fd) c.directory = (p.flags & launch::kDirectory) != 0;
    }
    auto it = std::find(layout.classes.begin(), layout.classes.end(), c);
    if (it == layout.classes.end()) {
      layout.classes.push_back(c);
      it = layout.classes.end() - 1;
    }
    layout.fixed.emplace_back(limits.fd, static_cast<int>(it - layout.classes.begin()));
    highest = std::max(highest, limits.fd);
  }
  std::sort(layout.fixed.begin(), layout.fixed.end());
  if (layout.capability_mode) {
    layout.library_dirs = library_dirs;
    const RightsClass library = LibraryClass();
    auto it = std::find(layout.classes.begin(), layout.classes.end(), library);
    if (it == layout.classes.end()) {
      layout.classes.push_back(library);
      it = layout.classes.end() - 1;
    }
    layout.library_class = static_cast<int>(it - layout.classes.begin());
  }
  if (layout.classes.empty()) return layout;

  // Blocks at the top of the table, as large as room allows; below them at least 16 numbers
  // stay free above the fixed ones for the program's own descriptors.
  const int top = static_cast<int>(std::min<uint64_t>(nofile, kHighestBlockNumber));
  const int count = static_cast<int>(layout.classes.size());
  for (int size : {32, 16, 8, 4}) {
    const int end = top & ~(size - 1);
    const int first = end - count * size;
    if (first < highest + 17) continue;
    layout.block_size = size;
    for (int c = 0; c < count; ++c) layout.block_base.push_back(first + c * size);
    return layout;
  }
  return Error(ErrorCode::kInvalidArgument,
               "the descriptor limit (RLIMIT_NOFILE " + std::to_string(nofile) +
                   ") leaves no room for the blocks of " + std::to_string(count) +
                   " classes of limited descriptors above descriptor " + std::to_string(highest) +
                   " (limits.openfiles)");
}

// ---- the model
// ------------------------------------------------------------------------------------

CapsicumVerdict DecideCapsicum(const CapsicumLayout& layout, int nr, const uint64_t args[6]) {
  if (!layout.enabled()) return CapsicumVerdict::kAllow;
  const SyscallSpec* spec = detail::FindCapsicumSpec(nr, layout.capability_mode);
  if (!spec) return CapsicumVerdict::kAllow;
  if (Unmediated(layout, *spec)) return CapsicumVerdict::kNoSys;
  for (const detail::Denial& denial : spec->denials) {
    if (AllHold(denial.when, args)) {
      if (denial.error == ENOSYS) return CapsicumVerdict::kNoSys;
      return denial.error == STOCKADE_ENOTCAPABLE ? CapsicumVerdict::kNotCapable
                                                  : CapsicumVerdict::kCapMode;
    }
  }
  for (const detail::RightsCheck& check : spec->checks) {
    if (!AllHold(check.when, args)) continue;
    const int cls = layout.ClassOf(FdOf(args, check.fd_arg));
    if (cls >= 0 && !Satisfies(layout.classes[static_cast<size_t>(cls)], check.need, args)) {
      return CapsicumVerdict::kNotCapable;
    }
  }
  for (const Route& route : spec->routes) {
    if (RouteMatches(layout, route, args)) return CapsicumVerdict::kSupervise;
  }
  return CapsicumVerdict::kAllow;
}

std::string MissingRight(const CapsicumLayout& layout, int nr, const uint64_t args[6]) {
  const SyscallSpec* spec = detail::FindCapsicumSpec(nr, layout.capability_mode);
  if (!spec || !layout.limited()) return "";
  for (const detail::RightsCheck& check : spec->checks) {
    if (!AllHold(check.when, args)) continue;
    const int fd = FdOf(args, check.fd_arg);
    const int cls = layout.ClassOf(fd);
    if (cls < 0) continue;
    const RightsClass& c = layout.classes[static_cast<size_t>(cls)];
    if (Satisfies(c, check.need, args)) continue;
    std::string what;
    if (check.need.everything) {
      what = "an unlimited descriptor";
    } else if (!c.rights.Contains(check.need.rights)) {
      std::array<std::string_view, 64> names;
      const size_t count = RightNames(check.need.rights, names);
      for (size_t i = 0; i < count && i < names.size(); ++i) {
        if (!c.rights.Has(FindRight(names[i])->value)) {
          what += (what.empty() ? "" : "|") + std::string(names[i]);
        }
      }
    } else if (check.need.fcntls) {
      for (const FcntlRightInfo& f : kFcntlRights) {
        if (f.mask == check.need.fcntls) what = std::string(f.name);
      }
    } else {
      what = "ioctl " + Hex(static_cast<uint32_t>(args[1])) + " in cap_ioctls_limit";
    }
    return what + " on fd " + std::to_string(fd);
  }
  return "";
}

Expected<CapsicumPlan> CompileCapsicum(const CapsicumLayout& layout) {
  CapsicumPlan plan;
  plan.layout = layout;
  Compiler compiler(layout);
  if (layout.enabled()) {
    STOCKADE_ASSIGN_OR_RETURN(plan.rights_program, compiler.Rights());
  }
  STOCKADE_ASSIGN_OR_RETURN(plan.notify_program, compiler.Notify(nullptr));
  return plan;
}

Status AttachCapsicum(const CapsicumPlan& capsicum, SeccompPlan& seccomp) {
  if (!seccomp.enabled) {
    if (!capsicum.layout.enabled()) return {};
    return Error(ErrorCode::kUnsupported, "Capsicum emulation needs seccomp filters");
  }
  Compiler compiler(capsicum.layout);
  if (seccomp.listener && !seccomp.programs.empty()) {
    STOCKADE_ASSIGN_OR_RETURN(seccomp.programs.back(), compiler.Notify(&seccomp.programs.back()));
  } else {
    STOCKADE_ASSIGN_OR_RETURN(std::vector<sock_filter> notify, compiler.Notify(nullptr));
    seccomp.programs.push_back(std::move(notify));
    seccomp.listener = true;
  }
  if (!capsicum.rights_program.empty()) {
    seccomp.programs.insert(seccomp.programs.begin(), capsicum.rights_program);
  }
  return {};
}

Expected<std::vector<sock_filter>> CompileCapsicumRights(const CapsicumLayout& layout) {
  if (!layout.enabled()) return std::vector<sock_filter>{};
  return Compiler(layout).Rights();
}

Expected<std::vector<sock_filter>> CompileCapsicumTraps(const CapsicumLayout& layout) {
  return Compiler(layout).Notify(nullptr, /*runtime=*/true);
}

}  // namespace stockade::linux_sim
