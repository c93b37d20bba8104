// SPDX-License-Identifier: BSD-2-Clause
// Checks of the renderers' JSON output, in a file of their own: in a fuzzing build it is
// compiled without coverage instrumentation (fuzz/CMakeLists.txt), so that the shape of our own
// output, parsed again here, does not count as new behaviour of the input.

#ifndef STOCKADE_FUZZ_JSON_CHECK_H_
#define STOCKADE_FUZZ_JSON_CHECK_H_

#include <cstddef>
#include <string>

namespace stockade::fuzz {

// RenderJson's output: valid JSON, `records` diagnostics, "errors" equal to `errors`.
void CheckJsonReport(const std::string& json, size_t records, size_t errors);

// RenderSarif's output: valid JSON, SARIF 2.1.0 with one run of `records` results.
void CheckSarifReport(const std::string& sarif, size_t records);

}  // namespace stockade::fuzz

#endif  // STOCKADE_FUZZ_JSON_CHECK_H_
