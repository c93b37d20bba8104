// SPDX-License-Identifier: BSD-2-Clause
// The `stockade` command: check, explain, compile. Exit codes are documented in docs/cli.md.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "run_command.h"
#include "stockade/enforce/fidelity.h"
#include "stockade/freebsd/compile.h"
#include "stockade/freebsd/fidelity.h"
#include "stockade/policy/check.h"
#include "stockade/policy/describe.h"
#include "stockade/policy/render.h"

namespace {

using stockade::policy::CheckFile;
using stockade::policy::Diagnostics;
using stockade::policy::Policy;
using stockade::policy::SourceSet;
using stockade::policy::Target;

// docs/cli.md, "Exit codes".
constexpr int kExitOk = 0;
constexpr int kExitPolicyErrors = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotEnforceable = 3;

// "freebsd" is the newest release the tables know.
std::optional<stockade::policy::FreeBsdRelease> FreeBsdReleaseOf(const std::string& target) {
  if (target == "freebsd14") return stockade::policy::FreeBsdRelease::k14;
  if (target == "freebsd15") return stockade::policy::FreeBsdRelease::k15;
  if (target == "freebsd") return stockade::policy::kNewestFreeBsd;
  return std::nullopt;
}

bool ColorWanted(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  return ::isatty(STDERR_FILENO) && std::getenv("NO_COLOR") == nullptr;
}

// Renders diagnostics in the requested format: text goes to stderr, json and sarif to stdout
// (they are the command's output for CI).
void Report(const Diagnostics& diags, const SourceSet& sources, const std::string& format,
            const std::string& color) {
  if (format == "json") {
    std::cout << stockade::policy::RenderJson(diags, sources) << "\n";
  } else if (format == "sarif") {
    std::cout << stockade::policy::RenderSarif(diags, sources, STOCKADE_VERSION) << "\n";
  } else {
    stockade::policy::TextStyle style;
    style.color = ColorWanted(color);
    std::cerr << stockade::policy::RenderText(diags, sources, style);
  }
}

struct CheckArgs {
  std::vector<std::string> files;
  std::string format = "text";
  std::string color = "auto";
  bool werror = false;
};

int RunCheck(const CheckArgs& args) {
  SourceSet sources;
  Diagnostics diags;
  bool unreadable = false;
  for (const std::string& file : args.files) {
    const size_t errors_before = diags.error_count();
    const size_t warnings_before = diags.warning_count();
    auto result = CheckFile(file, sources, diags);
    if (!result) {
      std::cerr << "stockade: error: " << result.error().message() << "\n";
      unreadable = true;
      continue;
    }
    if (result->has_value()) stockade::cli::CheckLinuxFilter(**result, sources, diags);
    if (args.format == "text") {
      const size_t errors = diags.error_count() - errors_before;
      const size_t warnings = diags.warning_count() - warnings_before;
      std::cout << file << ": "
                << (errors ? std::to_string(errors) + " error" + (errors == 1 ? "" : "s")
                           : std::string("ok"))
                << (warnings
                        ? ", " + std::to_string(warnings) + " warning" + (warnings == 1 ? "" : "s")
                        : "")
                << "\n";
    }
  }
  Report(diags, sources, args.format, args.color);
  if (unreadable) return kExitUsage;
  if (diags.has_errors()) return kExitPolicyErrors;
  if (args.werror && diags.warning_count() > 0) return kExitPolicyErrors;
  return kExitOk;
}

struct ExplainArgs {
  std::string file;
  std::string target = "linux";
  std::string format = "text";
  std::string color = "auto";
  bool strict = false;
};

// The section of DescribePolicy's output that covers a clause id, so that explain can print each
// clause's fidelity under the section that describes it.
std::string SectionOf(const std::string& clause) {
  if (clause == "hostname" || clause == "syscalls" || clause == "descriptors" ||
      clause == "capability_mode") {
    return clause;
  }
  if (clause.starts_with("exec.")) return "exec.user";
  if (clause.starts_with("sysv")) return "sysvshm";
  if (clause.starts_with("filesystem.")) return "filesystem.root";
  if (clause.starts_with("network")) return "network";
  if (clause.starts_with("limits.")) return "limits";
  if (clause.starts_with("mac.")) return "mac.bsdextended";
  return "securelevel";  // every jail parameter is under "Jail privileges"
}

// The justification of the accept_approximate entry that accepts `f` on `family`, if any.
std::optional<std::string> Acceptance(const Policy& policy,
                                      const stockade::enforce::ClauseFidelity& f,
                                      stockade::enforce::BackendFamily family) {
  const stockade::policy::Acceptance* entry =
      stockade::enforce::FindAcceptance(policy, f.clause, family);
  if (!stockade::enforce::Covers(entry, f.fidelity) || !entry) return std::nullopt;
  return entry->justification;
}

int RunExplain(const ExplainArgs& args) {
  SourceSet sources;
  Diagnostics diags;
  auto result = CheckFile(args.file, sources, diags);
  if (!result) {
    std::cerr << "stockade: error: " << result.error().message() << "\n";
    return kExitUsage;
  }
  if (diags.all().size() > 0) Report(diags, sources, "text", args.color);
  if (!result->has_value()) return kExitPolicyErrors;
  const Policy& policy = **result;
  const std::optional<stockade::policy::FreeBsdRelease> release = FreeBsdReleaseOf(args.target);
  const Target target = release ? Target::kFreeBsd : Target::kLinux;
  auto clauses = stockade::policy::DescribePolicy(policy, target);
  std::optional<stockade::enforce::Assessment> assessment;
  Diagnostics refusals;
  bool enforceable = true;
  if (release) {
    assessment = stockade::freebsd::Assess(policy, *release);
  } else {
    // linux-sim's own table on this host (none in builds without linux-sim).
    assessment = stockade::cli::AssessLinux(policy);
  }
  if (assessment) {
    enforceable = stockade::enforce::CheckEnforceable(*assessment, policy, args.strict, refusals);
  }
  const std::string family = release ? "freebsd" : "linux";
  const stockade::enforce::BackendFamily family_id =
      release ? stockade::enforce::BackendFamily::kFreeBsd
              : stockade::enforce::BackendFamily::kLinux;
  auto where = [&](stockade::policy::SourceSpan span) -> std::string {
    if (!span.valid()) return "default";
    auto at = sources.Position(span.file, span.begin);
    return sources.path(span.file) + ":" + std::to_string(at.line) + ":" +
           std::to_string(at.column);
  };
  // Fidelity entries by section; what no section covers is printed at the end.
  std::vector<const stockade::enforce::ClauseFidelity*> unplaced;
  std::map<std::string, std::vector<const stockade::enforce::ClauseFidelity*>> by_section;
  if (assessment) {
    std::set<std::string> sections;
    for (const auto& clause : clauses) sections.insert(clause.clause);
    for (const auto& fidelity : assessment->clauses) {
      const std::string section = SectionOf(fidelity.clause);
      if (sections.count(section)) {
        by_section[section].push_back(&fidelity);
      } else {
        unplaced.push_back(&fidelity);
      }
    }
  }
  const std::string backend = assessment ? assessment->backend : args.target;
  if (args.format == "json") {
    nlohmann::ordered_json out;
    out["policy"] = policy.name;
    out["target"] = args.target;
    out["files"] = policy.files;
    if (assessment && !assessment->host_facts.empty()) out["host"] = assessment->host_facts;
    auto fidelity_json = [&](const stockade::enforce::ClauseFidelity& f) {
      nlohmann::ordered_json entry;
      entry["clause"] = f.clause;
      entry["backend"] = backend;
      entry["fidelity"] = std::string(stockade::enforce::FidelityName(f.fidelity));
      entry["how"] = f.how;
      const std::optional<std::string> accepted = Acceptance(policy, f, family_id);
      entry["accepted"] = f.fidelity != stockade::enforce::Fidelity::kExact && accepted;
      if (!f.acceptable) entry["acceptable"] = false;
      if (accepted) entry["justification"] = *accepted;
      return entry;
    };
    for (const auto& clause : clauses) {
      nlohmann::ordered_json entry;
      entry["clause"] = clause.clause;
      entry["title"] = clause.title;
      entry["at"] = where(clause.span);
      entry["grants"] = clause.lines;
      if (assessment) {
        entry["fidelity"] = nlohmann::ordered_json::array();
        for (const auto* f : by_section[clause.clause])
          entry["fidelity"].push_back(fidelity_json(*f));
      }
      out["clauses"].push_back(entry);
    }
    if (assessment) {
      for (const auto* f : unplaced) out["other_fidelity"].push_back(fidelity_json(*f));
      out["enforceable"] = enforceable;
    }
    std::cout << out.dump(2) << "\n";
  } else {
    auto print_fidelity = [&](const stockade::enforce::ClauseFidelity& f) {
      std::cout << "  " << backend << " [" << f.clause
                << "]: " << stockade::enforce::FidelityName(f.fidelity) << " \u2014 " << f.how
                << "\n";
      if (f.fidelity == stockade::enforce::Fidelity::kExact) return;
      const std::optional<std::string> accepted = Acceptance(policy, f, family_id);
      if (!f.acceptable) {
        std::cout << "    refused: cannot be set up on this host, accepted or not\n";
      } else if (accepted && !args.strict) {
        std::cout << "    accepted: " << *accepted << "\n";
      } else if (accepted) {
        std::cout << "    refused under --strict (accepted: " << *accepted << ")\n";
      } else if (stockade::enforce::FindAcceptance(policy, f.clause, family_id)) {
        std::cout << "    refused: accepted for " << family
                  << " as an approximation only (fidelity: not-enforced would accept it)\n";
      } else {
        std::cout << "    refused: not accepted for " << family << " (accept_approximate)\n";
      }
    };
    std::cout << "policy '" << policy.name << "' (" << args.file << ") on " << args.target << "\n";
    if (assessment && !assessment->host_facts.empty()) {
      std::cout << "\nThis host\n";
      for (const std::string& fact : assessment->host_facts) std::cout << "  - " << fact << "\n";
    }
    for (const auto& clause : clauses) {
      std::cout << "\n"
                << clause.title << "  [" << clause.clause << ", " << where(clause.span) << "]\n";
      for (const std::string& line : clause.lines) std::cout << "  - " << line << "\n";
      for (const auto* f : by_section[clause.clause]) print_fidelity(*f);
    }
    if (!unplaced.empty()) {
      std::cout << "\nOther clauses\n";
      for (const auto* f : unplaced) print_fidelity(*f);
    }
  }
  if (!enforceable) {
    Report(refusals, sources, "text", args.color);
    return kExitNotEnforceable;
  }
  return kExitOk;
}

struct CompileArgs {
  std::string file;
  std::string target = "freebsd";
  std::string output;
  std::string format = "text";
  std::string color = "auto";
  bool strict = false;
};

int RunCompile(const CompileArgs& args) {
  SourceSet sources;
  Diagnostics diags;
  auto result = CheckFile(args.file, sources, diags);
  if (!result) {
    std::cerr << "stockade: error: " << result.error().message() << "\n";
    return kExitUsage;
  }
  if (!result->has_value()) {
    Report(diags, sources, args.format, args.color);
    return kExitPolicyErrors;
  }
  const Policy& policy = **result;
  stockade::freebsd::CompileOptions options;
  options.release = *FreeBsdReleaseOf(args.target);
  const stockade::enforce::Assessment assessment =
      stockade::freebsd::Assess(policy, options.release);
  const bool enforceable =
      stockade::enforce::CheckEnforceable(assessment, policy, args.strict, diags);
  Report(diags, sources, args.format, args.color);
  if (!enforceable) return kExitNotEnforceable;
  auto artifacts = stockade::freebsd::Compile(policy, options);
  if (!artifacts) {
    std::cerr << "stockade: error: cannot compile '" << policy.name << "' for "
              << assessment.backend << ": " << artifacts.error().message() << "\n";
    return kExitNotEnforceable;
  }
  auto written = stockade::freebsd::WriteArtifacts(*artifacts, args.output);
  if (!written) {
    std::cerr << "stockade: error: " << written.error().message() << "\n";
    return kExitUsage;
  }
  if (args.format == "text") {
    std::cout << args.output << ": " << artifacts->files.size() << " files for jail '"
              << artifacts->name << "' on " << assessment.backend << "\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stockade: one sandbox policy, enforced on FreeBSD (jails + Capsicum) and Linux",
               "stockade"};
  app.set_version_flag("--version", std::string("stockade ") + STOCKADE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 the policy has errors, 2 usage or unreadable file, "
      "3 not enforceable on the target (docs/cli.md).");

  CheckArgs check;
  CLI::App* check_cmd = app.add_subcommand("check", "Check policy files and report problems");
  check_cmd->add_option("FILE", check.files, "Policy files")->required();
  check_cmd->add_option("--format", check.format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  check_cmd->add_flag("--werror", check.werror, "Treat warnings as errors (exit code 1)");
  check_cmd->add_option("--color", check.color, "Colour diagnostics")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  ExplainArgs explain;
  CLI::App* explain_cmd =
      app.add_subcommand("explain", "Say what a policy grants, clause by clause");
  explain_cmd->add_option("FILE", explain.file, "Policy file")->required();
  explain_cmd->add_option("--target", explain.target, "Target system (freebsd: the newest)")
      ->check(CLI::IsMember({"linux", "freebsd", "freebsd14", "freebsd15"}));
  explain_cmd->add_flag("--strict", explain.strict,
                        "Count accepted approximations as refusals too (exit code 3)");
  explain_cmd->add_option("--format", explain.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  explain_cmd->add_option("--color", explain.color, "Colour diagnostics")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  stockade::cli::RunArgs run;
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Run a program confined by a policy (linux-sim): stockade run POLICY -- PROGRAM ARGS...");
  run_cmd->add_option("POLICY", run.policy, "Policy file")->required();
  run_cmd->add_option("COMMAND", run.command, "The program and its arguments, after '--'");
  run_cmd->add_flag("--strict", run.strict, "Refuse even accepted approximations");
  run_cmd->add_flag("--trace-setup", run.trace_setup, "Print the time each setup step took");
  run_cmd->add_option("--report", run.report, "How to report a failure or the timings")
      ->check(CLI::IsMember({"text", "json"}));
  run_cmd->add_option("--color", run.color, "Colour diagnostics")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run_cmd->positionals_at_end();
  run_cmd->footer(
      "Exit codes: the program's own status; 2 usage error; 125 stockade failed before the program "
      "started "
      "(the kind on stderr), 126 not executable, 127 not found, 128+N killed by signal N "
      "(159: by the syscall policy) (docs/cli.md).");

  bool gc_dry_run = false;
  CLI::App* gc_cmd = app.add_subcommand(
      "gc", "Remove what killed runs left on the host (linux-sim: cgroups and veth links)");
  gc_cmd->add_flag("-n,--dry-run", gc_dry_run, "Only list what would be removed");
  gc_cmd->footer("Exit codes: 0 nothing failed, 1 something could not be removed (docs/cli.md).");

  CompileArgs compile;
  CLI::App* compile_cmd =
      app.add_subcommand("compile", "Compile a policy for FreeBSD into a directory of artifacts");
  compile_cmd->add_option("FILE", compile.file, "Policy file")->required();
  compile_cmd->add_option("--target", compile.target, "FreeBSD release (freebsd: the newest)")
      ->check(CLI::IsMember({"freebsd", "freebsd14", "freebsd15"}));
  compile_cmd->add_option("-o,--output", compile.output, "Output directory")->required();
  compile_cmd->add_flag("--strict", compile.strict,
                        "Refuse accepted approximations too (exit code 3)");
  compile_cmd->add_option("--format", compile.format, "Diagnostics format")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  compile_cmd->add_option("--color", compile.color, "Colour diagnostics")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0 in CLI11.
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (check_cmd->parsed()) return RunCheck(check);
  if (explain_cmd->parsed()) return RunExplain(explain);
  if (run_cmd->parsed()) {
    // CLI11 hands the '--' separator over with the positionals; it is not part of the command.
    if (!run.command.empty() && run.command.front() == "--") run.command.erase(run.command.begin());
    return stockade::cli::RunCommand(run);
  }

  if (compile_cmd->parsed()) return RunCompile(compile);
  if (gc_cmd->parsed()) return stockade::cli::GcCommand(gc_dry_run);
  return kExitUsage;
}
