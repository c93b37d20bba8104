// SPDX-License-Identifier: BSD-2-Clause
// Helpers of the FreeBSD backend tests.

#include "freebsd_test_util.h"

#include <sys/wait.h>

#include <cstdio>

#include "stockade/policy/check.h"

namespace stockade::testing {
namespace {

std::string Describe(const policy::Diagnostics& diags) {
  std::string out;
  for (const policy::Diagnostic& d : diags.all()) {
    out += d.name + ": " + d.message + "; " + d.expected + "\n";
  }
  return out;
}

}  // namespace

std::optional<policy::Policy> CheckYaml(const std::string& yaml, std::string* problems) {
  policy::SourceSet sources;
  policy::Diagnostics diags;
  const policy::FileId file = sources.Add("policy.yaml", yaml);
  std::optional<policy::Policy> result = policy::CheckBuffer(sources, file, diags);
  if (problems) *problems = Describe(diags);
  return result;
}

std::optional<policy::Policy> CheckPath(const std::string& path, std::string* problems) {
  policy::SourceSet sources;
  policy::Diagnostics diags;
  auto result = policy::CheckFile(path, sources, diags);
  if (problems) *problems = Describe(diags);
  if (!result) {
    if (problems) *problems += result.error().message();
    return std::nullopt;
  }
  return *result;
}

int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  const int status = ::pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace stockade::testing
