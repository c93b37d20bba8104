// SPDX-License-Identifier: BSD-2-Clause
// Policy texts for the benchmarks.

#include "bench_policies.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "stockade/policy/check.h"
#include "stockade/policy/names.h"
#include "stockade/policy/render.h"

namespace stockade::bench {
namespace {

std::vector<NamedPolicy> ReadDirectory(const std::string& relative) {
  std::vector<NamedPolicy> out;
  const std::filesystem::path dir = SourceDir() / relative;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(
        {relative + "/" + entry.path().filename().string(), entry.path().string(), text.str()});
  }
  std::sort(out.begin(), out.end(),
            [](const NamedPolicy& a, const NamedPolicy& b) { return a.name < b.name; });
  return out;
}

bool Listed(std::string_view name) {
  for (std::string_view n : kChildSyscalls) {
    if (n == name) return true;
  }
  for (std::string_view n : kHarmlessCalls) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("STOCKADE_SOURCE_DIR"); dir && *dir) return dir;
  return STOCKADE_SOURCE_DIR;
}

std::vector<NamedPolicy> ExamplePolicies() { return ReadDirectory("examples"); }
std::vector<NamedPolicy> LaunchPolicies() { return ReadDirectory("bench/policies"); }

NamedPolicy RulePolicy(int rules, bool conditions) {
  std::string text = "version: 1\nname: bench-rules-" + std::to_string(rules) +
                     "\nexec:\n  command: [/bin/true]\nsyscalls:\n  default: kill\n  linux:\n"
                     "    allow:\n";
  int count = 0;
  for (std::string_view name : kChildSyscalls) {
    text += "      - " + std::string(name) + "\n";
    ++count;
  }
  for (std::string_view name : kHarmlessCalls) {
    text += conditions ? "      - {name: " + std::string(name) + ", when: \"arg0 == 0\"}\n"
                       : "      - " + std::string(name) + "\n";
    ++count;
  }
  // The rest in number order: every syscall check accepts without a warning (no dangerous
  // grants), with a condition on a rotating argument when asked.
  for (const policy::SyscallInfo& info : policy::Syscalls(policy::Target::kLinux)) {
    if (count >= rules) break;
    if (Listed(info.name) || policy::FindDangerousSyscall(info.name)) continue;
    if (conditions) {
      text += "      - {name: " + std::string(info.name) + ", when: \"arg" +
              std::to_string(count % 3) + " == " + std::to_string(count) + "\"}\n";
    } else {
      text += "      - " + std::string(info.name) + "\n";
    }
    ++count;
  }
  const std::string name =
      "generated/" + std::to_string(rules) + (conditions ? "-conditional" : "-plain");
  return {name, "/" + name + ".yaml", text};
}

NamedPolicy ConditionPolicy(int rules) {
  struct Family {
    const char* syscall;
    const char* condition;  // printf format taking the rule's index in the family
  };
  // Ten syscalls whose arguments allow-lists usually pin down.
  static constexpr Family kFamilies[] = {
      {"ioctl", "arg1 == %d"},      {"fcntl", "arg1 == %d"},        {"prctl", "arg0 == %d"},
      {"setsockopt", "arg2 == %d"}, {"getsockopt", "arg2 == %d"},   {"socket", "arg2 == %d"},
      {"madvise", "arg2 == %d"},    {"mprotect", "arg2 & %d == 0"}, {"openat", "arg3 == %d"},
      {"lseek", "arg2 == %d"},
  };
  std::string text =
      "version: 1\nname: bench-conditions\nexec:\n  command: [/bin/true]\nsyscalls:\n"
      "  default: kill\n  linux:\n    allow:\n";
  for (const char* name : {"read", "write", "close", "exit_group", "brk", "mmap", "munmap", "futex",
                           "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getrandom"}) {
    text += "      - " + std::string(name) + "\n";
  }
  char condition[64];
  for (int i = 0; i < rules; ++i) {
    const Family& family = kFamilies[i % 10];
    std::snprintf(condition, sizeof(condition), family.condition, 0x5400 + i / 10);
    text += "      - {name: " + std::string(family.syscall) + ", when: \"" + condition + "\"}\n";
  }
  const std::string name = "generated/" + std::to_string(rules) + "-conditions";
  return {name, "/" + name + ".yaml", text};
}

policy::Policy CheckOrDie(const NamedPolicy& named, policy::SourceSet& sources, bool warnings_ok) {
  policy::Diagnostics diags;
  const policy::FileId file = sources.Add(named.path, named.text);
  std::optional<policy::Policy> checked = policy::CheckBuffer(sources, file, diags);
  if (!checked || (!warnings_ok && !diags.all().empty())) {
    std::fprintf(stderr, "bench: %s is not clean:\n%s", named.name.c_str(),
                 policy::RenderText(diags, sources, {}).c_str());
    std::exit(2);
  }
  return *checked;
}

}  // namespace stockade::bench
