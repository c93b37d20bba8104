// SPDX-License-Identifier: BSD-2-Clause
// Helpers of the FreeBSD backend tests: policies from YAML text, and compiled artifacts.

#ifndef STOCKADE_TESTS_FREEBSD_FREEBSD_TEST_UTIL_H_
#define STOCKADE_TESTS_FREEBSD_FREEBSD_TEST_UTIL_H_

#include <optional>
#include <string>

#include "stockade/freebsd/compile.h"
#include "stockade/policy/diagnostic.h"
#include "stockade/policy/ir.h"
#include "stockade/policy/source.h"

namespace stockade::testing {

// Checks `yaml` as the policy file "policy.yaml". On errors, returns nullopt and puts every
// diagnostic into *problems (when given).
std::optional<policy::Policy> CheckYaml(const std::string& yaml, std::string* problems = nullptr);

// Checks a policy file on disk.
std::optional<policy::Policy> CheckPath(const std::string& path, std::string* problems = nullptr);

// Runs `command` with /bin/sh -c and returns its exit status (-1 when it did not exit).
int RunShell(const std::string& command, std::string* output = nullptr);

}  // namespace stockade::testing

#endif  // STOCKADE_TESTS_FREEBSD_FREEBSD_TEST_UTIL_H_
