// SPDX-License-Identifier: BSD-2-Clause
// Parse + check + compile of every example policy, the launch policies of bench/policies and a
// generated policy with 1,000 argument conditions, stage by stage and as one pipeline; and the
// user-space BPF evaluation of the filters they compile to. Time per run and, through the
// memory manager, the heap: allocations and the peak above what was live before.

#include <benchmark/benchmark.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "bench_policies.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/freebsd/compile.h"
#include "stockade/freebsd/fidelity.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/planner.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/check.h"
#include "stockade/policy/names.h"

namespace stockade::bench {
namespace {

// A policy checked once, for the stages that start from the IR.
struct Checked {
  NamedPolicy named;
  policy::SourceSet sources;
  policy::Policy ir;
};

const linux_sim::HostFacts& Host() {
  static const linux_sim::HostFacts host = linux_sim::ProbeHost();
  return host;
}

void Check(benchmark::State& state, const NamedPolicy& named) {
  for (auto _ : state) {
    policy::SourceSet sources;
    policy::Diagnostics diags;
    const policy::FileId file = sources.Add(named.path, named.text);
    std::optional<policy::Policy> ir = policy::CheckBuffer(sources, file, diags);
    benchmark::DoNotOptimize(ir);
  }
}

void Seccomp(benchmark::State& state, const Checked& c, linux_sim::SeccompOptions options) {
  size_t instructions = 0;
  for (auto _ : state) {
    auto plan = linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(c.ir), c.sources, options);
    if (!plan) {
      state.SkipWithError(plan.error().message().c_str());
      return;
    }
    instructions = 0;
    for (const auto& program : plan->programs) instructions += program.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["bpf_instructions"] = static_cast<double>(instructions);
}

void LinuxPlan(benchmark::State& state, const Checked& c) {
  for (auto _ : state) {
    enforce::Assessment assessment = linux_sim::Assess(c.ir, Host());
    benchmark::DoNotOptimize(assessment);
    auto plan = linux_sim::PlanSandbox(c.ir, c.sources, Host(), {});
    if (!plan) {
      state.SkipWithError(("refused on this host: " + plan.error().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(plan);
  }
}

void FreeBsd(benchmark::State& state, const Checked& c) {
  for (auto _ : state) {
    enforce::Assessment assessment = freebsd::Assess(c.ir, policy::kNewestFreeBsd);
    benchmark::DoNotOptimize(assessment);
    auto artifacts = freebsd::Compile(c.ir);
    if (!artifacts) {
      state.SkipWithError(artifacts.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(artifacts);
  }
}

// What a user waits for from the text to every artifact: check, the Linux plan (its seccomp
// programs included; the seccomp programs alone when the plan needs host paths this machine
// lacks) and the FreeBSD artifacts.
void Pipeline(benchmark::State& state, const NamedPolicy& named, bool plan_possible) {
  for (auto _ : state) {
    policy::SourceSet sources;
    policy::Diagnostics diags;
    const policy::FileId file = sources.Add(named.path, named.text);
    std::optional<policy::Policy> ir = policy::CheckBuffer(sources, file, diags);
    if (!ir) {
      state.SkipWithError("the policy has errors");
      return;
    }
    if (plan_possible) {
      auto plan = linux_sim::PlanSandbox(*ir, sources, Host(), {});
      benchmark::DoNotOptimize(plan);
    } else {
      auto seccomp = linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(*ir), sources, {});
      benchmark::DoNotOptimize(seccomp);
    }
    auto artifacts = freebsd::Compile(*ir);
    benchmark::DoNotOptimize(artifacts);
  }
  state.SetLabel(plan_possible ? "check+plan+freebsd" : "check+seccomp+freebsd");
}

// One call through the stacked programs, as the kernel runs them when its action cache does
// not already allow the call.
struct Call {
  const char* name;
  uint64_t args[6];
};

void EvaluateBpf(benchmark::State& state, const linux_sim::SeccompPlan& plan, Call call) {
  const policy::SyscallInfo* info = policy::FindSyscall(policy::Target::kLinux, call.name);
  size_t steps = 0;
  uint32_t result = 0;
  for (auto _ : state) {
    uint32_t combined = SECCOMP_RET_ALLOW;
    steps = 0;
    for (const auto& program : plan.programs) {
      size_t executed = 0;
      const uint32_t r =
          linux_sim::EvaluateBpf(program, AUDIT_ARCH_X86_64, info->number, 0, call.args, &executed);
      steps += executed;
      combined = linux_sim::CombineActions({combined, r});
    }
    result = combined;
    benchmark::DoNotOptimize(result);
  }
  state.counters["bpf_steps"] = static_cast<double>(steps);
  char label[32];
  std::snprintf(label, sizeof(label), "ret=%#x", result & SECCOMP_RET_ACTION_FULL);
  state.SetLabel(label);
}

std::vector<std::unique_ptr<Checked>>& Keep() {
  static std::vector<std::unique_ptr<Checked>> kept;
  return kept;
}

const Checked& Prepare(const NamedPolicy& named, bool warnings_ok) {
  auto c = std::make_unique<Checked>();
  c->named = named;
  c->ir = CheckOrDie(c->named, c->sources, warnings_ok);
  Keep().push_back(std::move(c));
  return *Keep().back();
}

void RegisterPolicy(const NamedPolicy& named, bool warnings_ok) {
  const Checked& c = Prepare(named, warnings_ok);
  const std::string& n = c.named.name;
  const bool plan_possible = linux_sim::PlanSandbox(c.ir, c.sources, Host(), {}).has_value();
  benchmark::RegisterBenchmark(("pipeline/" + n).c_str(), Pipeline, c.named, plan_possible)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("check/" + n).c_str(), Check, c.named)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("seccomp/" + n).c_str(), Seccomp, std::cref(c),
                               linux_sim::SeccompOptions{})
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("linux_plan/" + n).c_str(), LinuxPlan, std::cref(c))
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("freebsd/" + n).c_str(), FreeBsd, std::cref(c))
      ->Unit(benchmark::kMicrosecond);
}

std::vector<std::unique_ptr<linux_sim::SeccompPlan>>& Plans() {
  static std::vector<std::unique_ptr<linux_sim::SeccompPlan>> plans;
  return plans;
}

void RegisterEvaluation(const Checked& c, const std::string& layout, bool tree,
                        const std::vector<Call>& calls) {
  linux_sim::SeccompOptions options;
  options.binary_tree = tree;
  auto plan = linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(c.ir), c.sources, options);
  if (!plan) {
    std::fprintf(stderr, "bench: %s: %s\n", c.named.name.c_str(), plan.error().message().c_str());
    std::exit(2);
  }
  Plans().push_back(std::make_unique<linux_sim::SeccompPlan>(std::move(*plan)));
  const linux_sim::SeccompPlan& kept = *Plans().back();
  for (const Call& call : calls) {
    benchmark::RegisterBenchmark(
        ("bpf_eval/" + c.named.name + "/" + layout + "/" + call.name).c_str(), EvaluateBpf,
        std::cref(kept), call);
  }
}

}  // namespace
}  // namespace stockade::bench

