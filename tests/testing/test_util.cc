// SPDX-License-Identifier: BSD-2-Clause
// Test helpers.

#include "testing/test_util.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stockade::testing {

std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("STOCKADE_SOURCE_DIR")) return dir;
  return STOCKADE_DEFAULT_SOURCE_DIR;
}

std::filesystem::path BinaryDir() {
  if (const char* dir = std::getenv("STOCKADE_BINARY_DIR")) return dir;
  return STOCKADE_DEFAULT_BINARY_DIR;
}

std::optional<std::filesystem::path> ReferenceDir() {
  std::filesystem::path dir;
  if (const char* env = std::getenv("STOCKADE_REFERENCE_DIR")) {
    dir = env;
  } else {
    dir = SourceDir().parent_path() / "shared" / "reference";
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

Table ReadTsv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  Table table;
  std::string line;
  auto split = [](const std::string& text) {
    std::vector<std::string> fields;
    size_t start = 0;
    while (true) {
      size_t tab = text.find('\t', start);
      fields.push_back(text.substr(start, tab == std::string::npos ? tab : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    return fields;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields = split(line);
    if (table.header.empty()) {
      table.header = fields;
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < table.header.size(); ++i) {
      row[table.header[i]] = i < fields.size() ? fields[i] : "";
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "stockade-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::Write(const std::string& name, const std::string& text) const {
  std::filesystem::path full = path_ / name;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + full.string());
  return full;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace stockade::testing
