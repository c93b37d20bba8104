// SPDX-License-Identifier: BSD-2-Clause
// The renderers' JSON output parsed back with nlohmann-json (see json_check.h).

#include "json_check.h"

#include <nlohmann/json.hpp>

#include "stockade/base/check.h"

namespace stockade::fuzz {

void CheckJsonReport(const std::string& text, size_t records, size_t errors) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  STOCKADE_CHECK(!json.is_discarded()) << "RenderJson wrote invalid JSON:\n" << text;
  STOCKADE_CHECK(json["diagnostics"].size() == records) << "RenderJson lost a diagnostic";
  STOCKADE_CHECK(json["errors"] == errors) << "RenderJson miscounts errors";
}

void CheckSarifReport(const std::string& text, size_t records) {
  nlohmann::json sarif = nlohmann::json::parse(text, nullptr, false);
  STOCKADE_CHECK(!sarif.is_discarded()) << "RenderSarif wrote invalid JSON:\n" << text;
  STOCKADE_CHECK(sarif["version"] == "2.1.0" && sarif["runs"].size() == 1) << "not SARIF 2.1.0";
  STOCKADE_CHECK(sarif["runs"][0]["results"].size() == records) << "RenderSarif lost a result";
}

}  // namespace stockade::fuzz