int main(int argc, char** argv) {
  using namespace stockade::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  static AllocCounter counter;
  benchmark::RegisterMemoryManager(&counter);

  for (const NamedPolicy& p : ExamplePolicies()) RegisterPolicy(p, /*warnings_ok=*/true);
  for (const NamedPolicy& p : LaunchPolicies()) RegisterPolicy(p, /*warnings_ok=*/false);
  const NamedPolicy conditions = ConditionPolicy(1000);
  {
    // Every one of the 1,000 conditions must reach the filter, or this measures less.
    const Checked& c = Prepare(conditions, false);
    size_t conditional = 0;
    for (const auto& rule : stockade::linux_sim::BuildFilterModel(c.ir).allow) {
      conditional += rule.conditions.empty() ? 0 : 1;
    }
    if (conditional != 1000) {
      std::fprintf(stderr, "bench: %s has %zu conditional rules in its filter model\n",
                   conditions.name.c_str(), conditional);
      return 2;
    }
  }
  RegisterPolicy(conditions, false);

  // The compiled filters, evaluated: ordinary calls on every example; on the generated N-rule
  // filters, the unconditional cheap call and the last harmless conditional call, both layouts.
  const std::vector<Call> ordinary = {
      {"read", {0, 0, 4096, 0, 0, 0}},
      {"getppid", {}},
      {"openat", {static_cast<uint64_t>(-100), 0, 0, 0, 0, 0}},
      {"socket", {AF_NETLINK, SOCK_RAW, 0, 0, 0, 0}},
      {"ptrace", {}},
  };
  for (const NamedPolicy& p : ExamplePolicies()) {
    RegisterEvaluation(Prepare(p, true), "tree", true, ordinary);
  }
  for (int rules : {10, 100, 300}) {
    for (bool conditions_on : {false, true}) {
      const Checked& c = Prepare(RulePolicy(rules, conditions_on), false);
      for (bool tree : {true, false}) {
        RegisterEvaluation(c, tree ? "tree" : "linear", tree,
                           {{"getppid", {}}, {"futex_wake", {}}, {"gettid", {}}});
      }
    }
  }
  RegisterEvaluation(Prepare(conditions, false), "tree", true,
                     {{"read", {0, 0, 4096, 0, 0, 0}}, {"ioctl", {1, 0x5400, 0, 0, 0, 0}}});
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
