// SPDX-License-Identifier: BSD-2-Clause
// `stockade run` on Linux: check, assess, plan, run (linux-sim).

#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

#include "run_command.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/linux_sim/gc.h"
#include "stockade/linux_sim/host.h"
#include "stockade/linux_sim/planner.h"
#include "stockade/linux_sim/sandbox.h"
#include "stockade/linux_sim/seccomp.h"
#include "stockade/policy/check.h"
#include "stockade/policy/render.h"

namespace stockade::cli {
namespace {

constexpr int kExitSetupFailed = 125;

uint64_t Now() {
  struct timespec now {};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

// Every failure before exec: the kind on stderr (and in JSON with --report json), exit 125.
int Refuse(const RunArgs& args, const std::string& kind, const std::string& message) {
  if (args.report == "json") {
    nlohmann::ordered_json report;
    report["outcome"] = kind;
    report["exit_code"] = kExitSetupFailed;
    report["message"] = message;
    std::cerr << report.dump() << "\n";
  } else {
    std::cerr << "stockade: error[" << kind << "]: " << message << "\n";
  }
  return kExitSetupFailed;
}

}  // namespace

int GcCommand(bool dry_run) {
  const linux_sim::GcReport report = linux_sim::CollectGarbage(dry_run);
  for (const std::string& path : report.removed) {
    std::cout << (dry_run ? "would remove " : "removed ") << path << "\n";
  }
  for (const std::string& failure : report.failed) {
    std::cerr << "stockade: error: cannot remove " << failure << "\n";
  }
  std::cout << report.removed.size() << (dry_run ? " to remove, " : " removed, ")
            << report.failed.size() << " failed, " << report.live << " live run"
            << (report.live == 1 ? "" : "s") << " left alone (" << linux_sim::RunRecordDirectory()
            << ")\n";
  return report.failed.empty() ? 0 : 1;
}

std::optional<enforce::Assessment> AssessLinux(const policy::Policy& policy) {
  return linux_sim::Assess(policy, linux_sim::ProbeHost());
}

void CheckLinuxFilter(const policy::Policy& policy, const policy::SourceSet& sources,
                      policy::Diagnostics& diags) {
  const policy::SyscallFilter& filter = policy.syscalls[policy::Target::kLinux];
  if (!filter.present) return;
  auto plan = linux_sim::CompileSeccomp(linux_sim::BuildFilterModel(policy), sources, {});
  if (plan) return;
  diags.AddError(
      plan.error().code() == ErrorCode::kResourceExhausted ? "filter-too-large" : "filter-refused",
      filter.span, plan.error().message(),
      plan.error().code() == ErrorCode::kResourceExhausted
          ? "fewer argument conditions, or rules merged into groups (BPF programs "
            "hold at most 4096 instructions)"
          : "rules libseccomp accepts");
}

namespace {

// Checks the policy, refuses what this host cannot enforce, and plans the sandbox. Everything
// parsed (sources, IR, diagnostics) lives in this frame only: the supervisor that stays beside
// the program for its whole run keeps the plan (strings and BPF), never the parsed policy.
// Returns the plan, or the exit code of a refusal. `timings` gets the check and plan steps.
std::variant<linux_sim::SandboxPlan, int> CheckAndPlan(
    const RunArgs& args, std::vector<std::pair<std::string, uint64_t>>& timings) {
  // --trace-setup: the command's own steps before the sandbox's (check, then assess and plan).
  const uint64_t started = Now();
  policy::SourceSet sources;
  policy::Diagnostics diags;
  policy::TextStyle style;
  style.color = args.color == "always" ||
                (args.color == "auto" && isatty(STDERR_FILENO) && !std::getenv("NO_COLOR"));
  auto checked = policy::CheckFile(args.policy, sources, diags);
  if (!checked) return Refuse(args, "policy-unreadable", checked.error().message());
  if (!checked->has_value()) {
    std::cerr << policy::RenderText(diags, sources, style);
    return Refuse(args, "policy-invalid", "'" + args.policy + "' has errors (shown above)");
  }
  const policy::Policy& policy = **checked;
  const uint64_t checked_at = Now();
  timings.emplace_back("check", checked_at - started);

  const linux_sim::HostFacts host = linux_sim::ProbeHost();
  const enforce::Assessment assessment = linux_sim::Assess(policy, host);
  policy::Diagnostics refusals;
  if (!enforce::CheckEnforceable(assessment, policy, args.strict, refusals)) {
    std::cerr << policy::RenderText(refusals, sources, style);
    return Refuse(args, "not-enforceable",
                  "linux-sim cannot enforce this policy exactly on this host (see above)");
  }

  linux_sim::PlanOptions plan_options;
  plan_options.command = args.command;
  auto plan = linux_sim::PlanSandbox(policy, sources, host, plan_options);
  if (!plan) return Refuse(args, "setup-failed", plan.error().message());
  timings.emplace_back("plan", Now() - checked_at);
  return std::move(*plan);
}

}  // namespace

int RunCommand(const RunArgs& args) {
  std::vector<std::pair<std::string, uint64_t>> timings;
  std::variant<linux_sim::SandboxPlan, int> planned = CheckAndPlan(args, timings);
  if (const int* refused = std::get_if<int>(&planned)) return *refused;
  const linux_sim::SandboxPlan* plan = std::get_if<linux_sim::SandboxPlan>(&planned);
  // Give the parser's memory back to the system before the run begins.
  malloc_trim(0);

  linux_sim::RunOptions run_options;
  run_options.trace_setup = args.trace_setup;
  auto result = linux_sim::RunSandbox(*plan, run_options);
  if (!result) return Refuse(args, "setup-failed", result.error().message());
  if (args.trace_setup) {
    result->timings.insert(result->timings.begin(), timings.begin(), timings.end());
  }

  if (args.report == "json") {
    nlohmann::ordered_json report;
    report["outcome"] = result->kind;
    report["exit_code"] = result->exit_code;
    if (!result->message.empty()) report["message"] = result->message;
    for (const auto& [step, ns] : result->timings) {
      report["timings"].push_back({{"step", step}, {"microseconds", ns / 1000.0}});
    }
    for (const auto& counter : result->limits) {
      report["limits"].push_back({{"clause", counter.clause},
                                  {"at", counter.where},
                                  {"counter", counter.counter},
                                  {"value", counter.value}});
    }
    std::cerr << report.dump() << "\n";
  } else {
    if (!result->message.empty()) {
      std::cerr << "stockade: "
                << (result->outcome == linux_sim::RunResult::Outcome::kSetupFailed
                        ? "error[" + result->kind + "]: "
                        : "")
                << result->message << "\n";
    }
    if (args.trace_setup) {
      uint64_t total = 0;
      for (const auto& [step, ns] : result->timings) {
        std::fprintf(stderr, "stockade: setup %-24s %9.1f us\n", step.c_str(), ns / 1000.0);
        total += ns;
      }
      std::fprintf(stderr, "stockade: setup %-24s %9.1f us\n", "total", total / 1000.0);
    }
  }
  return result->exit_code;
}

}  // namespace stockade::cli
