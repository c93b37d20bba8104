// SPDX-License-Identifier: BSD-2-Clause
// Internal: a small assembler for classic BPF seccomp programs, with labels. The Capsicum
// filters are written with it rather than with libseccomp, which allows one comparison per
// argument in a rule and no mixed actions per syscall; both are needed to test an argument
// against a list (ioctl commands) or a descriptor against its class's numbers.
//
// Conditional jumps may name any later label: Finish() inserts a `ja` trampoline where a
// target is beyond the 255 instructions a conditional jump can reach. Backward jumps do not
// exist in BPF and are refused.

#ifndef STOCKADE_LINUX_SIM_SRC_BPF_BUILDER_H_
#define STOCKADE_LINUX_SIM_SRC_BPF_BUILDER_H_

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "stockade/base/expected.h"

namespace stockade::linux_sim::detail {

class BpfBuilder {
 public:
  using Label = int;
  // A pseudo-label for "the next instruction" (a jump that falls through).
  static constexpr Label kNext = -1;

  Label NewLabel();
  // Binds `label` to the next instruction emitted. Each label is bound once.
  void Bind(Label label);

  // A = seccomp_data.nr / .arch / the low or high 32 bits of args[i].
  void LoadNr();
  void LoadArch();
  void LoadArgLow(int arg);
  void LoadArgHigh(int arg);
  void And(uint32_t k);  // A &= k
  void Ret(uint32_t k);  // return k
  void Jump(Label to);   // ja
  void JumpIfEq(uint32_t k, Label if_true, Label if_false = kNext);
  void JumpIfGe(uint32_t k, Label if_true, Label if_false = kNext);
  void JumpIfSet(uint32_t k, Label if_true, Label if_false = kNext);  // A & k != 0
  // Appends a finished program verbatim; its jumps stay relative to its own instructions, so
  // nothing may follow it and only its first instruction may be a jump target.
  void AppendRaw(const std::vector<sock_filter>& program);

  size_t size() const { return code_.size(); }

  // Resolves the labels. Fails (kInternal) on an unbound or backward label, or when the
  // program exceeds `max_instructions`.
  Expected<std::vector<sock_filter>> Finish(size_t max_instructions) const;

 private:
  struct Insn {
    uint16_t code;
    uint32_t k;
    Label jt = kNext;  // conditional jumps; `ja` keeps its target in jt
    Label jf = kNext;
    bool raw = false;  // from AppendRaw: jt/jf/k are final
    uint8_t raw_jt = 0, raw_jf = 0;
  };
  void Conditional(uint16_t op, uint32_t k, Label if_true, Label if_false);

  std::vector<Insn> code_;
  std::vector<long> labels_;  // label -> instruction index, -1 while unbound
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_BPF_BUILDER_H_
