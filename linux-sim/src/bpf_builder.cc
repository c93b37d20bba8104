// SPDX-License-Identifier: BSD-2-Clause
// The BPF assembler: label resolution with trampolines for far conditional jumps.

#include "bpf_builder.h"

#include <linux/seccomp.h>

#include <cstddef>
#include <string>

namespace stockade::linux_sim::detail {
namespace {

constexpr uint32_t kArgsOffset = offsetof(struct seccomp_data, args);
constexpr uint16_t kJa = BPF_JMP | BPF_JA;

bool IsConditional(uint16_t code) { return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA; }

}  // namespace

BpfBuilder::Label BpfBuilder::NewLabel() {
  labels_.push_back(-1);
  return static_cast<Label>(labels_.size() - 1);
}

void BpfBuilder::Bind(Label label) {
  labels_[static_cast<size_t>(label)] = static_cast<long>(code_.size());
}

void BpfBuilder::LoadNr() {
  code_.push_back({BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)});
}

void BpfBuilder::LoadArch() {
  code_.push_back({BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)});
}

// x86_64 is little-endian: the low half of args[i] comes first.
void BpfBuilder::LoadArgLow(int arg) {
  code_.push_back({BPF_LD | BPF_W | BPF_ABS, kArgsOffset + 8u * static_cast<uint32_t>(arg)});
}

void BpfBuilder::LoadArgHigh(int arg) {
  code_.push_back({BPF_LD | BPF_W | BPF_ABS, kArgsOffset + 8u * static_cast<uint32_t>(arg) + 4});
}

void BpfBuilder::And(uint32_t k) { code_.push_back({BPF_ALU | BPF_AND | BPF_K, k}); }

void BpfBuilder::Ret(uint32_t k) { code_.push_back({BPF_RET | BPF_K, k}); }

void BpfBuilder::Jump(Label to) { code_.push_back({kJa, 0, to, kNext}); }

void BpfBuilder::AppendRaw(const std::vector<sock_filter>& program) {
  for (const sock_filter& insn : program) {
    Insn raw{insn.code, insn.k};
    raw.raw = true;
    raw.raw_jt = insn.jt;
    raw.raw_jf = insn.jf;
    code_.push_back(raw);
  }
}

void BpfBuilder::Conditional(uint16_t op, uint32_t k, Label if_true, Label if_false) {
  code_.push_back({static_cast<uint16_t>(BPF_JMP | op | BPF_K), k, if_true, if_false});
}

void BpfBuilder::JumpIfEq(uint32_t k, Label if_true, Label if_false) {
  Conditional(BPF_JEQ, k, if_true, if_false);
}

void BpfBuilder::JumpIfGe(uint32_t k, Label if_true, Label if_false) {
  Conditional(BPF_JGE, k, if_true, if_false);
}

void BpfBuilder::JumpIfSet(uint32_t k, Label if_true, Label if_false) {
  Conditional(BPF_JSET, k, if_true, if_false);
}

Expected<std::vector<sock_filter>> BpfBuilder::Finish(size_t max_instructions) const {
  auto too_large = [&](size_t size) {
    return Error(ErrorCode::kResourceExhausted,
                 "the Capsicum filter needs " + std::to_string(size) +
                     " BPF instructions; the kernel accepts at most " +
                     std::to_string(max_instructions));
  };
  // Trampolines only add instructions: a program already too large fails at once.
  if (code_.size() > max_instructions) return too_large(code_.size());
  std::vector<Insn> code = code_;
  std::vector<long> labels = labels_;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      return Error(ErrorCode::kInternal, "BPF label " + std::to_string(i) + " is never bound");
    }
  }
  auto target = [&](size_t at, Label label) -> long {
    return label == kNext ? static_cast<long>(at) + 1 : labels[static_cast<size_t>(label)];
  };
  // Insert trampolines until every conditional target is within reach: a far branch goes to a
  // `ja` right after the jump instead, and a fall-through other branch then skips that `ja`.
  // Labels bound after the insertion point move with their instructions.
  auto bind_new = [&](long index) {
    labels.push_back(index);
    return static_cast<Label>(labels.size() - 1);
  };
  // An insertion moves every later target one further, which can push an earlier jump out of
  // reach: repeat until a whole pass inserts nothing.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < code.size(); ++i) {
      if (code[i].raw || !IsConditional(code[i].code)) continue;
      for (int which = 0; which < 2; ++which) {
        const Label branch = which == 0 ? code[i].jt : code[i].jf;
        const long to = target(i, branch);
        if (to <= static_cast<long>(i)) {
          return Error(ErrorCode::kInternal,
                       "backward BPF jump at instruction " + std::to_string(i));
        }
        if (to - static_cast<long>(i) - 1 <= 255) continue;
        for (long& bound : labels) {
          if (bound > static_cast<long>(i)) ++bound;
        }
        code.insert(code.begin() + static_cast<long>(i) + 1, Insn{kJa, 0, branch, kNext});
        const Label trampoline = bind_new(static_cast<long>(i) + 1);
        Label& far = which == 0 ? code[i].jt : code[i].jf;
        Label& other = which == 0 ? code[i].jf : code[i].jt;
        far = trampoline;
        if (other == kNext) other = bind_new(static_cast<long>(i) + 2);
        changed = true;
      }
    }
  }
  if (code.size() > max_instructions) return too_large(code.size());
  std::vector<sock_filter> program;
  program.reserve(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    const Insn& insn = code[i];
    sock_filter out{insn.code, 0, 0, insn.k};
    if (insn.raw) {
      out.jt = insn.raw_jt;
      out.jf = insn.raw_jf;
    } else if (insn.code == kJa) {
      const long to = target(i, insn.jt) - static_cast<long>(i) - 1;
      if (to < 0) return Error(ErrorCode::kInternal, "backward BPF jump at " + std::to_string(i));
      out.k = static_cast<uint32_t>(to);
    } else if (IsConditional(insn.code)) {
      const long jt = target(i, insn.jt) - static_cast<long>(i) - 1;
      const long jf = target(i, insn.jf) - static_cast<long>(i) - 1;
      if (jt < 0 || jf < 0 || jt > 255 || jf > 255) {
        return Error(ErrorCode::kInternal, "unresolved BPF jump at " + std::to_string(i));
      }
      out.jt = static_cast<uint8_t>(jt);
      out.jf = static_cast<uint8_t>(jf);
    }
    program.push_back(out);
  }
  return program;
}

}  // namespace stockade::linux_sim::detail
