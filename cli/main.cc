// SPDX-License-Identifier: BSD-2-Clause
// The `stockade` command: check, explain. Exit codes are documented in docs/cli.md.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_command.h"
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
};

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
  const Target target = args.target == "freebsd" ? Target::kFreeBsd : Target::kLinux;
  auto clauses = stockade::policy::DescribePolicy(policy, target);
  auto where = [&](stockade::policy::SourceSpan span) -> std::string {
    if (!span.valid()) return "default";
    auto at = sources.Position(span.file, span.begin);
    return sources.path(span.file) + ":" + std::to_string(at.line) + ":" +
           std::to_string(at.column);
  };
  if (args.format == "json") {
    nlohmann::ordered_json out;
    out["policy"] = policy.name;
    out["target"] = args.target;
    out["files"] = policy.files;
    for (const auto& clause : clauses) {
      nlohmann::ordered_json entry;
      entry["clause"] = clause.clause;
      entry["title"] = clause.title;
      entry["at"] = where(clause.span);
      entry["grants"] = clause.lines;
      out["clauses"].push_back(entry);
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "policy '" << policy.name << "' (" << args.file << ") on " << args.target << "\n";
  for (const auto& clause : clauses) {
    std::cout << "\n"
              << clause.title << "  [" << clause.clause << ", " << where(clause.span) << "]\n";
    for (const std::string& line : clause.lines) std::cout << "  - " << line << "\n";
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
  explain_cmd->add_option("--target", explain.target, "Target system")
      ->check(CLI::IsMember({"linux", "freebsd"}));
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
  return kExitUsage;
}
