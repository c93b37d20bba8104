// SPDX-License-Identifier: BSD-2-Clause
// The kernel's cost of stockade's seccomp filters: nanoseconds per syscall in a child process
// that installed the real programs (a filter cannot be removed, so each benchmark run forks a
// fresh child). Filters: none; 10, 100 and 300 allow rules, without and with argument
// conditions, in libseccomp's binary-tree layout (what stockade compiles) and in its linear
// layout (for comparison). Calls: getppid, always allowed without a condition (the kernel's
// action cache should make it cost a flat toll), and the harmless call the linear layout
// reaches last (with a condition in the conditional policies, so the program really runs).

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_policies.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/check.h"
#include "stockade/policy/names.h"

namespace stockade::bench {
namespace {

// Syscalls per timed batch: short (about 0.2 ms), so that most batches run without being
// preempted by the machine's other work, and the fastest batch shows the undisturbed cost.
constexpr uint64_t kBatch = 1000;

struct Filter {
  std::string label;  // "none", "300-conditional/tree"
  linux_sim::SeccompPlan plan;
  bool installed = false;
};

uint64_t Now() {
  struct timespec t {};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

bool ReadAll(int fd, void* buffer, size_t size) {
  char* p = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t got = read(fd, p, size);
    if (got <= 0) return false;
    p += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

// The child: installs the programs as linux-sim's launcher does (no_new_privs, then each
// program, the last with the notification listener when the plan has one), then runs batches on
// request. It only ever calls read, write, the measured syscall, clock_gettime and exit_group.
[[noreturn]] void Child(const Filter& filter, int number, int commands, int replies) {
  // A call the filter did not allow would wait forever for a supervisor: end it instead.
  alarm(120);
  if (filter.installed) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(3);
    const size_t count = filter.plan.programs.size();
    for (size_t i = 0; i < count; ++i) {
      struct sock_fprog program {};
      program.len = static_cast<unsigned short>(filter.plan.programs[i].size());
      program.filter = const_cast<sock_filter*>(filter.plan.programs[i].data());
      const bool listener = i + 1 == count && filter.plan.listener;
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                  listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &program) < 0) {
        _exit(4);
      }
    }
  }
  uint64_t iterations = 0;
  while (ReadAll(commands, &iterations, sizeof(iterations)) && iterations > 0) {
    const uint64_t start = Now();
    for (uint64_t i = 0; i < iterations; ++i) syscall(number, 0, 0, 0, 0, 0, 0);
    const uint64_t elapsed = Now() - start;
    if (write(replies, &elapsed, sizeof(elapsed)) != sizeof(elapsed)) _exit(5);
  }
  _exit(0);
}

void Measure(benchmark::State& state, const Filter* filter, std::string call) {
  const int number = policy::FindSyscall(policy::Target::kLinux, call)->number;
  int commands[2], replies[2];
  if (pipe2(commands, O_CLOEXEC) != 0 || pipe2(replies, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2 failed");
    return;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(commands[1]);
    close(replies[0]);
    Child(*filter, number, commands[0], replies[1]);
  }
  close(commands[0]);
  close(replies[1]);
  // One unmeasured batch: page faults and caches.
  uint64_t batch = kBatch / 10, elapsed = 0;
  bool ok = write(commands[1], &batch, sizeof(batch)) == sizeof(batch) &&
            ReadAll(replies[0], &elapsed, sizeof(elapsed));
  uint64_t fastest = UINT64_MAX;
  batch = kBatch;
  for (auto _ : state) {
    if (!ok) break;
    ok = write(commands[1], &batch, sizeof(batch)) == sizeof(batch) &&
         ReadAll(replies[0], &elapsed, sizeof(elapsed));
    state.SetIterationTime(static_cast<double>(elapsed) * 1e-9);
    fastest = std::min(fastest, elapsed);
  }
  close(commands[1]);
  close(replies[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ok) {
    state.SkipWithError(("the child failed (status " + std::to_string(status) + ")").c_str());
    return;
  }
  // The fastest batch: the load of the machine only ever adds time (the mean per batch is the
  // benchmark's own time).
  state.counters["ns_per_call"] = static_cast<double>(fastest) / kBatch;
  // What the programs would execute for this call if the action cache did not answer first.
  size_t steps = 0;
  const uint64_t args[6] = {};
  for (const auto& program : filter->plan.programs) {
    size_t executed = 0;
    linux_sim::EvaluateBpf(program, AUDIT_ARCH_X86_64, number, 0, args, &executed);
    steps += executed;
  }
  state.counters["bpf_steps"] = static_cast<double>(steps);
}

std::vector<std::unique_ptr<Filter>>& Filters() {
  static std::vector<std::unique_ptr<Filter>> filters;
  return filters;
}

const Filter& Compile(int rules, bool conditions, bool tree) {
  policy::SourceSet sources;
  const NamedPolicy named = RulePolicy(rules, conditions);
  const policy::Policy ir = CheckOrDie(named, sources);
  linux_sim::SeccompOptions options;
  options.binary_tree = tree;
  auto plan = linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(ir), sources, options);
  if (!plan) {
    std::fprintf(stderr, "bench: %s: %s\n", named.name.c_str(), plan.error().message().c_str());
    std::exit(2);
  }
  auto filter = std::make_unique<Filter>();
  filter->label = std::to_string(rules) + (conditions ? "-conditional/" : "-plain/") +
                  (tree ? "tree" : "linear");
  filter->plan = std::move(*plan);
  filter->installed = true;
  Filters().push_back(std::move(filter));
  return *Filters().back();
}

// The harmless call the linear layout of the largest conditional filter runs longest for.
std::string NearEndCall() {
  const Filter& linear = Compile(300, true, false);
  std::string best;
  size_t most = 0;
  for (std::string_view name : kHarmlessCalls) {
    const int number = policy::FindSyscall(policy::Target::kLinux, name)->number;
    const uint64_t args[6] = {};
    size_t steps = 0;
    for (const auto& program : linear.plan.programs) {
      size_t executed = 0;
      linux_sim::EvaluateBpf(program, AUDIT_ARCH_X86_64, number, 0, args, &executed);
      steps += executed;
    }
    if (steps > most) {
      most = steps;
      best = std::string(name);
    }
  }
  return best;
}

}  // namespace
}  // namespace stockade::bench

int main(int argc, char** argv) {
  using namespace stockade::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::string near_end = NearEndCall();
  benchmark::AddCustomContext("near_end_call", near_end);

  Filters().push_back(std::make_unique<Filter>());
  Filters().back()->label = "none";
  std::vector<const Filter*> order = {Filters().back().get()};
  for (bool conditions : {false, true}) {
    for (bool tree : {true, false}) {
      for (int rules : {10, 100, 300}) order.push_back(&Compile(rules, conditions, tree));
    }
  }
  for (const Filter* filter : order) {
    for (const std::string& call : {std::string("getppid"), near_end}) {
      benchmark::RegisterBenchmark(("filter_cost/" + filter->label + "/" + call).c_str(), Measure,
                                   filter, call)
          ->UseManualTime()
          ->Unit(benchmark::kNanosecond)
          // Noise (other work on the machine) only ever adds time: the minimum over the
          // repetitions is the estimate least disturbed by it.
          ->ComputeStatistics("min", [](const std::vector<double>& v) {
            return *std::min_element(v.begin(), v.end());
          });
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
